/**
 * The reader distrusts its input: crafted corruptions give the documented
 * ContextError, a broken long name falls back to the short name, and
 * random or mutated images give a volume or a ContextError.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextError } from '../../src/errors.js';
import { setEntry } from '../../src/fat/fat-table.js';
import { fatDirectory, fatFile, fatVolumeLabel, readFat, writeFat, type FatReadOptions } from '../../src/fat/index.js';
import { contextError, fatFixture, pattern } from './helpers.js';

const TREE = [
  fatFile('first.bin', pattern(5000, 1)),
  fatFile('second.bin', pattern(3000, 2)),
  fatFile('a long name.txt', 'long\n'),
  fatDirectory('etc', [fatDirectory('network', [fatFile('interfaces', 'auto lo\n')])]),
];
const SAMPLE = writeFat(TREE, { volumeLabel: 'ROBUST', sizeBytes: 1_024_000 });
const FAT_AT = 512;
const ROOT_AT = 512 * (1 + 2 * (SAMPLE[22]! | (SAMPLE[23]! << 8)));

/** Offset of the short entry with this raw 8.3 name (every directory entry is 32-byte aligned). */
function entryAt(img: Uint8Array, raw: string): number {
  const want = Buffer.from(raw, 'latin1');
  for (let o = ROOT_AT; o + 32 <= img.length; o += 32) if (want.equals(img.subarray(o, o + 11))) return o;
  throw new Error(`no entry ${raw}`);
}

const cluster = (img: Uint8Array, raw: string) => img[entryAt(img, raw) + 26]! | (img[entryAt(img, raw) + 27]! << 8);

function mutate(edit: (img: Uint8Array) => void): Uint8Array {
  const img = SAMPLE.slice();
  edit(img);
  return img;
}

async function code(img: Uint8Array, options?: FatReadOptions): Promise<string> {
  return (await contextError(() => readFat(img, options))).code;
}

describe('crafted corruptions', () => {
  it.each([
    ['an empty image', () => new Uint8Array(0), 'fat-not-fat'],
    ['zeros', () => new Uint8Array(65536), 'fat-not-fat'],
    ['1000 bytes per sector', () => mutate((b) => b.set([0xe8, 0x03], 11)), 'fat-not-fat'],
    ['3 sectors per cluster', () => mutate((b) => (b[13] = 3)), 'fat-bad-bpb'],
    ['no reserved sector', () => mutate((b) => b.set([0, 0], 14)), 'fat-bad-bpb'],
    ['3 FATs', () => mutate((b) => (b[16] = 3)), 'fat-bad-bpb'],
    ['media 0x12', () => mutate((b) => (b[21] = 0x12)), 'fat-bad-bpb'],
    ['root of 17 entries', () => mutate((b) => b.set([17, 0], 17)), 'fat-bad-bpb'],
    ['a FAT of 1 sector for 490 clusters', () => mutate((b) => b.set([1, 0], 22)), 'fat-bad-bpb'],
    ['FAT32 fields', () => mutate((b) => b.fill(0, 17, 19).fill(0, 22, 24)), 'fat-unsupported'],
    ['a volume larger than the image', () => SAMPLE.slice(0, 500_000), 'fat-truncated'],
    ['a chain that returns to itself', () => mutate((b) => setEntry(b.subarray(FAT_AT), 'fat12', cluster(b, 'FIRST   BIN'), cluster(b, 'FIRST   BIN'))), 'fat-chain-loop'],
    ['two files sharing clusters', () => mutate((b) => b.set(b.subarray(entryAt(b, 'FIRST   BIN') + 26, entryAt(b, 'FIRST   BIN') + 28), entryAt(b, 'SECOND  BIN') + 26)), 'fat-cross-linked'],
    ['a directory pointing at its parent', () => mutate((b) => b.set(b.subarray(entryAt(b, 'ETC        ') + 26, entryAt(b, 'ETC        ') + 28), entryAt(b, 'NETWORK    ') + 26)), 'fat-cross-linked'],
    ['a chain through a free cluster', () => mutate((b) => setEntry(b.subarray(FAT_AT), 'fat12', cluster(b, 'FIRST   BIN'), 0x300)), 'fat-bad-chain'],
    ['a chain past the last cluster', () => mutate((b) => setEntry(b.subarray(FAT_AT), 'fat12', cluster(b, 'FIRST   BIN'), 0xff0)), 'fat-bad-chain'],
    ['a size longer than the chain', () => mutate((b) => b.set([0x00, 0x20], entryAt(b, 'SECOND  BIN') + 28)), 'fat-size-mismatch'],
    ['a size shorter than the chain', () => mutate((b) => b.set([0x10, 0x00], entryAt(b, 'SECOND  BIN') + 28)), 'fat-size-mismatch'],
    ['an empty file with a cluster', () => mutate((b) => b.fill(0, entryAt(b, 'SECOND  BIN') + 28, entryAt(b, 'SECOND  BIN') + 32)), 'fat-size-mismatch'],
    ['a short name with NUL', () => mutate((b) => (b[entryAt(b, 'SECOND  BIN') + 3] = 0)), 'fat-bad-name'],
    ['a long name with /', () => mutate((b) => b.set([0x2f, 0], entryAt(b, 'ALONGN~1TXT') - 32 + 1)), 'fat-bad-name'],
    ['two entries of one name', () => mutate((b) => b.set(b.subarray(entryAt(b, 'FIRST   BIN'), entryAt(b, 'FIRST   BIN') + 11), entryAt(b, 'SECOND  BIN'))), 'fat-duplicate-name'],
  ])('%s', async (_what, make, expected) => {
    expect(await code(make())).toBe(expected);
  });

  it('enforces its limits', async () => {
    expect(await code(SAMPLE, { limits: { maxEntries: 3 } })).toBe('fat-too-many-entries');
    expect(await code(SAMPLE, { limits: { maxDepth: 2 } })).toBe('fat-too-deep');
    expect(await code(SAMPLE, { limits: { maxTotalBytes: 6000 } })).toBe('fat-too-large');
    expect(await code(SAMPLE, { limits: { maxDirectoryBytes: 1024 } })).toBe('fat-directory-too-large');
    expect(await code(SAMPLE, { limits: { maxEntries: 0 } })).toBe('fat-bad-option');
  });

  it('shows the short name when a long name is broken, as Linux does', async () => {
    const lfn = entryAt(SAMPLE, 'ALONGN~1TXT') - 32;
    const names = async (img: Uint8Array) => (await readFat(img)).root.children.map((c) => c.name);
    expect(await names(SAMPLE)).toContain('a long name.txt');
    expect(await names(mutate((b) => (b[lfn + 13]! ^= 1)))).toContain('ALONGN~1.TXT'); // checksum
    expect(await names(mutate((b) => (b[lfn] = 0x42)))).toContain('ALONGN~1.TXT'); // sequence: 2 of a run of 1
    expect(await names(mutate((b) => (b[lfn - 32] = 0x02)))).toContain('ALONGN~1.TXT'); // no first (0x40) entry
  });

  it('reads a source that fails or answers short as a ContextError', async () => {
    const failing = { size: SAMPLE.length, read: () => Promise.reject(new Error('EIO')) };
    expect((await contextError(() => readFat(failing))).code).toBe('fat-read-failed');
    const short = { size: SAMPLE.length, read: (o: number, n: number) => Promise.resolve(SAMPLE.subarray(o, o + Math.max(0, n - 1))) };
    expect((await contextError(() => readFat(short))).code).toBe('fat-truncated');
    expect((await contextError(() => readFat({} as never))).code).toBe('fat-bad-source');
  });
});

describe('fatVolumeLabel', () => {
  it('reads BS_VolLab of our images and of mkfs.fat, and nothing from other bytes', () => {
    expect(fatVolumeLabel(SAMPLE.subarray(0, 512))).toBe('ROBUST');
    expect(fatVolumeLabel(readFileSync(fatFixture('mkfs-cloud-init.img')).subarray(0, 512))).toBe('_CLOUD_INIT');
    expect(fatVolumeLabel(writeFat([], { volumeLabel: '' }).subarray(0, 512))).toBeUndefined();
    expect(fatVolumeLabel(new Uint8Array(512))).toBeUndefined();
    expect(fatVolumeLabel(SAMPLE.subarray(0, 100))).toBeUndefined();
  });
});

async function survives(bytes: Uint8Array): Promise<void> {
  try {
    await readFat(bytes);
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
  }
}

describe('random and mutated images', () => {
  const SEEDS = [SAMPLE, writeFat(TREE, { volumeLabel: 'F16', sizeBytes: 16 * 1024 * 1024 }).slice(0, 16 * 1024 * 1024), readFileSync(fatFixture('mkfs-cloud-init.img'))];

  it('random bytes give a value or a ContextError', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 8192 }), (b) => survives(b)), { numRuns: 200 });
  });

  it('random bytes behind a valid boot sector give a value or a ContextError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.uint8Array({ minLength: 512, maxLength: 16384 }), async (seed, tail) => {
        const img = seed.slice();
        img.set(tail, 512);
        await survives(img);
      }),
      { numRuns: 150 },
    );
  });

  it('byte flips in the metadata give a value or a ContextError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(ROOT_AT + 16 * 512 - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 24 }), async (seed, flips) => {
        const img = seed.slice();
        for (const [at, v] of flips) img[at] = v;
        await survives(img);
      }),
      { numRuns: 300 },
    );
  });
});
