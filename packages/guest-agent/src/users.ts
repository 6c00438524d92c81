import { ContextError, isValidUserName, nodeChildProcess } from '@stratus-context/core';
import type { GuestRoot } from './guest-root.js';
import { ensureDir, readGuestFile, writeGuestFile } from './safe-fs.js';

export interface GuestUser {
  name: string;
  uid: number;
  gid: number;
  /** Home directory, a guest path. */
  home: string;
}

export function checkUserName(name: string): void {
  if (!isValidUserName(name)) throw new ContextError('bad-user-name', 'corrupt-data', `USERNAME ${JSON.stringify(name.slice(0, 40))} is not a valid user name (lower-case letters, digits, _ and -, at most 32)`, { key: 'USERNAME' });
}

function text(root: GuestRoot, guestPath: string): string | undefined {
  return readGuestFile(root, guestPath)?.toString('utf8');
}

function records(content: string | undefined): string[][] {
  return (content ?? '').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

/** Looks a user up in the guest's `/etc/passwd` (never the host's: with `--root` the guest is a folder); undefined when absent. */
export function findUser(root: GuestRoot, name: string): GuestUser | undefined {
  const passwd = text(root, '/etc/passwd');
  if (passwd === undefined) throw new ContextError('no-passwd', 'invalid-input', "the guest has no /etc/passwd", { file: '/etc/passwd' });
  for (const f of records(passwd)) {
    if (f[0] === name && f.length >= 7) {
      const uid = Number(f[2]);
      const gid = Number(f[3]);
      const home = f[5] ?? '';
      if (!Number.isInteger(uid) || !Number.isInteger(gid) || !home.startsWith('/') || home.split('/').includes('..')) {
        throw new ContextError('bad-passwd', 'corrupt-data', `the guest's /etc/passwd entry for ${name} is malformed`, { file: '/etc/passwd', key: name });
      }
      return { name, uid, gid, home };
    }
  }
  return undefined;
}

export function lookupUser(root: GuestRoot, name: string): GuestUser {
  const user = findUser(root, name);
  if (user === undefined) throw new ContextError('no-such-user', 'invalid-input', `user ${name} does not exist in the guest's /etc/passwd`, { key: name });
  return user;
}

/** A group id from the guest's `/etc/group`, or undefined. */
export function lookupGroup(root: GuestRoot, name: string): number | undefined {
  for (const f of records(text(root, '/etc/group'))) if (f[0] === name && Number.isInteger(Number(f[2]))) return Number(f[2]);
  return undefined;
}

/** `KEY=VALUE` settings of /etc/default/useradd and /etc/login.defs that user creation follows. */
function defaults(root: GuestRoot): { home: string; shell: string; uidMin: number } {
  const get = (file: string, key: string, sep: RegExp): string | undefined => {
    for (const line of (text(root, file) ?? '').split('\n')) {
      const [k, ...v] = line.trim().split(sep);
      if (k === key && v.length > 0) return v.join('=').trim().replace(/^"(.*)"$/, '$1');
    }
    return undefined;
  };
  const uidMin = Number(get('/etc/login.defs', 'UID_MIN', /\s+/) ?? 1000);
  return {
    home: get('/etc/default/useradd', 'HOME', /=/) ?? '/home',
    shell: get('/etc/default/useradd', 'SHELL', /=/) ?? '/bin/sh',
    uidMin: Number.isInteger(uidMin) && uidMin > 0 ? uidMin : 1000,
  };
}

/**
 * Creates a user the context names, as OpenNebula's context packages do: in a
 * real guest with `useradd -m` (home, shell and locked password per the
 * image's defaults); under `--root`, entries in the fake root's passwd, group
 * and shadow (password locked) and a home owned by the user.
 */
export function createUser(root: GuestRoot, name: string): GuestUser {
  checkUserName(name);
  if (root.isReal) {
    nodeChildProcess().execFileSync('useradd', ['--create-home', '--', name], { stdio: ['ignore', 'ignore', 'pipe'] });
    return lookupUser(root, name);
  }
  const d = defaults(root);
  const passwd = text(root, '/etc/passwd') ?? '';
  const group = text(root, '/etc/group') ?? '';
  const taken = new Set([...records(passwd).map((f) => Number(f[2])), ...records(group).map((f) => Number(f[2]))]);
  let id = d.uidMin;
  while (taken.has(id)) id += 1;
  const home = `${d.home.replace(/\/+$/, '')}/${name}`;
  const line = (content: string, entry: string) => `${content}${content === '' || content.endsWith('\n') ? '' : '\n'}${entry}\n`;
  const days = Math.floor(Date.now() / 86_400_000);
  const shadow = text(root, '/etc/shadow') ?? '';
  const shadowGid = lookupGroup(root, 'shadow') ?? 0;
  // Shadow first, passwd last: the user exists only once every entry is there.
  writeGuestFile(root, '/etc/shadow', line(shadow, `${name}:!:${days}:0:99999:7:::`), { mode: 0o640, uid: 0, gid: shadowGid });
  writeGuestFile(root, '/etc/group', line(group, `${name}:x:${id}:`), { mode: 0o644, uid: 0, gid: 0 });
  ensureDir(root, home, { mode: 0o700, uid: id, gid: id });
  writeGuestFile(root, '/etc/passwd', line(passwd, `${name}:x:${id}:${id}::${home}:${d.shell}`), { mode: 0o644, uid: 0, gid: 0 });
  return { name, uid: id, gid: id, home };
}
