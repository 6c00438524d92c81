/**
 * The file-system edge of the ISO code, with `file-writer.ts` the only
 * modules that touch disks: file contents as streaming sources, a host
 * directory as a tree, and random access to an image file or block device.
 * Everything else in this folder is bytes in, bytes out.
 */
import { createReadStream, statSync, type Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { ContextError, invalidInput } from '../errors.js';
import type { IsoPlan } from './layout.js';
import { openIso, type IsoImage, type IsoReadOptions } from './reader.js';
import type { IsoRandomAccess } from './source.js';
import type { IsoContentSource, IsoEntryInput } from './tree.js';
import { writeIso } from './writer.js';

const CHUNK = 1024 * 1024;

/**
 * Entries examined per turn of the event loop while walking a directory.
 * Their `stat` calls are made inline: the kernel answers one from its inode
 * cache in a microsecond or two, a round trip through the libuv pool costs
 * several times that, and batches keep a huge directory from holding the
 * loop for long.
 */
const STATS_PER_TURN = 1024;

export function notFound(path: string, e: unknown): ContextError {
  return invalidInput('iso-file-unreadable', `${path}: ${(e as Error)?.message ?? String(e)}`, { file: path }, e);
}

/**
 * A file on disk as a content source. `writeIsoToFile` recognises it and
 * reads the file straight into its place in the image instead of calling
 * `open`. `open` is an own property, so a copy (`{ ...source }`) still works.
 */
export class DiskFileSource implements IsoContentSource {
  constructor(
    readonly path: string,
    readonly size: number,
  ) {}

  // One byte over the size reads a small file in one go and still sees a file that grew.
  readonly open = (): AsyncIterable<Uint8Array> => createReadStream(this.path, { highWaterMark: Math.min(CHUNK, this.size + 1) });
}

/** A file's contents as a streaming source of its current size; it is read only when the image is written. */
export async function fileContent(path: string): Promise<IsoContentSource> {
  let s: Stats;
  try {
    s = await stat(path);
  } catch (e) {
    throw notFound(path, e);
  }
  if (!s.isFile()) throw invalidInput('iso-not-a-file', `${path} is not a regular file`, { file: path });
  return new DiskFileSource(path, s.size);
}

/**
 * A host directory as a tree of streaming sources. Modes are normalised as
 * git does: files 0o755 if any execute bit is set, else 0o644; directories
 * 0o755. Symlinks and special files are refused (we do not write them).
 */
export async function isoTreeFromDirectory(dir: string): Promise<IsoEntryInput[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    throw notFound(dir, e);
  }
  const out: IsoEntryInput[] = [];
  for (const [i, name] of names.entries()) {
    if (i > 0 && i % STATS_PER_TURN === 0) await setImmediate();
    const path = join(dir, name);
    let s: Stats;
    try {
      s = statSync(path);
    } catch (e) {
      throw notFound(path, e);
    }
    if (s.isDirectory()) out.push({ kind: 'directory', name, children: await isoTreeFromDirectory(path), mode: 0o755 });
    else if (s.isFile()) out.push({ kind: 'file', name, content: new DiskFileSource(path, s.size), mode: s.mode & 0o111 ? 0o755 : 0o644 });
    else throw invalidInput('iso-not-a-file', `${path} is neither a file nor a directory`, { file: path });
  }
  return out;
}

/** The planned image as a Node Readable. */
export function isoReadable(plan: IsoPlan): Readable {
  return Readable.from(writeIso(plan), { objectMode: false });
}

export interface IsoFileAccess extends IsoRandomAccess {
  close(): Promise<void>;
}

async function readExactly(h: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await h.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** A block device reports size 0 to stat: find its end by bisection on 512-byte sectors. */
async function deviceSize(h: FileHandle): Promise<number> {
  const readable = async (sector: number) => (await readExactly(h, sector * 512, 1)).length === 1;
  let hi = 1;
  while ((await readable(hi - 1)) && hi < 2 ** 40) hi *= 2;
  let lo = 0; // sectors known readable: [0, lo)
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await readable(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo * 512;
}

/** Random access to an image file or a block device (e.g. /dev/sr0). Close it when done. */
export async function openIsoAccess(path: string): Promise<IsoFileAccess> {
  let h: FileHandle;
  try {
    h = await open(path, 'r');
  } catch (e) {
    throw notFound(path, e);
  }
  try {
    const s = await h.stat();
    const size = s.isBlockDevice() ? await deviceSize(h) : s.size;
    return { size, read: (offset, length) => readExactly(h, offset, length), close: () => h.close() };
  } catch (e) {
    await h.close();
    throw notFound(path, e);
  }
}

/** Opens an image file or device, reads its tree, and runs `use` with it; the file is closed afterwards. */
export async function withIsoFile<T>(path: string, use: (image: IsoImage) => Promise<T>, options: IsoReadOptions = {}): Promise<T> {
  const access = await openIsoAccess(path);
  try {
    return await use(await openIso(access, { name: path, ...options }));
  } finally {
    await access.close();
  }
}
