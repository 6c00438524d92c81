/**
 * The FAT12/FAT16 reader: readFat of the whole volume (every file's bytes
 * included) and the label sniff of its first sector. Seeds: what our
 * writer makes (FAT12 and FAT16, long names, tails, deep and wide trees)
 * and the mkfs.vfat fixture. Inputs go to 9 MiB, as FAT16 starts at 4085
 * clusters (8 MiB at our 2 KiB).
 */
import { fatDirectory, fatFile, fatVolumeLabel, isContextError, readFat, writeFat } from '@stratus-context/core';
import { fixture } from '../samples.mjs';
import { MiB } from './common.mjs';

const chain = (depth) => (depth === 0 ? [fatFile('leaf', 'x')] : [fatDirectory(`directory ${depth}`, chain(depth - 1))]);
const pattern = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 0xff);

function fatSeeds() {
  const tree = [
    fatFile('meta.js', '{"user-data": "#!/bin/sh\\n", "dsmode": "local"}\n'),
    fatFile('README.TXT', 'plain\n'),
    fatFile('a long name with spaces.txt', pattern(5000)),
    fatFile('empty', ''),
    ...Array.from({ length: 11 }, (_, k) => fatFile(`longname${k}.txt`, `${k}`)),
    fatDirectory('root', [fatDirectory('.ssh', [fatFile('authorized_keys', 'ssh-ed25519 AAAA x\n')])]),
    fatDirectory('etc', [fatDirectory('network', [fatFile('interfaces', 'auto lo\n')])]),
  ];
  return [
    fixture('fat/mkfs-cloud-init.img'),
    writeFat(tree, { volumeLabel: '_CLOUD_INIT', sizeBytes: 1_024_000 }),
    writeFat(tree, { volumeLabel: 'cidata' }),
    // FAT16 starts at 4085 clusters: 8 MiB of our 2 KiB clusters.
    writeFat(tree, { volumeLabel: 'config-2', sizeBytes: 8.5 * MiB }),
    writeFat(chain(60), { volumeLabel: 'DEEP' }),
    writeFat(Array.from({ length: 2000 }, (_, k) => fatFile(`file number ${k} with a long name`, '')), { volumeLabel: 'WIDE' }),
  ];
}

/** 16-bit fields of the BPB and of directory entries set to edge values. */
const FORGED = [0, 1, 2, 0xff, 0xff7, 0xff8, 0xfff, 0x1000, 0x7fff, 0xfff7, 0xfff8, 0xffff];

function forgeFields(seeds) {
  return (rng) => {
    const out = rng.pick(seeds).slice();
    for (let n = 1 + rng.int(6); n > 0; n--) {
      const at = rng.chance(0.3) ? 11 + rng.int(40) : 2 * rng.int(Math.min(out.length, 64 * 1024) / 2 - 1);
      const v = rng.pick(FORGED);
      out[at] = v & 0xff;
      out[at + 1] = v >> 8;
    }
    return out;
  };
}

/** FAT entries (a FAT12 or FAT16 table right after the boot sector) made random: loops, cross links, wild clusters. */
function randomTable(seeds) {
  return (rng) => {
    const out = rng.pick(seeds).slice();
    const fatBytes = 512 * (out[22] | (out[23] << 8));
    for (let n = 1 + rng.int(20); n > 0; n--) out[512 + rng.int(Math.max(1, Math.min(fatBytes, out.length - 512)))] = rng.int(256);
    return out;
  };
}

/** The first path where two read trees differ, or undefined. */
function sameTree(a, b, prefix = '') {
  if (a.length !== b.length) return `${prefix || '/'} (${a.length} entries, then ${b.length})`;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (x.name !== y.name || x.kind !== y.kind) return `${prefix}/${x.name} (now ${y.kind} ${y.name})`;
    const d = x.kind === 'directory' ? sameTree(x.children, y.children, `${prefix}/${x.name}`) : Buffer.compare(x.content, y.content) === 0 ? undefined : `${prefix}/${x.name} (content)`;
    if (d !== undefined) return d;
  }
  return undefined;
}

let fatCache;
const cachedFatSeeds = () => (fatCache ??= fatSeeds());

export const fat = {
  name: 'fat',
  about: 'readFat of the whole volume, every file read, and fatVolumeLabel of the first sector',
  /** Room for a FAT16 volume, which no 1 MiB input can be. */
  maxBytes: 9 * MiB,
  seeds: cachedFatSeeds,
  tokens: ['\xeb\x3c\x90', 'MSWIN4.1', 'FAT12   ', 'FAT16   ', '\x55\xaa', '\x29', '\xf8\xff\xff', '\x41\x0f', '\xe5', '.          ', '..         ', '\xff\xff', '\0\0'],
  generators() {
    const seeds = cachedFatSeeds();
    return [forgeFields(seeds), forgeFields(seeds), randomTable(seeds)];
  },
  async run(input) {
    // The sniff never throws, not even a ContextError: any exception is a finding.
    fatVolumeLabel(input.subarray(0, 512));
    const volume = await readFat(input);
    // Read, write, read: what we read, our writer writes back to the same tree (or refuses a name it does not write).
    let again;
    try {
      again = writeFat(volume.root.children, { volumeLabel: '' });
    } catch (e) {
      if (isContextError(e)) return;
      throw e;
    }
    const before = sameTree(volume.root.children, (await readFat(again)).root.children);
    if (before !== undefined) throw new Error(`fat: read, write, read changed ${before}`);
  },
};
