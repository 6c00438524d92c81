import { parsePublicKeyLine } from '@stratus-context/core';
import type { GuestRoot } from '../guest-root.js';
import { ensureDir, openGuestDir, readFileIn, setOwnership, strictModes, writeFileIn, type GuestDir } from '../safe-fs.js';

const LOCKED = { mode: 0o700, uid: 0, gid: 0 };
import type { GuestUser } from '../users.js';

/**
 * authorized_keys for a user: ~/.ssh 0700 and the file 0600, owned by the
 * user, written atomically from directory descriptors (see safe-fs.ts).
 * A home or ~/.ssh that sshd's StrictModes would refuse is refused. Keys the
 * user added by hand stay; keys that an earlier context installed and the
 * current one no longer lists go.
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

function lines(content: Buffer | undefined): string[] {
  if (content === undefined) return [];
  return content.toString('utf8').split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
}

/** The new content: the file's lines without the stale keys, then the wanted keys it lacks. */
export function mergeKeys(existing: readonly string[], keys: readonly string[], previous: readonly string[]): { out: string[]; added: string[]; removed: string[]; kept: number } {
  const wanted = new Set(keys.map(identity));
  const stale = new Set(previous.map(identity).filter((id) => id !== undefined && !wanted.has(id)));
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
  return { out, added, removed, kept };
}

/**
 * Installs `keys` for `user`, removing the `previous` keys (those the agent
 * installed before) that are no longer wanted. With `dryRun`, only computes
 * the result.
 */
export function installKeys(root: GuestRoot, user: GuestUser, keys: readonly string[], previous: readonly string[], dryRun: boolean): KeysResult {
  const home = user.home.replace(/\/+$/, '') || '/';
  const sshDir = home === '/' ? '/.ssh' : `${home}/.ssh`;
  const file = `${sshDir}/authorized_keys`;
  const check = strictModes(user.uid, user.name, home);
  let dir: GuestDir | undefined;
  try {
    dir = openGuestDir(root, sshDir, { check });
  } catch (e) {
    if ((e as { code?: string }).code !== 'not-found') throw e;
  }
  try {
    const existing = dir === undefined ? [] : lines(readFileIn(dir, 'authorized_keys'));
    const { out, added, removed, kept } = mergeKeys(existing, keys, previous);
    const content = out.length === 0 ? '' : `${out.join('\n')}\n`;
    const changed = content !== (existing.length === 0 ? '' : `${existing.join('\n')}\n`);
    if (changed && !dryRun) {
      if (dir === undefined) ensureHome(root, home, user);
      dir?.close();
      dir = undefined;
      // While the file is written, ~/.ssh is root's (0700, set on its descriptor): no one else can
      // rename, add or remove a name in it between the temporary file's creation and the rename.
      // Then it is the user's again, 0700, whatever it was before.
      dir = openGuestDir(root, sshDir, { create: LOCKED, enforce: true, check });
      try {
        writeFileIn(dir, 'authorized_keys', content, { mode: 0o600, uid: user.uid, gid: user.gid });
      } finally {
        setOwnership(dir, { mode: 0o700, uid: user.uid, gid: user.gid });
      }
    }
    return { user: user.name, file, added, removed, kept, changed };
  } finally {
    dir?.close();
  }
}

/** A home that is missing is made the user's; one that exists is judged as it is. */
function ensureHome(root: GuestRoot, home: string, user: GuestUser): void {
  try {
    openGuestDir(root, home, { check: strictModes(user.uid, user.name, home) }).close();
  } catch (e) {
    if ((e as { code?: string }).code !== 'not-found') throw e;
    ensureDir(root, home, { mode: 0o700, uid: user.uid, gid: user.gid });
  }
}
