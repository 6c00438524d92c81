/**
 * Interop with the real tools. These tests fail, never skip, when a tool is
 * missing (see INSTALL_HINT). Checked here:
 *  - our images listed and extracted by isoinfo (-R, -J), xorriso and 7z;
 *  - images made by genisoimage and xorriso read by our reader: Rock Ridge,
 *    Joliet and plain names, relocation, zisofs, names that are not UTF-8.
 * The stricter readers (bsdtar, pycdlib, iso-info) are in strict-readers.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIso, planIso, type IsoFileEntry } from '../../src/iso9660/index.js';
import { isoTreeFromDirectory, openIsoAccess, withIsoFile, writeIsoToFile } from '../../src/iso9660/node.js';
import { allEntries, fingerprint, pattern, readDiskTree, readImageTree, requireTool, run, tempDir, writeDiskTree, type DiskTree } from './helpers.js';

/** Names every tool shows exactly: ASCII, at most 64 characters (the Joliet limit 7z and isoinfo -J see). */
const BASIC: DiskTree = {
  'meta-data': 'instance-id: iid-local01\nlocal-hostname: vm1\n',
  'user-data': '#cloud-config\npassword: passw0rd\n',
  'network-config': 'version: 2\n',
  'a rather long lower-case file name.txt': 'long name\n',
  'lower-case-name-that-is-exactly-sixty-four-characters-long-.txt': '64\n',
  'context.sh': { mode: 0o755, content: "ETH0_IP='10.0.0.2'\n" },
  'nested/big.bin': pattern(100_000, 3),
  'nested/one-block.bin': pattern(2048, 4),
  'nested/deeper/even-deeper-file.json': '{"a":1}\n',
  'nested/empty-dir/': '',
  empty: '',
  'user-data1': '1\n',
  'user-data2': '2\n',
};

/** Adds what only Rock Ridge readers show exactly: long and non-ASCII names. */
const EXTENDED: DiskTree = {
  ...BASIC,
  ['r'.repeat(200) + '.dat']: 'two hundred\n',
  'nested/café ☕ ünïcode.txt': 'utf-8\n',
};

const tmp = tempDir('iso9660-interop-');
const dirs = { basic: join(tmp.path, 'basic'), extended: join(tmp.path, 'extended') };
const isos = {
  basic: join(tmp.path, 'basic.iso'),
  basicRR: join(tmp.path, 'basic-rr-only.iso'),
  extended: join(tmp.path, 'extended.iso'),
};

beforeAll(async () => {
  writeDiskTree(dirs.basic, BASIC);
  writeDiskTree(dirs.extended, EXTENDED);
  await writeIsoToFile(planIso(await isoTreeFromDirectory(dirs.basic), { volumeId: 'cidata', timestamp: 1700000000 }), isos.basic);
  await writeIsoToFile(planIso(await isoTreeFromDirectory(dirs.basic), { volumeId: 'cidata', joliet: false }), isos.basicRR);
  await writeIsoToFile(planIso(await isoTreeFromDirectory(dirs.extended), { volumeId: 'config-2' }), isos.extended);
});

afterAll(() => tmp.cleanup());

const filesOf = (tree: Map<string, string>) => [...tree].filter(([p]) => !p.endsWith('/'));
const pathsOf = (tree: Map<string, string>) => [...tree.keys()].map((p) => p.replace(/\/$/u, '')).sort();

/** Parses `isoinfo -l` output into path -> "mode size". */
function parseIsoinfoListing(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let dir = '/';
  for (const line of text.split('\n')) {
    const header = /^Directory listing of (.*)$/u.exec(line);
    if (header) dir = header[1]!;
    const m = /^([-dl][-rwxsStT]{9})\s+\d+\s+\d+\s+\d+\s+(\d+) .*?\]  (.*) $/u.exec(line);
    if (m && m[3] !== '.' && m[3] !== '..') out.set(`${dir}${m[3]}`.slice(1), `${m[1]} ${m[2]}`);
  }
  return out;
}

describe('our images in isoinfo', () => {
  it('isoinfo -d sees the volume id, Joliet and Rock Ridge', () => {
    const d = run('isoinfo', ['-d', '-i', isos.basic]).toString();
    expect(d).toMatch(/^Volume id: cidata$/mu);
    expect(d).toMatch(/Joliet with UCS level 3 found/u);
    expect(d).toMatch(/Rock Ridge signatures version 1 found/u);
    expect(run('isoinfo', ['-d', '-i', isos.extended]).toString()).toMatch(/^Volume id: config-2$/mu);
  });

  it('isoinfo -R -l lists Rock Ridge names, modes and sizes', () => {
    const listing = parseIsoinfoListing(run('isoinfo', ['-R', '-l', '-i', isos.extended]).toString());
    const disk = readDiskTree(dirs.extended);
    expect([...listing.keys()].sort()).toEqual(pathsOf(disk));
    expect(listing.get('context.sh')).toBe('-rwxr-xr-x 19');
    expect(listing.get('meta-data')).toMatch(/^-rw-r--r-- /u);
    expect(listing.get('nested/deeper')).toMatch(/^drwxr-xr-x 2048$/u);
    expect(listing.get('nested/big.bin')).toBe('-rw-r--r-- 100000');
    expect(listing.get('r'.repeat(200) + '.dat')).toBe('-rw-r--r-- 12');
  });

  it('isoinfo -R -x extracts every file byte for byte', () => {
    for (const [path, print] of filesOf(readDiskTree(dirs.extended))) {
      expect(fingerprint(run('isoinfo', ['-R', '-i', isos.extended, '-x', `/${path}`])), path).toBe(print);
    }
  });

  it('isoinfo -J lists and extracts the Joliet tree', () => {
    const disk = readDiskTree(dirs.basic);
    const listed = run('isoinfo', ['-J', '-f', '-i', isos.basic]).toString().trim().split('\n').map((p) => p.slice(1)).sort();
    expect(listed).toEqual(pathsOf(disk));
    for (const [path, print] of filesOf(disk)) {
      expect(fingerprint(run('isoinfo', ['-J', '-i', isos.basic, '-x', `/${path}`])), path).toBe(print);
    }
  });
});

describe('our images in xorriso', () => {
  it('xorriso -find lists every Rock Ridge path', () => {
    const out = run('xorriso', ['-indev', isos.extended, '-find', '/']).toString();
    const listed = out.trim().split('\n').map((l) => l.replace(/^'\/?|'$/gu, '')).filter((p) => p !== '').sort();
    expect(listed).toEqual(pathsOf(readDiskTree(dirs.extended)));
  });

  it('xorriso -osirrox on -extract restores names, bytes and modes', () => {
    const out = join(tmp.path, 'xorriso-extract');
    run('xorriso', ['-osirrox', 'on', '-indev', isos.extended, '-extract', '/', out]);
    expect(readDiskTree(out)).toEqual(readDiskTree(dirs.extended));
    expect(run('stat', ['-c', '%a', join(out, 'context.sh')]).toString().trim()).toBe('755');
  });
});

describe('our images in 7z', () => {
  for (const [what, iso] of [
    ['the Joliet tree', isos.basic],
    ['the Rock Ridge tree (no Joliet)', isos.basicRR],
  ] as const) {
    it(`7z l and 7z x read ${what} exactly`, () => {
      const disk = readDiskTree(dirs.basic);
      const slt = run('7z', ['l', '-slt', iso]).toString();
      const listed = [...slt.matchAll(/^Path = (.*)$/gmu)].map((m) => m[1]!).slice(1).sort();
      expect(listed).toEqual(pathsOf(disk));
      expect(slt).not.toMatch(/Warnings|Errors:/u);
      const out = join(tmp.path, `7z-${iso === isos.basic ? 'joliet' : 'rr'}`);
      run('7z', ['x', '-y', `-o${out}`, iso]);
      expect(readDiskTree(out)).toEqual(disk);
    });
  }
});

/** The tree the tools get: EXTENDED plus a symlink. */
const TOOL_TREE: DiskTree = { ...EXTENDED, 'link-to-big': { link: 'nested/big.bin' } };

describe('tool images in our reader', () => {
  const src = join(tmp.path, 'tool-src');
  const made = {
    genisoimage: { iso: join(tmp.path, 'genisoimage.iso'), volumeId: 'cidata' },
    xorriso: { iso: join(tmp.path, 'xorriso.iso'), volumeId: 'CONTEXT' },
  };

  // Built on first use inside a test (not in beforeAll), so a missing tool fails each test instead of skipping it.
  let built = false;
  const build = () => {
    if (built) return;
    writeDiskTree(src, TOOL_TREE);
    run('genisoimage', ['-quiet', '-J', '-R', '-V', 'cidata', '-o', made.genisoimage.iso, src]);
    run('xorriso', ['-as', 'mkisofs', '-quiet', '-J', '-R', '-V', 'CONTEXT', '-o', made.xorriso.iso, src]);
    built = true;
  };

  for (const tool of ['genisoimage', 'xorriso'] as const) {
    it(`reads a ${tool} -J -R image: Rock Ridge names, modes, symlink, bytes`, async () => {
      build();
      const { iso, volumeId } = made[tool];
      await withIsoFile(iso, async (image) => {
        expect(image.volumeId).toBe(volumeId);
        expect(image.namespace).toBe('rock-ridge');
        expect(image.hasJoliet).toBe(true);
        expect(await readImageTree(image)).toEqual(readDiskTree(src));
        expect(image.find('context.sh')?.mode).toBe(0o100755);
        expect(image.find('nested/empty-dir')?.kind).toBe('directory');
      });
    });

    it(`reads the Joliet and plain ISO trees of a ${tool} image`, async () => {
      build();
      const bytes = readFileSync(made[tool].iso);
      const joliet = await openIso(bytes, { namespace: 'joliet' });
      const disk = readDiskTree(src);
      for (const [path, print] of filesOf(disk)) {
        if (path.split('/').some((p) => p.length > 64) || print.startsWith('->')) continue;
        const e = joliet.find(path);
        expect(e?.kind, path).toBe('file');
        expect(fingerprint(await joliet.readFileBytes(path)), path).toBe(print);
      }
      const plain = await openIso(bytes, { namespace: 'iso9660' });
      expect(plain.find('nested/big.bin')?.kind).toBe('file');
      expect(fingerprint(await plain.readFileBytes('nested/big.bin'))).toBe(disk.get('nested/big.bin'));
      // Joliet drops symlinks (xorriso) or makes them empty files (genisoimage); both keep every directory
      const dirsOf = (entries: ReturnType<typeof allEntries>) => entries.filter((e) => e.kind === 'directory').length;
      expect(dirsOf(allEntries(joliet.root))).toBe(dirsOf(allEntries(plain.root)));
    });
  }

  it('shows a plain genisoimage image (no -R, no -J) as Linux map=normal does: CONTEXT.SH;1 is context.sh', async () => {
    const plainSrc = join(tmp.path, 'plain-src');
    writeDiskTree(plainSrc, { 'context.sh': "ETH0_IP='10.0.0.2'\n", 'meta-data': 'x\n', 'nested/deeper/file.txt': 'deep\n' });
    const iso = join(tmp.path, 'plain.iso');
    run('genisoimage', ['-quiet', '-V', 'CONTEXT', '-o', iso, plainSrc]);
    const image = await openIso(readFileSync(iso));
    expect(image.namespace).toBe('iso9660');
    expect(allEntries(image.root).map((e) => e.path).sort()).toEqual(['context.sh', 'meta_dat', 'nested', 'nested/deeper', 'nested/deeper/file.txt']);
    expect(new TextDecoder().decode(await image.readFileBytes('context.sh'))).toBe("ETH0_IP='10.0.0.2'\n");
  });

  it('decompresses the files of a xorriso -zisofs image', async () => {
    const zSrc = join(tmp.path, 'zisofs-src');
    const tree: DiskTree = { 'big.txt': 'compressible line\n'.repeat(20_000), 'nested/random.bin': pattern(100_000, 5), 'zeros.bin': new Uint8Array(300_000) };
    writeDiskTree(zSrc, tree);
    const iso = join(tmp.path, 'zisofs.iso');
    run('xorriso', ['-outdev', iso, '-zisofs', 'level=6', '-map', zSrc, '/', '-set_filter_r', '--zisofs', '/', '--', '-commit']);
    const image = await openIso(readFileSync(iso));
    expect(image.find('big.txt')).toHaveProperty('zisofs');
    expect(await readImageTree(image)).toEqual(readDiskTree(zSrc));
  });

  it('keeps Rock Ridge names that are not UTF-8 distinct, escaped, and marked with their bytes', async () => {
    const rawSrc = join(tmp.path, 'raw-names');
    mkdirSync(rawSrc);
    const raw = [Buffer.from('caf\xe9', 'latin1'), Buffer.from('caf\xe8', 'latin1'), Buffer.from('café'), Buffer.from([0x61, 0xed, 0xa0, 0x80])];
    raw.forEach((name, i) => writeFileSync(Buffer.concat([Buffer.from(`${rawSrc}/`), name]), `${i}\n`));
    const iso = join(tmp.path, 'raw-names.iso');
    run('genisoimage', ['-quiet', '-R', '-V', 'RAW', '-o', iso, rawSrc]);
    const image = await openIso(readFileSync(iso));
    const byName = new Map(image.root.children.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(['a\udced\udca0\udc80', 'café', 'caf\udce8', 'caf\udce9']);
    expect(byName.get('café')).not.toHaveProperty('nameBytes');
    for (const [i, name] of raw.entries()) {
      const e = image.root.children.find((c) => c.nameBytes !== undefined ? Buffer.from(c.nameBytes).equals(name) : Buffer.from(c.name).equals(name));
      expect(e?.kind, name.toString('hex')).toBe('file');
      expect(new TextDecoder().decode(await image.readFileBytes(e as IsoFileEntry))).toBe(`${i}\n`);
    }
  });

  it('follows genisoimage Rock Ridge relocation (RR_MOVED, CL/RE) of a tree deeper than 8 levels', async () => {
    const deepSrc = join(tmp.path, 'deep-src');
    const deepPath = Array.from({ length: 10 }, (_, i) => `level-${i + 1}`).join('/');
    writeDiskTree(deepSrc, { [`${deepPath}/file.txt`]: 'deep\n' });
    const iso = join(tmp.path, 'deep.iso');
    run('genisoimage', ['-quiet', '-R', '-V', 'DEEP', '-o', iso, deepSrc]);
    const image = await openIso(readFileSync(iso));
    expect(new TextDecoder().decode(await image.readFileBytes(`${deepPath}/file.txt`))).toBe('deep\n');
    // the relocated directory is shown where it belongs, not inside rr_moved
    const moved = image.find('rr_moved');
    expect(moved?.kind === 'directory' ? moved.children : []).toEqual([]);
  });

  it('reads through a random-access file handle only the blocks it needs', async () => {
    build();
    const access = await openIsoAccess(made.xorriso.iso);
    let bytesRead = 0;
    try {
      const image = await openIso({ size: access.size, read: (o, n) => ((bytesRead += n), access.read(o, n)) });
      expect(image.find('meta-data')?.kind).toBe('file');
      expect(bytesRead).toBeLessThan(access.size / 2);
    } finally {
      await access.close();
    }
  });
});

it('has every interop tool installed', () => {
  for (const tool of ['isoinfo', 'genisoimage', 'xorriso', '7z']) requireTool(tool);
});
