import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeIso,
  isoDirectory,
  isoFile,
  isoTreeFromPaths,
  openIso,
  writeIsoToBuffer,
  type IsoDirectoryEntry,
  type IsoEntryInput,
  type IsoImage,
} from '../../src/iso9660/index.js';
import { fingerprint, pattern, readImageTree, sortedMap } from './helpers.js';

/** path -> content (files) or '' (directories, with a trailing slash), from an input tree. */
function inputTree(entries: readonly IsoEntryInput[], prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const path = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.kind === 'directory') {
      out.set(`${path}/`, '');
      for (const [k, v] of inputTree(e.children, path)) out.set(k, v);
    } else out.set(path, fingerprint(e.content as Uint8Array));
  }
  return sortedMap(out);
}

const digest = fingerprint;

/** The tree's shape without names: what every namespace must agree on. */
function inputShape(entries: readonly IsoEntryInput[]): string[] {
  return entries
    .map((e) => (e.kind === 'directory' ? `d[${inputShape(e.children).join(',')}]` : `f:${digest(e.content as Uint8Array)}`))
    .sort();
}

async function imageShape(image: IsoImage, d: IsoDirectoryEntry): Promise<string[]> {
  const out: string[] = [];
  for (const c of d.children) {
    if (c.kind === 'directory') out.push(`d[${(await imageShape(image, c)).join(',')}]`);
    else if (c.kind === 'file') out.push(`f:${digest(await image.readFileBytes(c))}`);
  }
  return out.sort();
}

const SAMPLE = isoTreeFromPaths([
  { path: 'meta-data', content: 'instance-id: iid-local01\nlocal-hostname: vm\n' },
  { path: 'user-data', content: '#cloud-config\npassword: x\n' },
  { path: 'network-config', content: 'version: 2\n' },
  { path: 'context.sh', content: "ETH0_IP='10.0.0.2'\n", mode: 0o755 },
  { path: 'openstack/latest/meta_data.json', content: '{"uuid":"1"}' },
  { path: 'openstack/latest/user_data', content: pattern(70_000) },
  { path: 'openstack/2012-08-10/meta_data.json', content: '{}' },
  { path: 'ec2/latest/meta-data.json', content: '{}' },
  { path: 'empty', content: new Uint8Array(0) },
  { path: 'exactly-one-block', content: pattern(2048, 7) },
  { path: 'A Mixed Case Name With Spaces.tar.gz', content: 'tgz' },
  { path: 'café ☕ 😀.txt', content: 'unicode' },
  { path: 'l'.repeat(253), content: 'longest name' },
  { path: 'user-data1', content: '1' },
  { path: 'user-data2', content: '2' },
]);

describe('round trip: our writer, our reader', () => {
  for (const volumeId of ['cidata', 'config-2', 'CONTEXT', '_STRATUSLAB']) {
    it(`reads back names, nested directories, bytes and volume id ${volumeId}`, async () => {
      const iso = await writeIsoToBuffer(SAMPLE, { volumeId, timestamp: 1700000000 });
      const image = await openIso(iso);
      expect(image.volumeId).toBe(volumeId);
      expect(image.jolietVolumeId).toBe(volumeId);
      expect(image.namespace).toBe('rock-ridge');
      expect(image.hasJoliet).toBe(true);
      expect(image.modified).toBe(1700000000);
      expect(await readImageTree(image)).toEqual(inputTree(SAMPLE));
      const sh = image.find('context.sh');
      expect(sh?.mode).toBe(0o100755);
      expect(sh?.mtime).toBe(1700000000);
      expect(image.find('openstack/latest')?.mode).toBe(0o40755);
      expect(image.root.mode).toBe(0o40755);
      expect(image.root.mtime).toBe(1700000000);
    });
  }

  it('reads the Joliet and plain ISO trees with the same shape and contents', async () => {
    const iso = encodeIso(SAMPLE, { volumeId: 'cidata' });
    const expected = inputShape(SAMPLE);
    for (const namespace of ['joliet', 'iso9660'] as const) {
      const image = await openIso(iso, { namespace });
      expect(image.namespace).toBe(namespace);
      expect(await imageShape(image, image.root)).toEqual(expected);
    }
    const joliet = await openIso(iso, { namespace: 'joliet' });
    expect(joliet.find('café ☕ _.txt')?.kind).toBe('file');
    expect(joliet.find('openstack/latest/user_data')?.kind).toBe('file');
    const plain = await openIso(iso, { namespace: 'iso9660' });
    expect(plain.find('openstac/latest/meta_dat.jso')?.kind).toBe('file');
    expect(plain.find('user_dat')?.kind).toBe('file');
  });

  it('uses Joliet when Rock Ridge is off, and plain names when both are off', async () => {
    const j = await openIso(encodeIso(SAMPLE, { volumeId: 'V', rockRidge: false }));
    expect(j.namespace).toBe('joliet');
    expect(j.hasRockRidge).toBe(false);
    expect(j.find('network-config')?.kind).toBe('file');
    const p = await openIso(encodeIso(SAMPLE, { volumeId: 'V', rockRidge: false, joliet: false }));
    expect(p.namespace).toBe('iso9660');
    expect(p.find('network_')?.kind).toBe('file');
  });

  it('streams a file in chunks', async () => {
    const image = await openIso(encodeIso(SAMPLE, { volumeId: 'V' }));
    const chunks: Uint8Array[] = [];
    for await (const c of image.readFile('openstack/latest/user_data')) chunks.push(c);
    expect(fingerprint(Buffer.concat(chunks))).toBe(fingerprint(pattern(70_000)));
  });

  it('writes level-2 names when asked', async () => {
    const image = await openIso(encodeIso(SAMPLE, { volumeId: 'V', isoLevel: 2 }), { namespace: 'iso9660' });
    expect(image.find('network_config')?.kind).toBe('file');
    expect(image.find('a_mixed_case_name_with_space.gz')?.kind).toBe('file');
  });
});

const nameArb = fc
  .oneof(
    fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'B', '.', '-', '_', ' ', '1', 'é', '😀', ';', '*'), minLength: 1, maxLength: 12 }),
    fc.string({ unit: fc.constantFrom('x', 'y', '.'), minLength: 60, maxLength: 120 }),
  )
  .filter((s) => s !== '.' && s !== '..' && Buffer.byteLength(s) <= 253);

const contentArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: 0, max: 9000 }).map((n) => pattern(n, n + 1)),
);

const { tree: treeArb } = fc.letrec<{ tree: IsoEntryInput[]; entry: IsoEntryInput }>((tie) => ({
  tree: fc.uniqueArray(tie('entry'), { maxLength: 6, selector: (e) => e.name }),
  entry: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(nameArb, contentArb).map(([n, c]) => isoFile(n, c)),
    fc.tuple(nameArb, tie('tree')).map(([n, c]) => isoDirectory(n, c)),
  ),
}));

describe('round trip (property)', () => {
  it('random trees read back exactly in Rock Ridge and with the same shape in Joliet and ISO', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.integer({ min: 0, max: 4_000_000_000 }), fc.constantFrom(1 as const, 2 as const), async (tree, timestamp, isoLevel) => {
        const iso = encodeIso(tree, { volumeId: 'PROP', timestamp, isoLevel });
        const image = await openIso(iso);
        expect(await readImageTree(image)).toEqual(inputTree(tree));
        const shape = inputShape(tree);
        for (const namespace of ['joliet', 'iso9660'] as const) {
          const other = await openIso(iso, { namespace });
          expect(await imageShape(other, other.root)).toEqual(shape);
        }
        expect(fingerprint(encodeIso(tree, { volumeId: 'PROP', timestamp, isoLevel }))).toBe(fingerprint(iso));
      }),
      { numRuns: 150 },
    );
  });
});
