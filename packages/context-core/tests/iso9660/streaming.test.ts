/**
 * Large files stream through the writer and the reader without being held
 * in memory: a 1 GiB file is generated chunk by chunk, written to disk
 * through `writeIsoToFile`, read back through a file handle and hashed.
 */
import { createHash } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isoFile, planIso, writeIso, type IsoContentSource } from '../../src/iso9660/index.js';
import { fileContent, isoReadable, isoTreeFromDirectory, withIsoFile, writeIsoToFile } from '../../src/iso9660/node.js';
import { contextError, fingerprint, pattern, tempDir } from './helpers.js';

const GiB = 1024 ** 3;
const CHUNK = 1024 * 1024;
const tmp = tempDir('iso9660-stream-');
afterAll(() => tmp.cleanup());

/** `size` bytes in 1 MiB chunks, each stamped with its index so misplaced chunks show; hashes as it goes. */
function generated(size: number): IsoContentSource & { digest(): string; peakArrayBuffers: number } {
  const hash = createHash('sha256');
  const src = {
    size,
    peakArrayBuffers: 0,
    digest: () => hash.digest('hex'),
    *open() {
      for (let done = 0, k = 0; done < size; k++) {
        const chunk = new Uint8Array(Math.min(CHUNK, size - done));
        chunk.fill(k & 0xff);
        new DataView(chunk.buffer).setUint32(0, k);
        hash.update(chunk);
        done += chunk.length;
        src.peakArrayBuffers = Math.max(src.peakArrayBuffers, process.memoryUsage().arrayBuffers);
        yield chunk;
      }
    },
  };
  return src;
}

describe('streaming large files', () => {
  it('writes and reads back a 1 GiB file in bounded memory', async () => {
    const size = GiB + 12345; // not a block multiple
    const big = generated(size);
    const plan = planIso([isoFile('small', 'before'), isoFile('huge.bin', big), isoFile('tail', 'after')], { volumeId: 'BIG' });
    const path = join(tmp.path, 'big.iso');
    const before = process.memoryUsage().arrayBuffers;
    await writeIsoToFile(plan, path);
    expect(big.peakArrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
    expect(statSync(path).size).toBe(plan.byteLength);
    const expected = big.digest();

    await withIsoFile(path, async (image) => {
      expect(image.find('huge.bin')?.kind === 'file' && image.find('huge.bin')).toMatchObject({ size });
      const hash = createHash('sha256');
      let peak = 0;
      for await (const chunk of image.readFile('huge.bin')) {
        hash.update(chunk);
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }
      expect(hash.digest('hex')).toBe(expected);
      expect(peak - before).toBeLessThan(256 * 1024 * 1024);
      expect(new TextDecoder().decode(await image.readFileBytes('tail'))).toBe('after');
    });
  }, 60_000);

  it('reads file contents from disk in chunks (fileContent, isoTreeFromDirectory)', async () => {
    const dir = join(tmp.path, 'tree');
    const data = pattern(3 * CHUNK + 17);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'data.bin'), data);
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o750 });
    const tree = await isoTreeFromDirectory(dir);
    expect(tree.map((e) => [e.name, e.kind, e.mode])).toEqual([
      ['run.sh', 'file', 0o755],
      ['sub', 'directory', 0o755],
    ]);
    const plan = planIso(tree, { volumeId: 'DISK' });
    const path = join(tmp.path, 'disk.iso');
    await writeIsoToFile(plan, path);
    await withIsoFile(path, async (image) => {
      expect(fingerprint(await image.readFileBytes('sub/data.bin'))).toBe(fingerprint(data));
      expect(image.find('run.sh')?.mode).toBe(0o100755);
    });
    // a Node Readable gives the same bytes
    const chunks: Buffer[] = [];
    for await (const c of isoReadable(plan)) chunks.push(c as Buffer);
    const { readFileSync } = await import('node:fs');
    expect(fingerprint(Buffer.concat(chunks))).toBe(fingerprint(readFileSync(path)));
  });

  it('fails cleanly when a file changes size between planning and writing, leaving no partial image', async () => {
    const file = join(tmp.path, 'shrinks.txt');
    writeFileSync(file, 'x'.repeat(5000));
    const plan = planIso([isoFile('shrinks.txt', await fileContent(file))], { volumeId: 'V' });
    writeFileSync(file, 'short');
    const out = join(tmp.path, 'shrinks.iso');
    const e = await contextError(() => writeIsoToFile(plan, out));
    expect(e.code).toBe('iso-content-size');
    expect(() => statSync(out)).toThrow();
  });

  it('refuses missing files and non-files', async () => {
    expect((await contextError(() => fileContent(join(tmp.path, 'nope')))).code).toBe('iso-file-unreadable');
    expect((await contextError(() => fileContent(tmp.path))).code).toBe('iso-not-a-file');
    expect((await contextError(() => withIsoFile(join(tmp.path, 'nope.iso'), async () => 0))).code).toBe('iso-file-unreadable');
  });

  it('opens each content source lazily, one at a time', async () => {
    const opened: string[] = [];
    const lazy = (name: string): IsoContentSource => ({
      size: 3,
      open: () => {
        opened.push(name);
        return [new Uint8Array(3)];
      },
    });
    const plan = planIso([isoFile('a', lazy('a')), isoFile('b', lazy('b'))], { volumeId: 'V' });
    expect(opened).toEqual([]);
    const it = writeIso(plan);
    await it.next();
    expect(opened).toEqual([]);
    for await (const _ of it);
    expect(opened).toEqual(['a', 'b']);
  });
});
