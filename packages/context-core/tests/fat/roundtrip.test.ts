/** Writer options, determinism and geometry, and random trees through writeFat then readFat. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fatDirectory, fatFile, fatVolumeLabel, planFat, readFat, writeFat, type FatEntry, type FatEntryInput } from '../../src/fat/index.js';
import { contextError, pattern } from './helpers.js';

const TREE = [fatFile('meta.js', '{}'), fatDirectory('root', [fatDirectory('.ssh', [fatFile('authorized_keys', 'k\n')])])];
const le16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);

describe('writeFat', () => {
  it('makes the same bytes for the same input, and a serial that follows the content', () => {
    const a = writeFat(TREE, { volumeLabel: 'X' });
    expect(writeFat(TREE, { volumeLabel: 'X' })).toEqual(a);
    const b = writeFat([...TREE, fatFile('more', 'y')], { volumeLabel: 'X' });
    expect(b.subarray(39, 43)).not.toEqual(a.subarray(39, 43));
  });

  it('writes the StratusLab volume as mkfs.fat would lay out its BPB: FAT12, 2000 sectors, 16/2 geometry, media 0xF8', () => {
    const b = writeFat(TREE, { volumeLabel: '_CLOUD_INIT', sizeBytes: 1_024_000 });
    expect(b.length).toBe(1_024_000);
    expect({ bps: le16(b, 11), spc: b[13], fats: b[16], root: le16(b, 17), total: le16(b, 19), media: b[21], spt: le16(b, 24), heads: le16(b, 26) }).toEqual({
      bps: 512,
      spc: 4,
      fats: 2,
      root: 512,
      total: 2000,
      media: 0xf8,
      spt: 16,
      heads: 2,
    });
    expect(new TextDecoder().decode(b.subarray(54, 62))).toBe('FAT12   ');
    expect(fatVolumeLabel(b.subarray(0, 512))).toBe('_CLOUD_INIT');
  });

  it('chooses FAT12 or FAT16 by the cluster count alone', () => {
    for (const [size, type] of [
      [8 * 1024 * 1024, 'fat12'],
      [16 * 1024 * 1024, 'fat16'],
      [256 * 1024 * 1024, 'fat16'],
    ] as const) {
      const g = planFat([], { volumeLabel: '', sizeBytes: size }).geometry;
      expect(g.type).toBe(type);
      expect(g.clusters <= 4084).toBe(type === 'fat12');
      expect(g.clusters).toBeLessThanOrEqual(65524);
    }
    // Every size near the FAT12/FAT16 boundary gives a count consistent with its type, and none of 4084-4086.
    for (let sectors = 16_300; sectors < 16_500; sectors += 2) {
      const g = planFat([], { volumeLabel: '', sizeBytes: sectors * 512 }).geometry;
      expect(g.clusters <= 4084 ? 'fat12' : 'fat16').toBe(g.type);
      expect(g.clusters < 4084 || g.clusters > 4086).toBe(true);
      expect(g.fatSectors * 512 * 8).toBeGreaterThanOrEqual((g.clusters + 2) * (g.type === 'fat12' ? 12 : 16));
    }
  });

  it('fits the default size to the content', async () => {
    const big = writeFat([fatFile('big', pattern(3_000_000))], { volumeLabel: 'FIT' });
    expect(big.length % 65536).toBe(0);
    expect(big.length).toBeLessThan(3_300_000);
    expect((await readFat(big)).root.children[0]).toMatchObject({ name: 'big', size: 3_000_000 });
  });

  it('dates every entry with sourceDateEpoch, clamped to 1980', async () => {
    expect((await readFat(writeFat(TREE, { volumeLabel: 'D', sourceDateEpoch: 1_700_000_000 }))).root.children[0]!.mtime).toBe(1_700_000_000);
    expect((await readFat(writeFat(TREE, { volumeLabel: 'D', sourceDateEpoch: 0 }))).root.children[0]!.mtime).toBe(315_532_800);
  });

  it.each([
    [[fatFile('a', ''), fatFile('A', '')], {}, 'fat-duplicate-name'],
    [[fatFile('a/b', '')], {}, 'fat-bad-name'],
    [[fatFile('trailing.', '')], {}, 'fat-bad-name'],
    [[fatFile('x?', '')], {}, 'fat-bad-name'],
    [[fatFile('n'.repeat(256), '')], {}, 'fat-name-too-long'],
    [[], { volumeLabel: 'TWELVE_CHARS' }, 'fat-bad-option'],
    [[], { volumeLabel: 'a.b' }, 'fat-bad-option'],
    [[], { sizeBytes: 1000 }, 'fat-bad-option'],
    [[fatFile('big', new Uint8Array(70_000))], { sizeBytes: 65536 }, 'fat-no-space'],
  ] as const)('refuses %j %j: %s', async (tree, options, code) => {
    const e = await contextError(() => writeFat(tree as unknown as FatEntryInput[], { volumeLabel: 'L', ...options }));
    expect(e.code).toBe(code);
  });
});

/** Names of safe characters that stay names: no trailing dot or space. */
const nameArb = fc
  .string({ unit: fc.constantFrom('a', 'B', 'c', 'Z', '1', ' ', '.', '-', '_', '~', 'é', '+', '[', '☃'), minLength: 1, maxLength: 40 })
  .filter((s) => !/[. ]$/u.test(s));

const contentArb = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ maxLength: 100 }),
  fc.integer({ min: 2047, max: 7000 }).map((n) => pattern(n, n)),
);

const treeArb: fc.Memo<FatEntryInput[]> = fc.memo((depth) =>
  fc
    .uniqueArray(fc.tuple(nameArb, depth > 1 ? fc.boolean() : fc.constant(false)), { selector: ([n]) => n.toUpperCase(), maxLength: 12 })
    .chain((items) =>
      fc.tuple(...items.map(([name, dir]) => (dir ? treeArb(depth - 1).map((c) => fatDirectory(name, c)) : contentArb.map((c) => fatFile(name, c))))),
    )
    .map((entries) => entries as FatEntryInput[]),
);

function shape(entries: readonly (FatEntry | FatEntryInput)[]): unknown[] {
  return entries.map((e) => (e.kind === 'directory' ? [e.name, shape(e.children)] : [e.name, Buffer.from(e.content).toString('hex')]));
}

describe('random trees', () => {
  it('read back as written', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb(4), fc.constantFrom(undefined, 1_024_000), async (tree, sizeBytes) => {
        let image: Uint8Array;
        try {
          image = writeFat(tree, { volumeLabel: 'PROP', sizeBytes });
        } catch (e) {
          if ((e as { code?: string }).code === 'fat-no-space' && sizeBytes !== undefined) return;
          throw e;
        }
        const v = await readFat(image);
        expect(shape(v.root.children)).toEqual(shape(tree));
        expect(v.label).toBe('PROP');
      }),
      { numRuns: 80 },
    );
  });
});
