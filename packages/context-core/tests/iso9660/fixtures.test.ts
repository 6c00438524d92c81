import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeIso, isoTreeFromPaths, openIso } from '../../src/iso9660/index.js';
import { readDiskFiles } from '../../src/node/load-context.js';
import { contextError, fingerprint, fixture, hexDiff, pattern, readImageTree } from './helpers.js';


const text = (s: string) => fingerprint(new TextEncoder().encode(s));

/** The tree of fixtures/iso9660/README.md, as our reader shows it. */
const TOOL_FIXTURE_TREE = new Map([
  ['a very long lower-case name that needs rock ridge to survive.txt', text('long\n')],
  ['empty', text('')],
  ['link', '-> nested/big.bin'],
  ['meta-data', text('instance-id: iid-local01\nlocal-hostname: fixture\n')],
  ['nested/', ''],
  ['nested/big.bin', '5000:18e90d07e723e7d095d1d7a5'],
  ['nested/deeper/', ''],
  ['nested/deeper/file.txt', text('deep\n')],
  ['user-data', text('#cloud-config\n')],
]);

describe('tool-made fixtures', () => {
  for (const [file, volumeId] of [
    ['genisoimage-cidata.iso', 'cidata'],
    ['xorriso-context.iso', 'CONTEXT'],
  ] as const) {
    it(`reads ${file}`, async () => {
      const image = await openIso(readFileSync(fixture(file)), { name: file });
      expect(image.volumeId).toBe(volumeId);
      expect(image.namespace).toBe('rock-ridge');
      expect(await readImageTree(image)).toEqual(TOOL_FIXTURE_TREE);
      expect(image.find('nested/deeper/file.txt')?.mtime).toBe(1704067200);
    });
  }
});

/** xorriso-zisofs.iso: big.txt, zeros.bin (all blocks sparse) compressed; random.bin and context.sh left as they are. */
const ZISOFS_TREE = new Map([
  ['big.txt', text(Array.from({ length: 5000 }, (_, i) => `line ${i} of a compressible file\n`).join(''))],
  ['context.sh', text("ETH0_IP='10.0.0.2'\n")],
  ['empty', text('')],
  ['random.bin', '5000:2b5b518cce0fd7190e8adb0c'],
  ['zeros.bin', fingerprint(new Uint8Array(100_000))],
]);

/** The offset of a file's data in an image, from its plain ISO record. */
async function dataOffset(iso: Uint8Array, name: string): Promise<number> {
  const e = (await openIso(iso, { namespace: 'iso9660' })).find(name);
  if (e?.kind !== 'file') throw new Error(`no ${name}`);
  return e.sections[0]!.lba * 2048;
}

describe('zisofs-compressed files (xorriso -zisofs level=6 -set_filter_r --zisofs /)', () => {
  const iso = () => readFileSync(fixture('xorriso-zisofs.iso'));

  it('reads them decompressed, with their real size', async () => {
    const image = await openIso(iso());
    expect(await readImageTree(image)).toEqual(ZISOFS_TREE);
    expect(image.find('big.txt')).toMatchObject({ size: 163_890, zisofs: { algorithm: 'pz', blockLog2: 15, storedSize: 11_985 } });
    expect(image.find('random.bin')).not.toHaveProperty('zisofs');
  });

  it('refuses a broken one with iso-bad-zisofs: bad magic, a corrupt block, a header that disagrees with ZF', async () => {
    const at = await dataOffset(iso(), 'big.txt');
    const edits: ((b: Uint8Array) => void)[] = [
      (b) => (b[at] = 0),
      (b) => b.fill(0x55, at + 0x2c + 10, at + 0x2c + 40),
      (b) => (b[at + 8] = 0x33),
      (b) => b.fill(0xff, at + 16, at + 20),
      (b) => b.set([0x50, 0x5a], Buffer.from(b).indexOf(Buffer.from('ZF\x10\x01pz', 'latin1')) + 4), // an algorithm other than pz
    ];
    for (const edit of edits) {
      const bytes = iso();
      edit(bytes);
      const image = await openIso(bytes);
      expect((await contextError(() => image.readFileBytes('big.txt'))).code).toBe('iso-bad-zisofs');
      expect(fingerprint(await image.readFileBytes('context.sh'))).toBe(ZISOFS_TREE.get('context.sh'));
    }
  });
});

describe('tool-made fixtures of other shapes', () => {
  it('reads Rock Ridge after the CD-XA field of genisoimage-xa-rr.iso (SP LEN_SKP 14)', async () => {
    const image = await openIso(readFileSync(fixture('genisoimage-xa-rr.iso')));
    expect(image.namespace).toBe('rock-ridge');
    expect(await readImageTree(image)).toEqual(
      new Map([
        ['a long lower-case name.txt', text('long\n')],
        ['context.sh', text("ETH0_IP='10.0.0.2'\n")],
      ]),
    );
    expect(image.find('context.sh')?.mode).toBe(0o100755);
  });

  it('reports the FIFO and devices of genisoimage-devices.iso by type, and reads none of them as a file', async () => {
    const image = await openIso(readFileSync(fixture('genisoimage-devices.iso')));
    const kinds = image.root.children.map((c): [string, string] => [c.name, c.kind === 'special' ? `${c.type} ${JSON.stringify(c.device ?? null)}` : c.kind]);
    expect(new Map(kinds)).toEqual(
      new Map([
        ['fifo', 'fifo null'],
        ['loop0', 'block-device {"major":7,"minor":0}'],
        ['meta-data', 'file'],
        ['null', 'character-device {"major":1,"minor":3}'],
      ]),
    );
    expect((await contextError(() => image.readFileBytes('fifo'))).code).toBe('iso-not-a-file');
    expect((await contextError(() => image.readFileBytes('null'))).code).toBe('iso-not-a-file');
    expect((await contextError(() => image.readFileBytes('nothing'))).code).toBe('iso-no-such-file');
    // the disk loader takes regular files only
    expect([...(await readDiskFiles(fixture('genisoimage-devices.iso'))).files.keys()]).toEqual(['meta-data']);
  });
});

/** The tree and options of fixtures/iso9660/stratus-cidata.iso. */
const GOLDEN = {
  tree: isoTreeFromPaths([
    { path: 'meta-data', content: 'instance-id: iid-golden\nlocal-hostname: golden\n' },
    { path: 'user-data', content: '#cloud-config\n' },
    { path: 'network-config', content: 'version: 2\n' },
    { path: 'context.sh', content: "HOSTNAME='golden'\n", mode: 0o755 },
    { path: 'openstack/latest/meta_data.json', content: '{"uuid":"golden"}' },
    { path: 'openstack/latest/user_data', content: pattern(5000, 9) },
    { path: 'empty', content: new Uint8Array(0) },
    { path: 'g'.repeat(200) + '.txt', content: 'long\n' },
  ]),
  options: { volumeId: 'cidata', timestamp: 1704067200 },
};

describe('our golden image', () => {
  it('is byte-identical to fixtures/iso9660/stratus-cidata.iso', () => {
    const iso = encodeIso(GOLDEN.tree, GOLDEN.options);
    if (process.env['UPDATE_ISO_FIXTURES'] === '1') writeFileSync(fixture('stratus-cidata.iso'), iso);
    expect(hexDiff(iso, readFileSync(fixture('stratus-cidata.iso')))).toBe('');
  });
});
