/**
 * `writeIsoToFile` gathers the image in 1 MiB windows and reads files on disk
 * straight into place, apart from `writeIso`: its bytes must be the same for
 * every layout, whatever crosses a window boundary, and a file that changed
 * since planning must fail as it does there, leaving no image behind.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isoFile, planIso, writeIsoToBuffer, type IsoContentSource, type IsoEntryInput } from '../../src/iso9660/index.js';
import { fileContent, isoTreeFromDirectory, writeIsoToFile } from '../../src/iso9660/node.js';
import { contextError, fixture, hexDiff, pattern, tempDir } from './helpers.js';

const MiB = 1024 * 1024;
const WINDOW = MiB;
const tmp = tempDir('iso9660-file-writer-');
afterAll(() => tmp.cleanup());

let made = 0;
/** A fresh path under the test's temporary directory. */
const fresh = (name: string) => join(tmp.path, `${made++}-${name}`);

/** Writes `files` (path -> bytes or text) under a fresh directory and returns it. */
function onDisk(files: Record<string, string | Uint8Array>): string {
  const dir = fresh('tree');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A source yielding `size` pattern bytes in uneven chunks, none aligned to a block or a window. */
function uneven(size: number): IsoContentSource {
  const bytes = pattern(size, 7);
  return {
    size,
    *open() {
      for (let o = 0; o < size; o += 1_500_001) yield bytes.subarray(o, Math.min(size, o + 1_500_001));
    },
  };
}

async function expectSameAsBuffer(tree: IsoEntryInput[], options: Parameters<typeof planIso>[1]): Promise<void> {
  const out = fresh('image.iso');
  await writeIsoToFile(planIso(tree, options), out);
  expect(hexDiff(readFileSync(out), await writeIsoToBuffer(tree, options))).toBe('');
}

describe('writeIsoToFile', () => {
  it('writes the golden image from files on disk', async () => {
    // The tree and options of GOLDEN in fixtures.test.ts, as a directory.
    const dir = onDisk({
      'meta-data': 'instance-id: iid-golden\nlocal-hostname: golden\n',
      'user-data': '#cloud-config\n',
      'network-config': 'version: 2\n',
      'context.sh': "HOSTNAME='golden'\n",
      'openstack/latest/meta_data.json': '{"uuid":"golden"}',
      'openstack/latest/user_data': pattern(5000, 9),
      empty: '',
      ['g'.repeat(200) + '.txt']: 'long\n',
    });
    chmodSync(join(dir, 'context.sh'), 0o755);
    const out = fresh('golden.iso');
    await writeIsoToFile(planIso(await isoTreeFromDirectory(dir), { volumeId: 'cidata', timestamp: 1704067200 }), out);
    expect(hexDiff(readFileSync(out), readFileSync(fixture('stratus-cidata.iso')))).toBe('');
  });

  it('gives the bytes of writeIsoToBuffer when files, streams and padding cross window boundaries', async () => {
    const dir = onDisk({
      'a-spans-windows.bin': pattern(WINDOW + 3, 1),
      'b-block-multiple.bin': pattern(2 * MiB, 2),
      'c-empty': '',
      ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d-small/${i}.txt`, `small ${i}\n`])),
      'e-odd.bin': pattern(WINDOW - 5, 3),
    });
    const tree: IsoEntryInput[] = [
      ...(await isoTreeFromDirectory(dir)),
      isoFile('f-streamed.bin', uneven(2 * WINDOW + 11)),
      isoFile('g-bytes.bin', pattern(3 * 2048 + 1, 4)),
    ];
    await expectSameAsBuffer(tree, { volumeId: 'WINDOWS', padBlocks: 3000 });
    await expectSameAsBuffer(tree, { volumeId: 'WINDOWS', dataOrder: 'input', joliet: false });
  });

  it('fails with iso-content-size when a file on disk grew or shrank after planning, leaving no image', async () => {
    const cases: [string, number, (path: string) => void][] = [
      ['grew past a block boundary', 2048, (p) => writeFileSync(p, pattern(2049))],
      ['grew inside its last block', 100, (p) => writeFileSync(p, pattern(101))],
      ['shrank', 5000, (p) => truncateSync(p, 4000)],
      ['shrank before its last window', 3 * WINDOW, (p) => truncateSync(p, 2 * WINDOW)],
    ];
    for (const [what, size, change] of cases) {
      const file = fresh('changes.bin');
      writeFileSync(file, pattern(size));
      const plan = planIso([isoFile('before', 'x'), isoFile('changes.bin', await fileContent(file))], { volumeId: 'V' });
      change(file);
      const out = fresh('changed.iso');
      const e = await contextError(() => writeIsoToFile(plan, out));
      expect([what, e.code, e.input.file]).toEqual([what, 'iso-content-size', '/changes.bin']);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('fails with iso-file-unreadable when a file on disk is gone, leaving no image', async () => {
    const file = fresh('gone.txt');
    writeFileSync(file, 'soon gone');
    const plan = planIso([isoFile('gone.txt', await fileContent(file))], { volumeId: 'V' });
    rmSync(file);
    const out = fresh('gone.iso');
    const e = await contextError(() => writeIsoToFile(plan, out));
    expect([e.code, e.input.file]).toEqual(['iso-file-unreadable', file]);
    expect(existsSync(out)).toBe(false);
  });

  it('fails with iso-write-failed when the image cannot be created, and refuses a foreign plan', async () => {
    const plan = planIso([isoFile('a', 'a')], { volumeId: 'V' });
    expect((await contextError(() => writeIsoToFile(plan, join(tmp.path, 'no-such-dir', 'x.iso')))).code).toBe('iso-write-failed');
    const out = fresh('foreign.iso');
    expect((await contextError(() => writeIsoToFile({ ...plan }, out))).code).toBe('iso-bad-plan');
    expect(existsSync(out)).toBe(false);
  });
});

describe('isoTreeFromDirectory', () => {
  it('lists a directory of more entries than it examines per event-loop turn, in name order', async () => {
    const names = Array.from({ length: 1100 }, (_, i) => `n${String(i).padStart(4, '0')}`);
    const dir = fresh('wide');
    mkdirSync(dir);
    for (const n of names) writeFileSync(join(dir, n), n);
    const tree = await isoTreeFromDirectory(dir);
    expect(tree.map((e) => e.name)).toEqual(names);
    expect(tree.every((e) => e.kind === 'file' && !(e.content instanceof Uint8Array) && e.content.size === 5)).toBe(true);
  });
});
