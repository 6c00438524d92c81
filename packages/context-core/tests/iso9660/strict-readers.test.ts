/**
 * Our images in the stricter readers: libarchive (bsdtar), pycdlib and
 * libcdio (iso-info), next to isoinfo, xorriso and 7z. Like interop.test.ts,
 * these fail, never skip, when a tool is missing (scripts/test-deps.sh
 * installs them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIso, isoTreeFromPaths, openIso, planIso } from '../../src/iso9660/index.js';
import { isoTreeFromDirectory, writeIsoToFile } from '../../src/iso9660/node.js';
import { fingerprint, readDiskTree, readImageTree, requireTool, run, tempDir, writeDiskTree, type DiskTree } from './helpers.js';

/** Debian's interpreter, where python3-pycdlib installs the module. */
const PYTHON = '/usr/bin/python3';

/** Walks one namespace of an image with pycdlib; prints path -> content hex (directories end in `/`). */
const PYCDLIB_WALK = `
import io, json, sys, pycdlib
iso = pycdlib.PyCdlib()
iso.open(sys.argv[1])
key = sys.argv[2] + '_path'
out = {}
for d, dirs, files in iso.walk(**{key: '/'}):
    base = d.rstrip('/')
    for x in dirs:
        out[(base + '/' + x)[1:] + '/'] = ''
    for f in files:
        buf = io.BytesIO()
        iso.get_file_from_iso_fp(buf, **{key: base + '/' + f})
        out[(base + '/' + f)[1:]] = buf.getvalue().hex()
print(json.dumps(out))
`;

/** The tree pycdlib shows, in readDiskTree's shape. */
export function pycdlibTree(iso: string, namespace: 'rr' | 'joliet' | 'iso'): Map<string, string> {
  const out = JSON.parse(run(PYTHON, ['-c', PYCDLIB_WALK, iso, namespace]).toString()) as Record<string, string>;
  return new Map(
    Object.entries(out)
      .map(([p, hex]): [string, string] => [p, p.endsWith('/') ? '' : fingerprint(Buffer.from(hex, 'hex'))])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

const pathsOf = (tree: Map<string, string>) => [...tree.keys()].map((p) => p.replace(/\/$/u, '')).sort();
const lines = (out: Buffer) => out.toString().split('\n').filter((l) => l !== '');

/** Many names of 200+ bytes in two directories: every record's NM tail goes to a continuation area. */
const LONG: DiskTree = Object.fromEntries(
  ['', 'sub/'].flatMap((dir) =>
    Array.from({ length: 40 }, (_, i) => [`${dir}f${String(i).padStart(3, '0')}-${'n'.repeat(200 + i)}`, `${dir}${i}\n`]),
  ),
);

const tmp = tempDir('iso9660-strict-');
const src = join(tmp.path, 'long');
const isos = { joliet: join(tmp.path, 'long.iso'), rrOnly: join(tmp.path, 'long-rr.iso') };

beforeAll(async () => {
  writeDiskTree(src, LONG);
  await writeIsoToFile(planIso(await isoTreeFromDirectory(src), { volumeId: 'cidata' }), isos.joliet);
  await writeIsoToFile(planIso(await isoTreeFromDirectory(src), { volumeId: 'cidata', joliet: false }), isos.rrOnly);
});

afterAll(() => tmp.cleanup());

describe('long Rock Ridge names continued in CE areas', () => {
  for (const [what, iso] of [
    ['with Joliet', () => isos.joliet],
    ['without Joliet', () => isos.rrOnly],
  ] as const) {
    it(`bsdtar lists and extracts every full name (${what})`, () => {
      const disk = readDiskTree(src);
      expect(lines(run('bsdtar', ['-tf', iso()])).filter((p) => p !== '.').map((p) => p.replace(/\/$/u, '')).sort()).toEqual(pathsOf(disk));
      const out = join(tmp.path, `bsdtar-${what.replace(/ /gu, '-')}`);
      run('mkdir', ['-p', out]);
      run('bsdtar', ['-xf', iso(), '-C', out]);
      expect(readDiskTree(out)).toEqual(disk);
    });

    it(`pycdlib walks the Rock Ridge tree with every full name (${what})`, () => {
      expect(pycdlibTree(iso(), 'rr')).toEqual(readDiskTree(src));
    });

    it(`isoinfo -R and osirrox show every full name (${what})`, () => {
      expect(lines(run('isoinfo', ['-R', '-f', '-i', iso()])).map((p) => p.slice(1)).sort()).toEqual(pathsOf(readDiskTree(src)));
      const out = join(tmp.path, `osirrox-${what.replace(/ /gu, '-')}`);
      run('xorriso', ['-osirrox', 'on', '-indev', iso(), '-extract', '/', out]);
      expect(readDiskTree(out)).toEqual(readDiskTree(src));
    });
  }

  it('pycdlib sees the Joliet tree our reader sees (names cut to 64, collisions numbered)', async () => {
    const ours = await readImageTree(await openIso(readFileSync(isos.joliet), { namespace: 'joliet' }));
    expect(pycdlibTree(isos.joliet, 'joliet')).toEqual(ours);
    expect(ours.size).toBe(readDiskTree(src).size);
  });

  // 7z is left out: it reads only the NM bytes inside the record (115 here, 146 of genisoimage's),
  // never a CE area, so no tool's image shows it a name of 200 bytes.
});

describe('Joliet names', () => {
  it('iso-info lists the Joliet tree of names outside the BMP (written as _, as xorriso does); Rock Ridge keeps them', () => {
    const iso = join(tmp.path, 'emoji.iso');
    const tree = isoTreeFromPaths([
      { path: 'a😀b.txt', content: 'emoji\n' },
      { path: 'dir/z', content: 'z\n' },
    ]);
    writeFileSync(iso, encodeIso(tree, { volumeId: 'cidata' }));
    const out = run('iso-info', ['--no-header', '-f', '-i', iso]).toString();
    expect(out).not.toMatch(/WARN/u);
    expect([...out.matchAll(/^\s*\d+ (\/.*)$/gmu)].map((m) => m[1]).sort()).toEqual(['/a_b.txt', '/dir', '/dir/z']);
    expect(lines(run('isoinfo', ['-R', '-f', '-i', iso])).sort()).toEqual(['/a😀b.txt', '/dir', '/dir/z']);
  });

  it('maps names ending in dots as genisoimage -J does', () => {
    const names = ['a.', 'a..', 'a...', '...', '....', '.....', 'b.c.', 'c..d'];
    const dir = join(tmp.path, 'dots');
    writeDiskTree(dir, Object.fromEntries(names.map((n) => [n, `${n}\n`])));
    const theirs = join(tmp.path, 'dots-genisoimage.iso');
    run('genisoimage', ['-quiet', '-J', '-R', '-o', theirs, dir]);
    const ours = join(tmp.path, 'dots-ours.iso');
    writeFileSync(ours, encodeIso(isoTreeFromPaths(names.map((n) => ({ path: n, content: `${n}\n` }))), { volumeId: 'cidata' }));
    const joliet = (iso: string) => lines(run('isoinfo', ['-J', '-f', '-i', iso])).sort();
    expect(joliet(ours)).toEqual(joliet(theirs));
    expect(joliet(ours)).toEqual(names.map((n) => `/${n}`).sort());
  });
});

describe('small images', () => {
  it('bsdtar lists a one-file image without Joliet (not taken for an empty tar)', () => {
    const iso = join(tmp.path, 'small.iso');
    writeFileSync(iso, encodeIso(isoTreeFromPaths([{ path: 'meta-data', content: 'instance-id: x\n' }]), { volumeId: 'cidata', joliet: false }));
    expect(lines(run('bsdtar', ['-tf', iso]))).toEqual(['.', 'meta-data']);
  });
});

it('has every strict reader installed', () => {
  for (const tool of ['bsdtar', 'iso-info', PYTHON]) requireTool(tool);
  run(PYTHON, ['-c', 'import pycdlib']);
});
