/**
 * Interop with the real tools (dosfstools, mtools, util-linux). These tests
 * fail, never skip, when a tool is missing (scripts/test-deps.sh installs
 * them). Checked here:
 *  - our FAT12 and FAT16 images pass fsck.fat -n, blkid sees TYPE=vfat and
 *    our label, mdir lists and mcopy extracts exact names and bytes;
 *  - images made by mkfs.fat and filled by mcopy read back exactly.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fatDirectory, fatFile, readFat, writeFat, type FatEntryInput } from '../../src/fat/index.js';
import { readFatFile } from '../../src/fat/node.js';
import { inputTree, MTOOLS_ENV, pattern, readDiskTree, run, runStatus, tempDir, volumeTree, writeDiskTree, type DiskTree } from './helpers.js';

const tails = Array.from({ length: 12 }, (_, k) => fatFile(`longname${k + 1}.txt`, `${k + 1}\n`));

/** Long names, names needing ~N tails (past ~9), case rules, empty and multi-cluster files, subdirectories. */
const TREE: FatEntryInput[] = [
  fatFile('meta.js', '{"dsmode":"local"}\n'),
  fatFile('README.TXT', 'upper 8.3: no long name\n'),
  fatFile('lower.txt', 'lower 8.3: an LFN over README-like LOWER.TXT\n'),
  fatFile('Mixed Case Name.Json', '{}\n'),
  fatFile('a name with spaces and a long extension.config', 'spaces\n'),
  fatFile('.hidden', 'dot first\n'),
  fatFile('a.b.c', 'two dots\n'),
  fatFile('x[1]+y=z;w,v.txt', 'replaced characters\n'),
  fatFile('empty', ''),
  fatFile('café ☕ ünïcode.txt', 'utf-16 in the long name, _ in the short one\n'),
  fatFile('one-cluster.bin', pattern(2048, 1)),
  fatFile('big.bin', pattern(100_000, 2)),
  ...tails,
  fatDirectory('etc', [fatDirectory('network', [fatFile('interfaces', 'auto lo\niface lo inet loopback\n')])]),
  fatDirectory('root', [fatDirectory('.ssh', [fatFile('authorized_keys', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE x\n')])]),
  fatDirectory('empty dir', []),
  fatDirectory('many', Array.from({ length: 150 }, (_, k) => fatFile(`file number ${k}.dat`, `${k}`))),
  fatDirectory('deep', [fatDirectory('er', [fatDirectory('and deeper still', [fatFile('leaf.txt', 'leaf\n')])])]),
];

const tmp = tempDir('fat-interop-');
afterAll(() => tmp.cleanup());

const images = {
  fat12: { file: join(tmp.path, 'stratuslab.img'), label: '_CLOUD_INIT', sizeBytes: 1_024_000, type: 'FAT12' },
  fat16: { file: join(tmp.path, 'fat16.img'), label: 'cidata', sizeBytes: 32 * 1024 * 1024, type: 'FAT16' },
  fit: { file: join(tmp.path, 'fit.img'), label: 'config-2', sizeBytes: undefined, type: 'FAT12' },
} as const;

for (const [kind, im] of Object.entries(images)) {
  writeFileSync(im.file, writeFat(TREE, { volumeLabel: im.label, sizeBytes: im.sizeBytes, sourceDateEpoch: 1_700_000_000 }));

  describe(`our ${kind} image`, () => {
    it('passes fsck.fat -n with nothing to report', () => {
      const r = runStatus('fsck.fat', ['-n', '-v', im.file]);
      expect(r.out).not.toMatch(/differ|error|invalid|bad|truncat|lost|free cluster|Checking file.*\n.*\S/iu);
      expect(r.status, r.out).toBe(0);
    });

    it('is TYPE=vfat with our label, version and serial in blkid -p', async () => {
      const out = run('blkid', ['-p', '-o', 'export', im.file]).toString();
      expect(out).toMatch(/^TYPE=vfat$/mu);
      expect(out).toMatch(new RegExp(`^LABEL=${im.label}$`, 'mu'));
      expect(out).toMatch(new RegExp(`^VERSION=${im.type}$`, 'mu'));
      const serial = (await readFat(readFileSync(im.file))).serial!;
      const uuid = serial.toString(16).toUpperCase().padStart(8, '0');
      expect(out).toMatch(new RegExp(`^UUID=${uuid.slice(0, 4)}-${uuid.slice(4)}$`, 'mu'));
    });

    it('lists every path, long names exact, in mdir -b -/', () => {
      const out = run('mdir', ['-i', im.file, '-b', '-/', '::/'], { env: MTOOLS_ENV }).toString();
      const paths = out.split('\n').filter((l) => l !== '').map((l) => l.replace(/^::\//u, ''));
      expect(paths.sort()).toEqual([...inputTree(TREE).keys()].sort());
      expect(run('mdir', ['-i', im.file, '::/'], { env: MTOOLS_ENV }).toString()).toMatch(new RegExp(`^ Volume in drive : is ${im.label} *$`, 'mu'));
    });

    it('extracts exact names and bytes with mcopy -s', () => {
      const dir = join(tmp.path, `${kind}-out`);
      writeDiskTree(dir, {});
      run('mcopy', ['-i', im.file, '-s', '-n', '::/', dir], { env: MTOOLS_ENV });
      expect(readDiskTree(dir)).toEqual(inputTree(TREE));
    });

    it('reads back the same tree in our reader, from a file', async () => {
      const v = await readFatFile(im.file);
      expect(v.label).toBe(im.label);
      expect(v.type).toBe(im.type.toLowerCase());
      expect(volumeTree(v)).toEqual(inputTree(TREE));
    });
  });
}

it('mdir shows the 8.3 names Linux vfat makes', () => {
  const out = run('mdir', ['-i', images.fat12.file, '::/'], { env: MTOOLS_ENV }).toString();
  for (const line of [
    /^README {3}TXT .*\d\s*$/mu,
    /^LOWER {4}TXT .* lower\.txt$/mu,
    /^MIXEDC~1 JSO .* Mixed Case Name\.Json$/mu,
    /^HIDDEN~1 {5}.* \.hidden$/mu,
    /^AB~1 {5}C .* a\.b\.c$/mu,
    /^X_1__Y~1 TXT .* x\[1\]\+y=z;w,v\.txt$/mu,
    /^LONGNA~9 TXT .* longname9\.txt$/mu,
    /^LONGN~10 TXT .* longname10\.txt$/mu,
    /^LONGN~12 TXT .* longname12\.txt$/mu,
  ]) {
    expect(out).toMatch(line);
  }
});

describe('images made by mkfs.fat and mcopy', () => {
  const TOOL_TREE: DiskTree = {
    'meta.js': '{"user-data": "#!/bin/sh\\necho hi\\n", "dsmode": "local"}\n',
    'root/.ssh/authorized_keys': 'ssh-ed25519 AAAA key\n',
    'etc/network/interfaces': 'auto eth0\n',
    'A Name With Spaces And Mixed Case.TXT': 'mixed\n',
    'UPPER.TXT': 'upper\n',
    'lower.txt': 'lower\n',
    'MiXeD.TxT': 'mixed 8.3\n',
    'a very long file name that needs several long name entries of thirteen units.data': pattern(40_000, 7),
    'empty file': '',
    'naïve résumé.txt': 'non-ASCII\n',
    'sub dir/nested dir/file.bin': pattern(9000, 8),
    'sub dir/empty sub/': '',
    'many/': '',
    ...Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`many/entry ${k} of many.txt`, `${k}\n`])),
  };
  const src = join(tmp.path, 'tool-src');
  writeDiskTree(src, TOOL_TREE);

  for (const [kind, type, args] of [
    ['FAT12 (mkfs.vfat -C, 1000 KiB)', 'fat12', ['-C', '-n', '_CLOUD_INIT']],
    ['FAT16 (mkfs.fat -F 16 on a truncated 32 MiB file)', 'fat16', ['-F', '16', '-n', 'cidata']],
  ] as const) {
    it(`${kind}: our reader gives the exact tree and label`, async () => {
      const img = join(tmp.path, `tool-${type}.img`);
      if (args[0] === '-C') run('mkfs.vfat', [...args, img, '1000']);
      else {
        run('truncate', ['-s', '32M', img]);
        run('mkfs.fat', [...args, img]);
      }
      run('mcopy', ['-i', img, '-s', ...readdirSync(src).map((p) => join(src, p)), '::/'], { env: MTOOLS_ENV });
      const v = await readFat(readFileSync(img));
      expect(v.type).toBe(type);
      expect(v.label).toBe(args.at(-1));
      expect(volumeTree(v)).toEqual(readDiskTree(src));
    });
  }
});

describe('mkfs.fat options other than the defaults', () => {
  const src = join(tmp.path, 'odd-src');
  writeDiskTree(src, { 'meta.js': '{}\n', 'a long file name.txt': pattern(10_000, 9), 'sub dir/inner file.bin': pattern(5000, 10), 'sub dir/empty/': '' });

  it.each([
    ['4096-byte sectors', ['-S', '4096'], '16M'],
    ['one FAT', ['-f', '1'], '16M'],
    ['512-byte clusters and a root of 112 entries', ['-s', '1', '-r', '112'], '16M'],
    ['FAT12 of 4 KiB clusters', ['-F', '12', '-s', '8'], '4M'],
  ])('%s: our reader gives the exact tree', async (_what, args, size) => {
    const img = join(tmp.path, `odd-${args.join('')}.img`);
    run('truncate', ['-s', size, img]);
    run('mkfs.fat', [...args, '-n', 'ODD', img]);
    run('mcopy', ['-i', img, '-s', ...readdirSync(src).map((p) => join(src, p)), '::/'], { env: MTOOLS_ENV });
    const v = await readFatFile(img);
    expect(v.label).toBe('ODD');
    expect(volumeTree(v)).toEqual(readDiskTree(src));
  });
});

describe('the FAT12/FAT16 boundary', () => {
  it('fsck.fat, blkid and mdir agree with our type on every size around 4085 clusters', () => {
    const seen = new Set<string>();
    for (let sectors = 16_320; sectors <= 16_440; sectors += 8) {
      const file = join(tmp.path, `boundary-${sectors}.img`);
      const image = writeFat([fatFile('a file.txt', 'x')], { volumeLabel: 'EDGE', sizeBytes: sectors * 512 });
      writeFileSync(file, image);
      const type = new TextDecoder().decode(image.subarray(54, 59));
      seen.add(type);
      const fsck = runStatus('fsck.fat', ['-n', file]);
      expect(fsck.status, `${sectors} sectors: ${fsck.out}`).toBe(0);
      expect(run('blkid', ['-p', '-o', 'export', file]).toString()).toContain(`VERSION=${type}`);
      expect(run('mdir', ['-i', file, '-b', '-/', '::/'], { env: MTOOLS_ENV }).toString()).toBe('::/a file.txt\n');
    }
    expect([...seen].sort()).toEqual(['FAT12', 'FAT16']);
  });
});

describe('random trees in the real tools', () => {
  const nameArb = fc
    .string({ unit: fc.constantFrom('a', 'B', 'c', '1', ' ', '.', '-', '_', '~', 'é', '+', '[', ';'), minLength: 1, maxLength: 30 })
    .filter((s) => !/[. ]$/u.test(s));
  const contentArb = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 2000, max: 9000 }).map((n) => pattern(n, n)));
  const treeArb: fc.Memo<FatEntryInput[]> = fc.memo((depth) =>
    fc
      .uniqueArray(fc.tuple(nameArb, depth > 1 ? fc.boolean() : fc.constant(false)), { selector: ([n]) => n.toUpperCase(), maxLength: 10 })
      .chain((items) => fc.tuple(...items.map(([name, dir]) => (dir ? treeArb(depth - 1).map((c) => fatDirectory(name, c)) : contentArb.map((c) => fatFile(name, c))))))
      .map((entries) => entries as FatEntryInput[]),
  );

  it('pass fsck.fat -n and come out of mcopy -s exact', () => {
    let k = 0;
    fc.assert(
      fc.property(treeArb(3), (tree) => {
        const file = join(tmp.path, `random-${++k}.img`);
        writeFileSync(file, writeFat(tree, { volumeLabel: 'RANDOM' }));
        const fsck = runStatus('fsck.fat', ['-n', file]);
        expect(fsck.status, fsck.out).toBe(0);
        const dir = join(tmp.path, `random-${k}`);
        writeDiskTree(dir, {});
        if (tree.length > 0) run('mcopy', ['-i', file, '-s', '-n', '::/', dir], { env: MTOOLS_ENV });
        expect(readDiskTree(dir)).toEqual(inputTree(tree));
      }),
      { numRuns: 25 },
    );
  });
});
