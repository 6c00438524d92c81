import { readFileSync } from 'node:fs';
import { ContextError } from '@stratus-context/core';
import type { GuestRoot } from './guest-root.js';

export interface GuestUser {
  name: string;
  uid: number;
  gid: number;
  /** Home directory, a guest path. */
  home: string;
}

/** Looks a user up in the guest's `/etc/passwd` (never the host's: with `--root` the guest is a folder). */
export function lookupUser(root: GuestRoot, name: string): GuestUser {
  let text: string;
  try {
    text = readFileSync(root.path('/etc/passwd'), 'utf8');
  } catch (e) {
    throw new ContextError('no-passwd', 'invalid-input', `cannot read the guest's /etc/passwd: ${(e as Error).message}`, { file: '/etc/passwd' }, { cause: e });
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) {
      const uid = Number(f[2]);
      const gid = Number(f[3]);
      const home = f[5] ?? '';
      if (!Number.isInteger(uid) || !Number.isInteger(gid) || !home.startsWith('/')) break;
      return { name, uid, gid, home };
    }
  }
  throw new ContextError('no-such-user', 'invalid-input', `user ${name} does not exist in the guest's /etc/passwd`, { key: name });
}

/** A group id from the guest's `/etc/group`, or undefined. */
export function lookupGroup(root: GuestRoot, name: string): number | undefined {
  try {
    for (const line of readFileSync(root.path('/etc/group'), 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && Number.isInteger(Number(f[2]))) return Number(f[2]);
    }
  } catch {
    // no /etc/group: no groups
  }
  return undefined;
}
