import { chmodSync, chownSync, lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ContextError } from '@stratus-context/core';
import { writeFileAtomic } from '@stratus-context/core/node';
import type { GuestRoot } from './guest-root.js';

/** Owner and mode of something the agent writes. */
export interface Ownership {
  mode: number;
  uid?: number;
  gid?: number;
}

function own(path: string, o: Ownership): void {
  chmodSync(path, o.mode);
  // Ownership only where we may change it: as root (a real guest, or tests run as root).
  if (o.uid !== undefined && process.getuid?.() === 0) chownSync(path, o.uid, o.gid ?? o.uid);
}

/** Creates a guest directory (and its parents, as root-owned 0755) with the given ownership; refuses symlinks on the way. */
export function ensureDir(root: GuestRoot, guestPath: string, o: Ownership): void {
  root.assertNoSymlinks(guestPath);
  const host = root.path(guestPath);
  mkdirSync(dirname(host), { recursive: true });
  try {
    const st = lstatSync(host);
    if (!st.isDirectory()) throw new ContextError('not-a-directory', 'invalid-input', `${guestPath} exists and is not a directory`, { file: guestPath });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(host, { mode: o.mode });
  }
  own(host, o);
}

/**
 * Writes a guest file atomically (temporary file, fsync, rename), so that a
 * crash leaves the old file or the new one, never a mix; refuses to write
 * through a symbolic link.
 */
export function writeGuestFile(root: GuestRoot, guestPath: string, data: Uint8Array | string, o: Ownership, durable = true): void {
  root.assertNoSymlinks(guestPath);
  const host = root.path(guestPath);
  mkdirSync(dirname(host), { recursive: true });
  writeFileAtomic(host, data, { ...o, durable });
}
