import { ContextError, isValidHostname, nodeChildProcess } from '@stratus-context/core';
import type { WriteFile } from '../cloud-config.js';
import type { GuestRoot } from '../guest-root.js';
import { inParent, readFileIn, writeFileIn } from '../safe-fs.js';
import { findUser, lookupGroup } from '../users.js';

/** Files of `write_files` and the hostname: written atomically from directory descriptors, never through a symbolic link. */

export interface FileResult {
  path: string;
  bytes: number;
  mode: string;
  changed: boolean;
}

/** The uid and gid of `owner` (`user`, `user:group`), or an error naming what is missing. */
function owner(root: GuestRoot, spec: string, path: string): { uid: number; gid: number } {
  const [userName = 'root', groupName] = spec.split(':');
  const u = findUser(root, userName);
  if (u === undefined) throw new ContextError('no-such-user', 'invalid-input', `write_files ${path}: owner ${userName} does not exist in the guest`, { file: path });
  if (groupName === undefined || groupName === '') return { uid: u.uid, gid: u.gid };
  const gid = lookupGroup(root, groupName);
  if (gid === undefined) throw new ContextError('no-such-group', 'invalid-input', `write_files ${path}: group ${groupName} does not exist in the guest`, { file: path });
  return { uid: u.uid, gid };
}

const newDirs = { mode: 0o755, uid: 0, gid: 0 };

/** Writes one `write_files` entry (appended to when it says so). */
export function writeFile(root: GuestRoot, f: WriteFile, dryRun: boolean): FileResult {
  const o = owner(root, f.owner, f.path);
  return inParent(root, f.path, dryRun ? {} : { create: newDirs }, (dir, name) => {
    const before = readFileIn(dir, name);
    const content = f.append && before !== undefined ? Buffer.concat([before, f.content]) : Buffer.from(f.content);
    const changed = before === undefined || !before.equals(content);
    if (changed && !dryRun) writeFileIn(dir, name, content, { mode: f.mode, ...o });
    return { path: f.path, bytes: f.content.length, mode: f.mode.toString(8).padStart(4, '0'), changed };
  });
}

export interface HostnameResult {
  hostname: string;
  changed: boolean;
  /** Set on the running system (real guests only). */
  live: boolean;
}

export function checkHostname(hostname: string): void {
  if (!isValidHostname(hostname)) throw new ContextError('bad-hostname', 'corrupt-data', `the context's host name ${JSON.stringify(hostname.slice(0, 80))} is not a valid host name (RFC 1123)`, { key: 'hostname' });
}

export function setHostname(root: GuestRoot, hostname: string, dryRun: boolean): HostnameResult {
  checkHostname(hostname);
  return inParent(root, '/etc/hostname', dryRun ? {} : { create: newDirs }, (dir, name) => {
    const before = readFileIn(dir, name)?.toString('utf8').trim();
    const changed = before !== hostname;
    let live = false;
    if (!dryRun) {
      if (changed) writeFileIn(dir, name, `${hostname}\n`, { mode: 0o644, uid: 0, gid: 0 });
      if (root.isReal) {
        try {
          nodeChildProcess().execFileSync('hostname', [hostname], { stdio: 'ignore' });
          live = true;
        } catch {
          live = false;
        }
      }
    }
    return { hostname, changed, live };
  });
}
