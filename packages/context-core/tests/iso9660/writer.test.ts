import { describe, expect, it } from 'vitest';
import { ByteReader, latin1, ucs2be } from '../../src/iso9660/bytes.js';
import { decodeDirectoryRecord } from '../../src/iso9660/directory-record.js';
import { decodePathTable } from '../../src/iso9660/path-table.js';
import { parseArea } from '../../src/iso9660/susp.js';
import { decodeVolumeDescriptor } from '../../src/iso9660/volume-descriptor.js';
import {
  encodeIso,
  isoDirectory,
  isoFile,
  isoTreeFromPaths,
  openIso,
  planIso,
  writeIso,
  writeIsoToBuffer,
  type IsoEntryInput,
} from '../../src/iso9660/index.js';
import { contextError, hexDiff, pattern } from './helpers.js';

const TREE: IsoEntryInput[] = isoTreeFromPaths([
  { path: 'meta-data', content: 'instance-id: iid-local01\n' },
  { path: 'user-data', content: '#cloud-config\n' },
  { path: 'openstack/latest/meta_data.json', content: '{"uuid":"x"}' },
  { path: 'openstack/latest/big.bin', content: pattern(5000) },
  { path: 'empty', content: new Uint8Array(0) },
  { path: 'n'.repeat(240) + '.txt', content: 'long name' },
]);

const block = (iso: Uint8Array, lba: number) => new ByteReader(iso.subarray(lba * 2048, (lba + 1) * 2048), lba * 2048);

/** The records of the directory at `lba` (first block only) as identifier -> decoded record. */
function records(iso: Uint8Array, lba: number) {
  const b = block(iso, lba);
  const out = [];
  for (let o = 0; o < 2048 && b.u8(o) !== 0; ) {
    const r = decodeDirectoryRecord(b, o);
    out.push(r);
    o += r.length;
  }
  return out;
}

describe('volume descriptors (ECMA-119 §8.4, Joliet §3)', () => {
  for (const volumeId of ['cidata', 'config-2', 'CONTEXT', '_STRATUSLAB', 'HEPIX']) {
    it(`writes volume id ${volumeId} verbatim in the PVD and the Joliet SVD`, () => {
      const iso = encodeIso(TREE, { volumeId, timestamp: 1700000000 });
      const pvd = decodeVolumeDescriptor(block(iso, 16));
      const svd = decodeVolumeDescriptor(block(iso, 17));
      expect(pvd.type).toBe(1);
      expect(pvd.volumeId).toBe(volumeId);
      expect(latin1(iso.subarray(16 * 2048 + 40, 16 * 2048 + 72))).toBe(volumeId.padEnd(32, ' '));
      expect(svd.joliet).toBe(true);
      expect(svd.volumeId).toBe(volumeId);
      expect(iso[18 * 2048]).toBe(255);
      expect(pvd.volumeBlocks * 2048).toBe(iso.length);
      expect(svd.volumeBlocks).toBe(pvd.volumeBlocks);
      // modification date (blkid's UUID): 2023-11-14 22:13:20 GMT
      expect(latin1(iso.subarray(16 * 2048 + 830, 16 * 2048 + 847))).toBe('2023111422132000\0');
      expect(latin1(iso.subarray(16 * 2048 + 847, 16 * 2048 + 864))).toBe('0000000000000000\0');
    });
  }

  it('leaves the system area zero and puts the root record at offset 156', () => {
    const iso = encodeIso(TREE, { volumeId: 'cidata' });
    expect(iso.subarray(0, 16 * 2048).every((b) => b === 0)).toBe(true);
    const pvd = decodeVolumeDescriptor(block(iso, 16));
    expect(pvd.root.length).toBe(34);
    expect(pvd.root.flags).toBe(2);
    expect(pvd.root.dataLength % 2048).toBe(0);
  });
});

describe('path tables (ECMA-119 §9.4)', () => {
  it('L and M tables list every directory in level order with correct parents and extents', () => {
    const iso = encodeIso(
      [isoDirectory('b', [isoDirectory('y', []), isoDirectory('x', [isoDirectory('deep', [])])]), isoDirectory('a', []), isoFile('f', 'x')],
      { volumeId: 'CONTEXT' },
    );
    for (const vd of [16, 17]) {
      const d = decodeVolumeDescriptor(block(iso, vd));
      const l = decodePathTable(new ByteReader(iso.subarray(d.pathTableL * 2048, d.pathTableL * 2048 + d.pathTableSize)), 'L', 100);
      const m = decodePathTable(new ByteReader(iso.subarray(d.pathTableM * 2048, d.pathTableM * 2048 + d.pathTableSize)), 'M', 100);
      expect(m).toEqual(l);
      const names = l.map((e) => (vd === 16 || e.identifier.length === 1 ? latin1(e.identifier) : ucs2be(e.identifier)));
      expect(names).toEqual(['\0', vd === 16 ? 'A' : 'a', vd === 16 ? 'B' : 'b', vd === 16 ? 'X' : 'x', vd === 16 ? 'Y' : 'y', vd === 16 ? 'DEEP' : 'deep']);
      expect(l.map((e) => e.parent)).toEqual([1, 1, 1, 3, 3, 4]);
      expect(l[0]!.extent).toBe(d.root.extent);
      // each directory's `.` record points to itself
      for (const e of l) expect(records(iso, e.extent)[0]!.extent).toBe(e.extent);
    }
  });
});

describe('Rock Ridge (SUSP/RRIP)', () => {
  it('starts the root `.` record with SP and declares RRIP_1991A in a CE continuation area', () => {
    const iso = encodeIso(TREE, { volumeId: 'cidata' });
    const root = decodeVolumeDescriptor(block(iso, 16)).root;
    const dot = records(iso, root.extent)[0]!;
    const { entries, next } = parseArea(new ByteReader(dot.systemUse));
    expect(entries.map((e) => e.signature)).toEqual(['SP', 'PX', 'TF']);
    expect([...entries[0]!.data.slice(0, 3)]).toEqual([0xbe, 0xef, 0]);
    expect(next).toBeDefined();
    const ce = parseArea(new ByteReader(iso.subarray(next!.block * 2048 + next!.offset, next!.block * 2048 + next!.offset + next!.length)));
    expect(ce.entries.map((e) => e.signature)).toEqual(['ER']);
    expect(latin1(ce.entries[0]!.data.slice(4, 10))).toBe('RRIP_1991A');
    expect(ce.entries[0]!.data.length + 4).toBe(237);
  });

  it('gives files PX, TF and NM, and splits a long NM into a continuation area', () => {
    const iso = encodeIso(TREE, { volumeId: 'cidata' });
    const root = decodeVolumeDescriptor(block(iso, 16)).root;
    const recs = records(iso, root.extent);
    const meta = recs.find((r) => latin1(r.identifier) === 'META_DAT.;1')!;
    const sig = parseArea(new ByteReader(meta.systemUse)).entries.map((e) => e.signature);
    expect(sig).toEqual(['PX', 'TF', 'NM']);
    const long = recs.find((r) => latin1(r.identifier) === 'NNNNNNNN.TXT;1')!;
    expect(long.length).toBeLessThanOrEqual(254);
    const area = parseArea(new ByteReader(long.systemUse));
    expect(area.entries.map((e) => e.signature)).toEqual(['PX', 'TF', 'NM']);
    expect(area.entries[2]!.data.u8(0)).toBe(1); // NM CONTINUE
    expect(area.next).toBeDefined();
    // every record fits in 254 bytes and none crosses a block
    for (const r of recs) expect(r.length % 2).toBe(0);
  });

  it('writes no System Use data when rockRidge is off, and no SVD when joliet is off', async () => {
    const iso = encodeIso(TREE, { volumeId: 'CONTEXT', rockRidge: false, joliet: false });
    expect(iso[17 * 2048]).toBe(255);
    const root = decodeVolumeDescriptor(block(iso, 16)).root;
    for (const r of records(iso, root.extent)) expect(r.systemUse.length).toBeLessThanOrEqual(1);
    const img = await openIso(iso);
    expect(img.namespace).toBe('iso9660');
    expect(img.root.children.map((c) => c.name).sort()).toEqual(['empty', 'meta_dat', 'nnnnnnnn.txt', 'openstac', 'user_dat']);
  });
});

describe('reproducibility', () => {
  it('gives the same bytes for the same tree and options', async () => {
    const a = encodeIso(TREE, { volumeId: 'cidata', timestamp: 1700000000 });
    const b = await writeIsoToBuffer(TREE, { volumeId: 'cidata', timestamp: 1700000000 });
    expect(hexDiff(a, b)).toBe('');
  });

  it('does not depend on the order of the input entries (data in path order)', () => {
    const a = encodeIso(TREE, { volumeId: 'cidata' });
    const b = encodeIso([...TREE].reverse(), { volumeId: 'cidata' });
    expect(hexDiff(a, b)).toBe('');
  });

  it('changes with the timestamp option, and only in date fields', () => {
    const a = encodeIso(TREE, { volumeId: 'cidata', timestamp: 1700000000 });
    const b = encodeIso(TREE, { volumeId: 'cidata', timestamp: new Date('2030-01-02T03:04:05Z') });
    expect(a.length).toBe(b.length);
    expect(hexDiff(a, b)).not.toBe('');
    expect(latin1(b.subarray(16 * 2048 + 813, 16 * 2048 + 829))).toBe('2030010203040500');
  });

  it('plans every extent in block order without gaps, matching the bytes written', async () => {
    const plan = planIso(TREE, { volumeId: 'cidata', padBlocks: 3, dataOrder: 'input' });
    let next = 0;
    for (const e of plan.extents) {
      expect(e.lba).toBe(next);
      next += e.blocks;
    }
    expect(next).toBe(plan.volumeBlocks);
    let n = 0;
    for await (const chunk of writeIso(plan)) n += chunk.length;
    expect(n).toBe(plan.byteLength);
    expect(plan.extents.filter((e) => e.kind === 'file').map((e) => e.path)).toEqual([
      '/meta-data',
      '/user-data',
      '/openstack/latest/meta_data.json',
      '/openstack/latest/big.bin',
      '/' + 'n'.repeat(240) + '.txt',
    ]);
  });
});

describe('input validation', () => {
  const codes: [string, () => unknown, string, string][] = [
    ['duplicate names', () => planIso([isoFile('a', 'x'), isoFile('a', 'y')], { volumeId: 'V' }), 'iso-duplicate-name', 'invalid-input'],
    ['a slash in a name', () => planIso([isoFile('a/b', 'x')], { volumeId: 'V' }), 'iso-bad-name', 'invalid-input'],
    ['a dot name', () => planIso([isoFile('..', 'x')], { volumeId: 'V' }), 'iso-bad-name', 'invalid-input'],
    ['a lone surrogate', () => planIso([isoFile('a\ud800', 'x')], { volumeId: 'V' }), 'iso-bad-name', 'invalid-input'],
    ['a 254-byte name', () => planIso([isoFile('x'.repeat(254), 'x')], { volumeId: 'V' }), 'iso-name-too-long', 'limit'],
    ['an empty volume id', () => planIso([], { volumeId: '' }), 'iso-bad-option', 'invalid-input'],
    ['a 33-byte volume id', () => planIso([], { volumeId: 'x'.repeat(33) }), 'iso-bad-option', 'invalid-input'],
    ['a non-ASCII volume id', () => planIso([], { volumeId: 'café' }), 'iso-bad-option', 'invalid-input'],
    ['a timestamp before 1900', () => planIso([], { volumeId: 'V', timestamp: -2209075201 }), 'iso-bad-timestamp', 'invalid-input'],
    ['a fractional timestamp', () => planIso([], { volumeId: 'V', timestamp: 1.5 }), 'iso-bad-timestamp', 'invalid-input'],
    ['a bad mode', () => planIso([isoFile('a', 'x', 0o10000)], { volumeId: 'V' }), 'iso-bad-mode', 'invalid-input'],
    ['a bad kind', () => planIso([{ kind: 'fifo', name: 'a' } as never], { volumeId: 'V' }), 'iso-bad-tree', 'invalid-input'],
    ['a bad content', () => planIso([{ kind: 'file', name: 'a', content: 'x' } as never], { volumeId: 'V' }), 'iso-bad-content', 'invalid-input'],
    ['a 5 GiB file', () => planIso([isoFile('a', { size: 5 * 2 ** 30, open: () => [] })], { volumeId: 'V' }), 'iso-file-too-large', 'limit'],
    ['a foreign plan', () => writeIso({ volumeId: 'V' } as never).next(), 'iso-bad-plan', 'invalid-input'],
  ];
  for (const [what, fn, code, kind] of codes) {
    it(`refuses ${what} with ${code}`, async () => {
      const e = await contextError(fn);
      expect(e.code).toBe(code);
      expect(e.kind).toBe(kind);
    });
  }

  it('refuses a tree deeper than the write limit', async () => {
    let d = isoDirectory('d', []);
    for (let i = 0; i < 64; i++) d = isoDirectory('d', [d]);
    const e = await contextError(() => planIso([d], { volumeId: 'V' }));
    expect(e.code).toBe('iso-too-deep');
  });

  it('fails with iso-content-size when a source yields more or fewer bytes than it declared', async () => {
    const short = { size: 10, open: () => [new Uint8Array(4)] };
    const long = { size: 2, open: async function* () { yield new Uint8Array(4); } };
    for (const content of [short, long]) {
      const e = await contextError(() => writeIsoToBuffer([isoFile('a', content)], { volumeId: 'V' }));
      expect(e.code).toBe('iso-content-size');
      expect(e.input.file).toBe('/a');
    }
    const e = await contextError(() => encodeIso([isoFile('a', long)], { volumeId: 'V' }));
    expect(e.code).toBe('iso-async-content');
  });
});
