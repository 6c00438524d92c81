import { readFileSync } from 'node:fs';
import { parsePublicKeyLine } from '@stratus-context/core';
import type { GuestRoot } from '../guest-root.js';
import { ensureDir, writeGuestFile } from '../safe-fs.js';
import { lookupUser } from '../users.js';

/**
 * authorized_keys for a user: ~/.ssh 0700 and the file 0600, owned by the
 * user, written atomically and never through a symbolic link. Keys the user
 * added by hand stay; keys that an earlier context installed and the current
 * one no longer lists go.
 */

export interface KeysResult {
  user: string;
  file: string;
  added: string[];
  removed: string[];
  /** Lines kept that the agent did not install. */
  kept: number;
  changed: boolean;
}

/** A key line's identity: type and key data (comments and options aside). */
function identity(line: string): string | undefined {
  try {
    const k = parsePublicKeyLine(line);
    return `${k.type} ${k.data}`;
  } catch {
    return undefined;
  }
}

/** The file's lines; the caller has refused symbolic links on its path. */
function readLines(host: string): string[] {
  try {
    return readFileSync(host, 'utf8').split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Installs `keys` for `userName`, removing the `previous` keys (those the
 * agent installed before) that are no longer wanted. With `dryRun`, only
 * computes the result.
 */
export function installKeys(root: GuestRoot, userName: string, keys: readonly string[], previous: readonly string[], dryRun: boolean): KeysResult {
  const user = lookupUser(root, userName);
  const sshDir = `${user.home.replace(/\/+$/, '')}/.ssh`;
  const file = `${sshDir}/authorized_keys`;
  // Refuse before reading: a link could point at another user's file.
  root.assertNoSymlinks(file);
  const wanted = new Set(keys.map(identity));
  const stale = new Set(previous.map(identity).filter((id) => id !== undefined && !wanted.has(id)));
  const existing = readLines(root.path(file));
  const out: string[] = [];
  const removed: string[] = [];
  const present = new Set<string | undefined>();
  let kept = 0;
  for (const line of existing) {
    const id = identity(line);
    if (id !== undefined && stale.has(id)) {
      removed.push(line);
      continue;
    }
    if (id !== undefined && present.has(id) && wanted.has(id)) continue; // a duplicate of a context key
    present.add(id);
    out.push(line);
    if (!wanted.has(id)) kept += 1;
  }
  const added = keys.filter((k) => !present.has(identity(k)));
  out.push(...added);
  const content = out.length === 0 ? '' : `${out.join('\n')}\n`;
  const changed = content !== (existing.length === 0 ? '' : `${existing.join('\n')}\n`);
  if (changed && !dryRun) {
    ensureDir(root, sshDir, { mode: 0o700, uid: user.uid, gid: user.gid });
    writeGuestFile(root, file, content, { mode: 0o600, uid: user.uid, gid: user.gid });
  }
  return { user: userName, file, added, removed, kept, changed };
}
