/**
 * Writing a planned image to a file. The image is gathered in one 1 MiB
 * window: metadata and streamed contents are copied in, files on disk are
 * read straight into their place, and each full window goes out in one
 * write. Memory stays at the window whatever the file sizes, and the bytes
 * are exactly those of `writeIso`.
 *
 * Within a window, the reads and the write are synchronous calls, and the
 * event loop gets a turn after every window, so it waits for one window at
 * most (a few milliseconds from the page cache). Through the libuv pool,
 * every call is a hand-off between threads and a small file needs three
 * (open, read, close): on the 64 MiB tree of bench/iso.mjs, with its 1000
 * small files, the same windows took 1.5 times as long with every call
 * through the pool, and 1.3 times with only the small files read inline (a
 * shared two-CPU machine). Opening, which may truncate a large old image,
 * and closing go through the pool.
 */
import { close, closeSync, open, openSync, readSync, readvSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ContextError, invalidInput } from '../errors.js';
import { DiskFileSource, notFound } from './fs.js';
import type { IsoPlan, PlannedFile } from './layout.js';
import { checkChunk, checkComplete, checkEnd, checkPlaced, contentTooLong, imagePieces, paddingAfter } from './writer.js';

/**
 * Bytes per write: few system calls (64 for a 64 MiB image), little memory,
 * and a short wait for the event loop. Larger is not faster: on the
 * benchmark machine (a VM), 4 MiB writes stalled in page-cache allocation in
 * about half of the runs, and 1 MiB writes in none.
 */
const WINDOW_BYTES = 1024 * 1024;

const openFile = promisify(open);
const closeFile = promisify(close);

/** One file's bytes from `position` that belong in the window, at `into`. */
interface DiskRead {
  file: PlannedFile;
  source: DiskFileSource;
  position: number;
  into: Uint8Array;
  /** The part that ends the file: also checks that the file has not grown. */
  last: boolean;
}

/** Scratch byte for the growth check: reads are synchronous, one at a time, so one is enough. */
const BEYOND = new Uint8Array(1);

/**
 * Reads the rest of `r`, `done` bytes in; the last part also asks for one
 * byte beyond the declared size. A regular file reads short only at its end,
 * so one read usually fills the part and shows whether the file grew.
 */
function readRest(fd: number, r: DiskRead, done: number): number {
  const position = r.position + done;
  if (!r.last) return readSync(fd, r.into, done, r.into.length - done, position);
  return readvSync(fd, [done === 0 ? r.into : r.into.subarray(done), BEYOND], position);
}

/** Checks one read of `r` made `done` bytes in; returns the bytes done after it. */
function afterRead(r: DiskRead, done: number, bytesRead: number): number {
  if (bytesRead > r.into.length - done) throw contentTooLong(r.file);
  if (bytesRead === 0) checkEnd(r.file, r.position + done); // the file shrank
  return done + bytesRead;
}

function readPart(r: DiskRead): void {
  try {
    const fd = openSync(r.source.path, 'r');
    try {
      for (let done = 0; done < r.into.length; ) done = afterRead(r, done, readRest(fd, r, done));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw e instanceof ContextError ? e : notFound(r.source.path, e);
  }
}

function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The part of the image being gathered. */
class ImageWindow {
  private readonly buffer: Uint8Array;
  /** Image offset of the window's first byte. */
  private start = 0;
  private used = 0;
  private reads: DiskRead[] = [];

  /** A window for an image of `imageBytes`: no larger than the image, so small disks take little memory. */
  constructor(
    private readonly fd: number,
    imageBytes: number,
  ) {
    this.buffer = new Uint8Array(Math.min(WINDOW_BYTES, imageBytes));
  }

  /** Image offset of the next byte. */
  get offset(): number {
    return this.start + this.used;
  }

  async bytes(chunk: Uint8Array): Promise<void> {
    for (let done = 0; done < chunk.length; ) {
      const n = Math.min(await this.room(), chunk.length - done);
      this.buffer.set(chunk.subarray(done, done + n), this.used);
      this.used += n;
      done += n;
    }
  }

  async zeros(count: number): Promise<void> {
    for (let done = 0; done < count; ) {
      const n = Math.min(await this.room(), count - done);
      this.buffer.fill(0, this.used, this.used + n);
      this.used += n;
      done += n;
    }
  }

  /** Leaves room for a file on disk; it is read in when the window is written. */
  async diskFile(file: PlannedFile, source: DiskFileSource): Promise<void> {
    for (let done = 0; done < file.size; ) {
      const n = Math.min(await this.room(), file.size - done);
      const into = this.buffer.subarray(this.used, this.used + n);
      this.reads.push({ file, source, position: done, into, last: done + n === file.size });
      this.used += n;
      done += n;
    }
  }

  /** Reads the files in and writes out what is gathered. */
  flush(): void {
    for (const r of this.reads) readPart(r);
    this.reads = [];
    writeAt(this.fd, this.buffer.subarray(0, this.used), this.start);
    this.start += this.used;
    this.used = 0;
  }

  /** Room left, after writing out a full window and giving the event loop a turn. */
  private async room(): Promise<number> {
    if (this.used === this.buffer.length) {
      this.flush();
      await setImmediate();
    }
    return this.buffer.length - this.used;
  }
}

async function writePieces(plan: IsoPlan, window: ImageWindow): Promise<void> {
  for (const piece of imagePieces(plan)) {
    if (piece instanceof Uint8Array) {
      await window.bytes(piece);
    } else if ('zeros' in piece) {
      await window.zeros(piece.zeros);
    } else {
      checkPlaced(piece, window.offset);
      const content = piece.node.content;
      if (content instanceof DiskFileSource) {
        await window.diskFile(piece, content);
      } else {
        let seen = 0;
        for await (const chunk of content instanceof Uint8Array ? [content] : content.open()) {
          seen += checkChunk(chunk, piece, seen).length;
          await window.bytes(chunk);
        }
        checkEnd(piece, seen);
      }
      await window.zeros(paddingAfter(piece.size));
    }
  }
  window.flush();
  checkComplete(plan, window.offset);
}

function writeFailed(path: string, e: unknown): ContextError {
  return invalidInput('iso-write-failed', `writing ${path}: ${(e as Error)?.message ?? String(e)}`, { file: path }, e);
}

/**
 * Writes the planned image to `path`; a partial file is removed on failure.
 * Files from `fileContent` and `isoTreeFromDirectory` are read in place; one
 * that changed size since planning fails with iso-content-size.
 */
export async function writeIsoToFile(plan: IsoPlan, path: string): Promise<void> {
  let fd: number;
  try {
    fd = await openFile(path, 'w');
  } catch (e) {
    throw writeFailed(path, e);
  }
  try {
    try {
      await writePieces(plan, new ImageWindow(fd, plan.byteLength));
    } catch (e) {
      await closeFile(fd).catch(() => undefined);
      throw e;
    }
    await closeFile(fd);
  } catch (e) {
    await unlink(path).catch(() => undefined);
    throw e instanceof ContextError ? e : writeFailed(path, e);
  }
}
