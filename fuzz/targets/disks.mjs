/**
 * Targets that read disks: the ISO 9660 reader, and the auto-detecting
 * loader (a disk image or a single context file, from a temporary file).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIso, isoDirectory, isoFile, openIso } from '@stratus-context/core';
import { loadContext } from '@stratus-context/core/node';
import { bytes } from '../mutate.mjs';
import { encodedDisks, encodedFiles } from '../samples.mjs';
import { MiB, tolerantAsync } from './common.mjs';

/** Blocks holding descriptors, path tables and directories in our seeds: where mutations matter. */
const METADATA_BYTES = 48 * 2048;
const FORGED = [0, 1, 16, 17, 18, 19, 0x7fffffff, 0x80000000, 0xfffff800, 0xffffffff];

/** ECMA-119 both-endian 32-bit field: little-endian, then big-endian. */
function putBoth32(out, at, v) {
  new DataView(out.buffer, out.byteOffset).setUint32(at, v, true);
  new DataView(out.buffer, out.byteOffset).setUint32(at + 4, v, false);
}

const chain = (depth) => (depth === 0 ? [isoFile('leaf', 'x')] : [isoDirectory(`d${depth}`, chain(depth - 1))]);

/** Images of extreme but valid shapes, then mutated like the seeds. */
const shapes = [
  () => encodeIso(chain(62), { volumeId: 'DEEP' }),
  () => encodeIso(Array.from({ length: 3000 }, (_, k) => isoFile(`f${k}`, '')), { volumeId: 'MANY' }),
  () => encodeIso(Array.from({ length: 300 }, (_, k) => isoFile(`${'n'.repeat(240)}${k}`, 'x')), { volumeId: 'LONG', isoLevel: 2 }),
];

function isoSeeds() {
  return [...encodedDisks(), ...shapes.map((s) => s())];
}

/** Forged 32-bit fields (extents, sizes, CE addresses) at even offsets of the metadata. */
function forgeFields(seeds) {
  return (rng) => {
    const out = rng.pick(seeds).slice();
    for (let n = 1 + rng.int(6); n > 0; n--) {
      const at = 2 * rng.int(Math.min(out.length, METADATA_BYTES) / 2 - 4);
      putBoth32(out, at, rng.chance(0.5) ? rng.pick(FORGED) : rng.int(64));
    }
    return out;
  };
}

/** Random bytes over whole metadata blocks behind a valid descriptor set. */
function randomBlocks(seeds) {
  return (rng) => {
    const seed = rng.pick(seeds);
    const out = seed.slice(0, Math.min(seed.length, (19 + 1 + rng.int(40)) * 2048));
    for (let i = 19 * 2048; i < out.length; i++) out[i] = rng.chance(0.7) ? 0 : rng.int(256);
    return out;
  };
}

let isoCache;
const cachedIsoSeeds = () => (isoCache ??= isoSeeds());

export const iso9660 = {
  name: 'iso9660',
  about: 'openIso and readFileBytes of every file, Rock Ridge and plain names',
  maxBytes: MiB,
  seeds: cachedIsoSeeds,
  tokens: ['CD001', 'SP', 'CE', 'NM', 'PX', 'TF', 'SL', 'RR', 'ER', 'RRIP_1991A', '\x01CD001\x01', '\xff', '\0\0\0\0'],
  generators() {
    const seeds = cachedIsoSeeds();
    return [forgeFields(seeds), forgeFields(seeds), randomBlocks(seeds)];
  },
  async run(input) {
    for (const namespace of ['auto', 'iso9660']) {
      await tolerantAsync(async () => {
        const image = await openIso(input, { namespace });
        const visit = async (dir) => {
          for (const c of dir.children) {
            if (c.kind === 'directory') await visit(c);
            else if (c.kind === 'file') await image.readFileBytes(c);
          }
        };
        await visit(image.root);
      });
    }
  },
};

export const loader = {
  name: 'loader',
  about: 'loadContext on a file: ISO 9660 sniffed by its magic, else cloud-init.txt or context.sh',
  maxBytes: MiB,
  seeds: () => [...cachedIsoSeeds().slice(0, 6), ...(encodedFiles().get('cloud-init.txt') ?? []), ...(encodedFiles().get('context.sh') ?? [])],
  tokens: ['CONTEXT_METHOD=cloud-init\n', 'export ', "A='x'\n", '\n', ' ', 'CD001'],
  generators() {
    return [forgeFields(cachedIsoSeeds()), (rng, max) => bytes(`${'\n'.repeat(rng.size(max - 30))}CONTEXT_METHOD=cloud-init\n`)];
  },
  async run(input, scratch) {
    const file = join(scratch, 'context');
    writeFileSync(file, input);
    await loadContext(file);
  },
};
