import { chmodSync, chownSync, closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of the file (default 0o644). */
  mode?: number;
  /** Owner to give the file; applied only when running as root. */
  uid?: number;
  gid?: number;
  /** fsync before the rename (default true); scratch files may skip it. */
  durable?: boolean;
}

/**
 * Writes a file so that readers see either the old file or the complete new
 * one, never a truncated mix: a temporary file beside it, fsync, rename.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      if (options.durable ?? true) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, options.mode ?? 0o644);
    if (options.uid !== undefined && process.getuid?.() === 0) chownSync(tmp, options.uid, options.gid ?? options.uid);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or gone
    }
    throw e;
  }
}
