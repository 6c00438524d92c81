/**
 * The reader distrusts its input: crafted corruptions give the documented
 * ContextError, and random or mutated images give a value or a ContextError —
 * never another exception, a hang or an unbounded allocation.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextError } from '../../src/errors.js';
import { ByteReader, latin1, putBoth32, putLe32 } from '../../src/iso9660/bytes.js';
import { decodeDirectoryRecord, type DecodedDirectoryRecord } from '../../src/iso9660/directory-record.js';
import { encodeCE } from '../../src/iso9660/susp.js';
import { encodeIso, isoDirectory, isoFile, isoTreeFromPaths, openIso, type IsoDirectoryEntry, type IsoReadOptions } from '../../src/iso9660/index.js';
import { contextError, fixture, pattern } from './helpers.js';

const SAMPLE_TREE = isoTreeFromPaths([
  { path: 'meta-data', content: 'instance-id: x\n' },
  { path: 'user-data', content: pattern(3000) },
  { path: 'nested/deeper/file', content: 'deep' },
  { path: 'nested/other', content: 'other' },
  { path: 'empty', content: new Uint8Array(0) },
  { path: 'n'.repeat(200), content: 'long name' },
]);
const SAMPLE = encodeIso(SAMPLE_TREE, { volumeId: 'cidata', timestamp: 1700000000 });

/** Opens an image and reads every file: the whole surface a consumer touches. */
async function consume(iso: Uint8Array | { size: number; read(o: number, n: number): Promise<Uint8Array> }, options: IsoReadOptions = {}): Promise<number> {
  const image = await openIso(iso, options);
  let total = 0;
  const visit = async (d: IsoDirectoryEntry) => {
    for (const c of d.children) {
      if (c.kind === 'directory') await visit(c);
      else if (c.kind === 'file') for await (const chunk of image.readFile(c)) total += chunk.length;
    }
  };
  await visit(image.root);
  return total;
}

/** Absolute offset and decoded record of a plain ISO path in the primary tree (our images: no SP skip). */
function locate(iso: Uint8Array, path: string[]): { offset: number; rec: DecodedDirectoryRecord } {
  const pvdRoot = decodeDirectoryRecord(new ByteReader(iso, 0), 16 * 2048 + 156);
  let dir = pvdRoot;
  let found: { offset: number; rec: DecodedDirectoryRecord } = { offset: 16 * 2048 + 156, rec: pvdRoot };
  for (const name of path) {
    const data = new ByteReader(iso.subarray(dir.extent * 2048, dir.extent * 2048 + dir.dataLength), dir.extent * 2048);
    let hit: typeof found | undefined;
    for (let o = 0; o < dir.dataLength && hit === undefined; ) {
      if (data.u8(o) === 0) {
        o = (Math.floor(o / 2048) + 1) * 2048;
        continue;
      }
      const rec = decodeDirectoryRecord(data, o);
      if (latin1(rec.identifier).replace(/;1$/u, '').replace(/\.$/u, '') === name) hit = { offset: dir.extent * 2048 + o, rec };
      o += rec.length;
    }
    if (hit === undefined) throw new Error(`no ${name}`);
    found = hit;
    dir = hit.rec;
  }
  return found;
}

function patched(edit: (iso: Uint8Array) => void, base = SAMPLE): Uint8Array {
  const copy = base.slice();
  edit(copy);
  return copy;
}

/** A root directory of two blocks whose last record in the first block is made to run into the second. */
function recordCrossingBlock(): Uint8Array {
  const iso = encodeIso(Array.from({ length: 40 }, (_, k) => isoFile(`file-${k}`, 'x')), { volumeId: 'V' });
  const root = locate(iso, []).rec;
  const data = new ByteReader(iso.subarray(root.extent * 2048, root.extent * 2048 + 2048));
  let last = 0;
  for (let o = 0; o < 2048 && data.u8(o) !== 0; o += data.u8(o)) last = o;
  if (last + 254 <= 2048) throw new Error('fixture assumption: the first block is not full');
  iso[root.extent * 2048 + last] = 254;
  return iso;
}

const setExtent = (iso: Uint8Array, path: string[], lba: number) => putBoth32(iso, locate(iso, path).offset + 2, lba);
const setSize = (iso: Uint8Array, path: string[], size: number) => putBoth32(iso, locate(iso, path).offset + 10, size);

describe('crafted corruptions give the documented errors', () => {
  const root = locate(SAMPLE, []).rec.extent;
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ['zeros', () => consume(new Uint8Array(64 * 1024)), 'iso-not-iso9660', 'corrupt-data'],
    ['ten bytes', () => consume(new Uint8Array(10)), 'iso-not-iso9660', 'corrupt-data'],
    ['an image cut inside the descriptors', () => consume(SAMPLE.subarray(0, 17 * 2048)), 'iso-truncated', 'corrupt-data'],
    ['an image cut before its directories', () => consume(SAMPLE.subarray(0, 20 * 2048)), 'iso-extent-outside', 'corrupt-data'],
    ['a directory pointing to the root', () => consume(patched((i) => setExtent(i, ['NESTED'], root))), 'iso-dir-loop', 'corrupt-data'],
    ['a directory pointing to its parent', () => consume(patched((i) => setExtent(i, ['NESTED', 'DEEPER'], locate(i, ['NESTED']).rec.extent))), 'iso-dir-loop', 'corrupt-data'],
    ['a directory inside another', () => consume(patched((i) => { setExtent(i, ['NESTED', 'DEEPER'], locate(i, ['NESTED']).rec.extent); setSize(i, ['NESTED'], 4096); })), 'iso-dir-loop', 'corrupt-data'],
    ['a file extent past the end', () => consume(patched((i) => setExtent(i, ['USER_DAT'], 0xffffff00))), 'iso-extent-outside', 'corrupt-data'],
    ['a 4 GiB file size', () => consume(patched((i) => setSize(i, ['USER_DAT'], 0xffffffff))), 'iso-extent-outside', 'corrupt-data'],
    ['a 4 GiB directory', () => consume(patched((i) => setSize(i, ['NESTED'], 0xfffff800))), 'iso-directory-too-large', 'limit'],
    ['a file over a directory', () => consume(patched((i) => setExtent(i, ['META_DAT'], root))), 'iso-extent-overlap', 'corrupt-data'],
    ['a file over the descriptors', () => consume(patched((i) => setExtent(i, ['META_DAT'], 16))), 'iso-extent-overlap', 'corrupt-data'],
    ['a record crossing a block', () => consume(recordCrossingBlock()), 'iso-bad-record', 'corrupt-data'],
    ['a record shorter than 34 bytes', () => consume(patched((i) => (i[locate(i, ['META_DAT']).offset] = 20))), 'iso-bad-record', 'corrupt-data'],
    [
      'a System Use entry of length 2',
      () => consume(patched((i) => { const { offset, rec } = locate(i, ['META_DAT']); i[rec.systemUseOffset - offset + offset + 2] = 2; })),
      'iso-bad-susp',
      'corrupt-data',
    ],
    [
      'a Rock Ridge name with a slash',
      () => consume(patched((i) => { const { rec } = locate(i, ['META_DAT']); const nm = latin1(rec.systemUse).indexOf('NM'); i[rec.systemUseOffset + nm + 5] = 0x2f; })),
      'iso-bad-name',
      'corrupt-data',
    ],
    ['a tree deeper than maxDepth', () => consume(SAMPLE, { limits: { maxDepth: 2 } }), 'iso-too-deep', 'limit'],
    ['more entries than maxEntries', () => consume(SAMPLE, { limits: { maxEntries: 3 } }), 'iso-too-many-entries', 'limit'],
    ['a longer name than maxNameBytes', () => consume(SAMPLE, { limits: { maxNameBytes: 100 } }), 'iso-name-too-long', 'limit'],
    ['no terminator within maxDescriptors', () => consume(SAMPLE, { limits: { maxDescriptors: 2 } }), 'iso-no-terminator', 'corrupt-data'],
    ['a failing source', () => consume({ size: SAMPLE.length, read: () => Promise.reject(new Error('EIO')) }), 'iso-read-failed', 'corrupt-data'],
    ['a short-reading source', () => consume({ size: SAMPLE.length, read: (o, n) => Promise.resolve(SAMPLE.subarray(o, o + n - 1)) }), 'iso-truncated', 'corrupt-data'],
    ['a bad limit option', () => consume(SAMPLE, { limits: { maxDepth: 0 } }), 'iso-bad-option', 'invalid-input'],
  ];
  for (const [what, fn, code, kind] of cases) {
    it(`${what}: ${code}`, async () => {
      const e = await contextError(fn);
      expect(e.code, e.message).toBe(code);
      expect(e.kind).toBe(kind);
    });
  }

  /** The root `.` record's CE points at the ER area; rewrite that area to chain CEs. */
  function withContinuationChain(chain: (block: number) => Uint8Array[]): Uint8Array {
    return patched((i) => {
      const dot = locate(i, []).rec;
      const data = new ByteReader(i.subarray(dot.extent * 2048, dot.extent * 2048 + 2048), dot.extent * 2048);
      const first = decodeDirectoryRecord(data, 0);
      const ceAt = latin1(first.systemUse).indexOf('CE');
      const block = new ByteReader(first.systemUse).le32(ceAt + 4);
      const areas = chain(block);
      i.fill(0, block * 2048, block * 2048 + 2048);
      areas.forEach((a, k) => i.set(a, block * 2048 + 28 * k));
      putLe32(i, first.systemUseOffset + ceAt + 20, 28); // first area's length
    });
  }

  it('a continuation area that loops: iso-ce-loop', async () => {
    const iso = withContinuationChain((b) => [encodeCE({ block: b, offset: 0, length: 28 })]);
    expect((await contextError(() => consume(iso))).code).toBe('iso-ce-loop');
  });

  it('a continuation chain longer than maxContinuations: iso-ce-chain', async () => {
    const iso = withContinuationChain((b) => Array.from({ length: 40 }, (_, k) => encodeCE({ block: b, offset: 28 * (k + 1), length: 28 })));
    const e = await contextError(() => consume(iso));
    expect(e.code).toBe('iso-ce-chain');
    expect(e.kind).toBe('limit');
  });

  it('a continuation area past its block: iso-bad-ce', async () => {
    const iso = withContinuationChain((b) => [encodeCE({ block: b, offset: 2040, length: 28 })]);
    expect((await contextError(() => consume(iso))).code).toBe('iso-bad-ce');
  });

  it('joins multi-extent sections into one file (ECMA-119 §6.5.1)', async () => {
    const base = encodeIso([isoFile('a', new Uint8Array(2048).fill(0x41)), isoFile('b', new Uint8Array(100).fill(0x42))], { volumeId: 'V', rockRidge: false, joliet: false });
    const a = locate(base, ['A']).offset;
    const b = locate(base, ['B']).offset;
    const iso = patched((i) => {
      i[a + 25] = 0x80;
      i[b + 33] = 0x41;
    }, base);
    const image = await openIso(iso);
    const f = image.find('a');
    expect(f?.kind === 'file' ? f.sections.length : 0).toBe(2);
    const bytes = await image.readFileBytes('a');
    expect(bytes.length).toBe(2148);
    expect(bytes[2047]).toBe(0x41);
    expect(bytes[2048]).toBe(0x42);
    const unfinished = patched((i) => (i[b + 25] = 0x80), iso);
    expect((await contextError(() => openIso(unfinished))).code).toBe('iso-bad-multi-extent');
  });
});

/** Runs `consume` and checks the outcome is a value or a ContextError, within `ms`. */
async function survives(iso: Uint8Array, ms = 2000): Promise<void> {
  const start = performance.now();
  try {
    await consume(iso);
  } catch (e) {
    if (!(e instanceof ContextError)) throw new Error(`not a ContextError: ${String(e)}`, { cause: e });
  }
  expect(performance.now() - start).toBeLessThan(ms);
}

const SEEDS = [
  SAMPLE,
  encodeIso([isoDirectory('a', [isoDirectory('b', [isoFile('c', 'x')])]), isoFile('d', pattern(5000))], { volumeId: 'V', isoLevel: 2 }),
  new Uint8Array(readFileSync(fixture('genisoimage-cidata.iso'))),
  new Uint8Array(readFileSync(fixture('xorriso-context.iso'))),
];
/** Mutations stay in the metadata (the first 40 blocks); data bytes are not interpreted. */
const META = 40 * 2048;

describe('fuzz: never a crash, a hang or a foreign exception', () => {
  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 48 * 2048 }), (b) => survives(b)), { numRuns: 150 });
  });

  it('random blocks behind a valid descriptor set', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.uint8Array({ minLength: 2048, maxLength: 20 * 2048 }), async (seed, tail) => {
        const iso = new Uint8Array(19 * 2048 + tail.length);
        iso.set(seed.subarray(0, 19 * 2048));
        iso.set(tail, 19 * 2048);
        await survives(iso);
      }),
      { numRuns: 150 },
    );
  });

  it('flipped bytes in valid images', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(META - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 24 }), async (seed, flips) => {
        const iso = seed.slice();
        for (const [at, v] of flips) if (at < iso.length) iso[at] = v;
        await survives(iso);
      }),
      { numRuns: 1000 },
    );
  });

  it('huge or forged 32-bit fields (extents, lengths, CE addresses)', async () => {
    const value = fc.oneof(fc.constantFrom(0, 1, 16, 17, 18, 0x7fffffff, 0x80000000, 0xfffff800, 0xffffffff), fc.nat(64));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(META / 2 - 1), value), { minLength: 1, maxLength: 6 }), async (seed, patches) => {
        const iso = seed.slice();
        for (const [half, v] of patches) {
          const at = half * 2;
          if (at + 8 <= iso.length) putBoth32(iso, at, v);
        }
        await survives(iso);
      }),
      { numRuns: 1000 },
    );
  });

  it('truncated images', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.nat(), async (seed, n) => survives(seed.subarray(0, n % (seed.length + 1)))),
      { numRuns: 300 },
    );
  });
});
