import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { invalidInput, overLimit } from '../errors.js';
import type { ContextFile } from '../model.js';

/**
 * Context trees as directories: a disk's tree written to a folder (`--dir`),
 * and a folder (a mounted disk, a seed directory) read back.
 */

/** Files read from one context directory at most: contexts hold a handful. */
export const MAX_DIR_FILES = 10_000;
/** Bytes read from one context directory at most. */
export const MAX_DIR_BYTES = 256 * 1024 * 1024;
/** Directory depth followed at most (config-drive needs 3). */
export const MAX_DIR_DEPTH = 16;

/** Refuses paths that would leave the directory or are not plain relative names. */
function checkedPath(name: string): string[] {
  const parts = name.split('/');
  if (name === '' || name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
    throw invalidInput('bad-path', `"${name}" is not a relative path inside the context`, { file: name });
  }
  return parts;
}

/**
 * Writes the files under `dir`, which must not exist yet: everything goes to a
 * temporary folder beside it that is renamed into place once complete, so a
 * failure leaves nothing half-written.
 */
export function writeContextDir(dir: string, files: readonly ContextFile[]): void {
  try {
    lstatSync(dir);
    throw invalidInput('output-exists', `${dir} already exists: give a new directory`, { file: dir });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = join(dirname(dir), `.${basename(dir)}.${process.pid}.tmp`);
  mkdirSync(tmp);
  try {
    for (const f of files) {
      const parts = checkedPath(f.name);
      mkdirSync(join(tmp, ...parts.slice(0, -1)), { recursive: true });
      writeFileSync(join(tmp, ...parts), f.content, { flag: 'wx' });
    }
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Reads every regular file under `dir` into a map by `/`-separated path.
 * Symbolic links are not followed (a context must not point the reader at
 * the host's files); limits on count, size and depth bound the work.
 */
export function readContextDir(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let total = 0;
  const walk = (abs: string, rel: string, depth: number) => {
    if (depth > MAX_DIR_DEPTH) throw overLimit('too-deep', `${abs} is nested more than ${MAX_DIR_DEPTH} levels deep`, { file: abs });
    for (const entry of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(join(abs, entry.name), path, depth + 1);
      else if (entry.isFile()) {
        if (files.size >= MAX_DIR_FILES) throw overLimit('too-many-files', `${dir} holds more than ${MAX_DIR_FILES} files`, { file: dir });
        const size = lstatSync(join(abs, entry.name)).size;
        total += size;
        if (total > MAX_DIR_BYTES) throw overLimit('too-large', `${dir} holds more than ${MAX_DIR_BYTES} bytes`, { file: dir });
        files.set(path, new Uint8Array(readFileSync(join(abs, entry.name))));
      }
    }
  };
  walk(dir, '', 0);
  return files;
}
