import { readFileSync } from 'node:fs';
import { ContextError, nodeChildProcess } from '@stratus-context/core';
import type { WriteFile } from '../cloud-config.js';
import type { GuestRoot } from '../guest-root.js';
import { writeGuestFile } from '../safe-fs.js';
import { lookupGroup, lookupUser } from '../users.js';

/** Files of `write_files` and the hostname: written atomically, never through a symbolic link. */

export interface FileResult {
  path: string;
  bytes: number;
  mode: string;
  changed: boolean;
}

function owner(root: GuestRoot, spec: string): { uid?: number; gid?: number } {
  const [userName = 'root', groupName] = spec.split(':');
  try {
    const u = lookupUser(root, userName);
    const gid = groupName !== undefined ? lookupGroup(root, groupName) : undefined;
    return { uid: u.uid, gid: gid ?? u.gid };
  } catch {
    return {};
  }
}

function current(host: string): Buffer | undefined {
  try {
    return readFileSync(host);
  } catch {
    return undefined;
  }
}

export function writeFiles(root: GuestRoot, files: readonly WriteFile[], dryRun: boolean): FileResult[] {
  return files.map((f) => {
    const host = root.path(f.path);
    root.assertNoSymlinks(f.path);
    const before = current(host);
    const content = f.append && before !== undefined ? Buffer.concat([before, f.content]) : Buffer.from(f.content);
    const changed = before === undefined || !before.equals(content);
    if (changed && !dryRun) writeGuestFile(root, f.path, content, { mode: f.mode, ...owner(root, f.owner) });
    return { path: f.path, bytes: f.content.length, mode: f.mode.toString(8).padStart(4, '0'), changed };
  });
}

export interface HostnameResult {
  hostname: string;
  changed: boolean;
  /** Set on the running system (real guests only). */
  live: boolean;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

export function setHostname(root: GuestRoot, hostname: string, dryRun: boolean): HostnameResult {
  if (!HOSTNAME.test(hostname)) throw new ContextError('bad-hostname', 'corrupt-data', `the context's host name "${hostname}" is not a valid host name`);
  const before = current(root.path('/etc/hostname'))?.toString('utf8').trim();
  const changed = before !== hostname;
  let live = false;
  if (!dryRun) {
    if (changed) writeGuestFile(root, '/etc/hostname', `${hostname}\n`, { mode: 0o644, uid: 0, gid: 0 });
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
}
