/**
 * The reader's work is bounded per image, not only per record: every
 * directory record of a forged image may point into one shared chain of
 * continuation areas, each hop within the per-chain limit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ByteReader, latin1 } from '../../src/iso9660/bytes.js';
import { decodeDirectoryRecord } from '../../src/iso9660/directory-record.js';
import { DEFAULT_READ_LIMITS } from '../../src/iso9660/format.js';
import { encodeIso, isoFile, openIso } from '../../src/iso9660/index.js';
import { encodeCE, encodeEntry } from '../../src/iso9660/susp.js';
import { contextError, hexDiff } from './helpers.js';

const HOPS = DEFAULT_READ_LIMITS.maxContinuations;

/**
 * `files` small files and a file `chain` of HOPS blocks. The chain's blocks
 * are rewritten as continuation areas, each full of 4-byte entries and
 * ending in a CE to the next; every other file's PX entry is replaced by a
 * CE to the chain's first block (and an 8-byte filler entry, so the record
 * keeps its length).
 */
function sharedChainImage(files: number): Uint8Array {
  const tree = [isoFile('chain', new Uint8Array(HOPS * 2048)), ...Array.from({ length: files }, (_, k) => isoFile(`f${k}`, ''))];
  const iso = encodeIso(tree, { volumeId: 'V', joliet: false, padBlocks: 0 });
  const pvdRoot = decodeDirectoryRecord(new ByteReader(iso), 16 * 2048 + 156);
  const dir = new ByteReader(iso.subarray(pvdRoot.extent * 2048, pvdRoot.extent * 2048 + pvdRoot.dataLength), pvdRoot.extent * 2048);
  const records: { offset: number; name: string; extent: number; systemUseOffset: number; systemUse: Uint8Array }[] = [];
  for (let o = 0; o < dir.length; ) {
    if (dir.u8(o) === 0) {
      o = (Math.floor(o / 2048) + 1) * 2048;
      continue;
    }
    const rec = decodeDirectoryRecord(dir, o);
    records.push({ offset: dir.base + o, name: latin1(rec.identifier), extent: rec.extent, systemUseOffset: rec.systemUseOffset, systemUse: rec.systemUse });
    o += rec.length;
  }
  const chain = records.find((r) => r.name.startsWith('CHAIN'))!.extent;
  const filler = encodeEntry('ZZ', new Uint8Array(0));
  for (let hop = 0; hop < HOPS; hop++) {
    const at = (chain + hop) * 2048;
    const last = hop === HOPS - 1;
    const room = last ? 2048 : 2048 - 28;
    for (let o = 0; o + 4 <= room; o += 4) iso.set(filler, at + o);
    if (!last) iso.set(encodeCE({ block: chain + hop + 1, offset: 0, length: 2048 }), at + room);
  }
  const ce = encodeCE({ block: chain, offset: 0, length: 2048 });
  for (const r of records) {
    if (!r.name.startsWith('F')) continue;
    const px = latin1(r.systemUse).indexOf('PX');
    iso.set(ce, r.systemUseOffset + px);
    iso.set(encodeEntry('ZZ', new Uint8Array(4)), r.systemUseOffset + px + 28);
  }
  return iso;
}

/** fixtures/fuzz/iso9660-shared-ce-chain.iso: the shape, small enough to keep, replayed and mutated by `npm run fuzz`. */
const FIXTURE = fileURLToPath(new URL('../../../../fixtures/fuzz/iso9660-shared-ce-chain.iso', import.meta.url));

describe('the work budget of one image', () => {
  it('the fixture is sharedChainImage(300) and is refused', async () => {
    const iso = sharedChainImage(300);
    if (process.env['UPDATE_FUZZ_FIXTURES'] === '1') writeFileSync(FIXTURE, iso);
    expect(hexDiff(iso, readFileSync(FIXTURE))).toBe('');
    expect((await contextError(() => openIso(iso))).code).toBe('iso-work-budget');
  });

  it('an image whose records all share one long continuation chain: iso-work-budget, quickly', async () => {
    const iso = sharedChainImage(2000);
    const start = performance.now();
    const e = await contextError(() => openIso(iso));
    expect(e.code, e.message).toBe('iso-work-budget');
    expect(e.kind).toBe('limit');
    // Without a budget across the image this takes over 15 s (several ms a record).
    expect(performance.now() - start).toBeLessThan(1500);
  });

  it('a well-formed image with a continuation area on every record stays within the budget', async () => {
    const names = Array.from({ length: 2000 }, (_, k) => `${'n'.repeat(240)}${k}`);
    const image = await openIso(encodeIso(names.map((n) => isoFile(n, 'x')), { volumeId: 'V', joliet: false }));
    expect(image.root.children.map((c) => c.name).sort()).toEqual(names.sort());
  });

  it('the budget is an option', async () => {
    const iso = encodeIso([isoFile('a', 'x'), isoFile('b', 'y')], { volumeId: 'V' });
    await openIso(iso, { limits: { maxSuspEntries: 100 } });
    const e = await contextError(() => openIso(iso, { limits: { maxSuspEntries: 5 } }));
    expect(e.code).toBe('iso-work-budget');
  });
});
