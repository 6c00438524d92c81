import { closeSync, constants as C, existsSync, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ContextError } from '@stratus-context/core';
import type { GuestRoot } from './guest-root.js';

/**
 * Every write the agent makes in the guest, done from directory descriptors.
 *
 * The agent runs as root in directories that unprivileged users own (their
 * homes, `~/.ssh`). A path is walked one component at a time, each opened
 * with O_NOFOLLOW|O_DIRECTORY from its parent's descriptor, so a symbolic
 * link swapped in anywhere on the way is refused, never followed. Files are
 * created with O_EXCL|O_NOFOLLOW in that directory and given their owner and
 * mode with fchown/fchmod on the open descriptor, never by path: renaming a
 * link over the temporary file afterwards changes nothing but which name the
 * final rename moves, inside the user's own directory.
 *
 * Node has no openat(2); `/proc/self/fd/N/NAME` is its equivalent: the kernel
 * resolves the descriptor's own directory (wherever it has been moved) and
 * then NAME inside it, with O_NOFOLLOW applying to NAME.
 */

/** Owner and mode of something the agent writes. */
export interface Ownership {
  mode: number;
  uid?: number;
  gid?: number;
}

/** What a directory on the way must satisfy, or why it is refused (sshd's StrictModes for homes). */
export type DirCheck = (st: Stats, guestPath: string) => string | undefined;

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
/** The largest guest file the agent reads back (authorized_keys, a file it appends to). */
export const MAX_READ_BYTES = 16 << 20;

const isRoot = () => process.getuid?.() === 0;

function refuse(code: string, guestPath: string, why: string): ContextError {
  return new ContextError(code, 'invalid-input', `refusing ${guestPath}: ${why}`, { file: guestPath });
}

let procChecked = false;
function checkProc(): void {
  if (procChecked) return;
  if (!existsSync('/proc/self/fd')) throw new ContextError('no-proc', 'internal', '/proc is not mounted: the agent needs /proc/self/fd to write safely');
  procChecked = true;
}

/** An open guest directory. `at(name)` names an entry of it for the fs calls, without a path walk. */
export class GuestDir {
  constructor(
    readonly fd: number,
    /** The path as asked for (what messages and checks name). */
    readonly guestPath: string,
    /** Where it is once trusted links are followed. */
    readonly physical: string = guestPath,
  ) {}

  at(name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new ContextError('bad-path', 'internal', `${JSON.stringify(name)} is not a file name`);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  child(name: string): string {
    return this.guestPath === '/' ? `/${name}` : `${this.guestPath}/${name}`;
  }

  stat(): Stats {
    return fstatSync(this.fd);
  }

  names(): string[] {
    return readdirSync(`/proc/self/fd/${this.fd}`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

/** Links followed on one walk at most, as the kernel's own limit for nested links. */
const MAX_LINKS = 8;
const ownUid = () => process.getuid?.() ?? 0;

/**
 * A symbolic link the walk may follow: owned by root (or by the agent's own
 * uid, for tests on a fake root) in a folder that only root can change, as
 * /home -> /srv/home or Debian's /bin -> usr/bin. A link that anyone else
 * could have made or replaced is refused.
 */
function trustedLink(dir: GuestDir, name: string): string | undefined {
  try {
    const link = lstatSync(dir.at(name));
    const parent = dir.stat();
    const trusted = (uid: number) => uid === 0 || uid === ownUid();
    if (!link.isSymbolicLink() || !trusted(link.uid) || !trusted(parent.uid) || (parent.mode & 0o022) !== 0) return undefined;
    return readlinkSync(dir.at(name));
  } catch {
    return undefined;
  }
}

/** Opens `name` in `dir` as a directory: the directory, a trusted link's target to follow, or undefined when it does not exist. */
function openSubdir(dir: GuestDir, name: string): GuestDir | { link: string } | undefined {
  const guestPath = dir.child(name);
  try {
    return new GuestDir(openSync(dir.at(name), DIR_FLAGS), guestPath, dir.physical === '/' ? `/${name}` : `${dir.physical}/${name}`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR' || code === 'ELOOP') {
      let what = 'not a directory';
      try {
        what = kindOf(lstatSync(dir.at(name)));
      } catch {
        // gone meanwhile
      }
      if (what === 'a symbolic link') {
        const target = trustedLink(dir, name);
        if (target !== undefined) return { link: target };
      }
      throw refuse(what === 'a symbolic link' ? 'symlink-refused' : 'not-a-directory', guestPath, `it is ${what}`);
    }
    throw e;
  }
}

function applyOwnership(fd: number, o: Ownership): void {
  // Ownership only where we may change it: as root (a real guest, or tests run as root).
  if (o.uid !== undefined && isRoot()) fchownSync(fd, o.uid, o.gid ?? o.uid);
  fchmodSync(fd, o.mode);
}

/** Gives an open file or directory its owner (as root only) and mode. */
export function setOwnership(target: GuestDir | number, o: Ownership): void {
  applyOwnership(typeof target === 'number' ? target : target.fd, o);
}

export interface WalkOptions {
  /** Create missing directories: the last with this ownership, the ones above it root-owned 0755. */
  create?: Ownership;
  /** Give the last directory this ownership even when it exists. */
  enforce?: boolean;
  /** Checked on every directory below the root, from the top. */
  check?: DirCheck;
}

/**
 * Opens a guest directory by walking from the guest's root, one component at
 * a time. The caller closes it.
 */
export function openGuestDir(root: GuestRoot, guestPath: string, options: WalkOptions = {}): GuestDir {
  checkProc();
  return walk(root, guestPath, options, { links: 0 });
}

function walk(root: GuestRoot, guestPath: string, options: WalkOptions, hops: { links: number }): GuestDir {
  root.path(guestPath); // validates: absolute, no `..`
  const parts = guestPath.split('/').filter((p) => p !== '' && p !== '.');
  let dir = new GuestDir(openSync(root.dir, C.O_RDONLY | C.O_DIRECTORY), '/');
  try {
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      let next = openSubdir(dir, part);
      let created = false;
      if (next === undefined) {
        if (options.create === undefined) throw new ContextError('not-found', 'invalid-input', `${dir.child(part)} does not exist`, { file: dir.child(part) });
        try {
          mkdirSync(dir.at(part), { mode: 0o700 });
          created = true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        next = openSubdir(dir, part);
        if (next === undefined) throw refuse('raced', dir.child(part), 'it vanished while being created');
      }
      if ('link' in next) {
        // A trusted link: its target is walked afresh from the root, under the same rules.
        if ((hops.links += 1) > MAX_LINKS) throw refuse('symlink-refused', dir.child(part), `more than ${MAX_LINKS} symbolic links on the way`);
        const target = next.link.startsWith('/') ? next.link : `${dir.physical}/${next.link}`;
        const resolved = walk(root, posix.normalize(target), {}, hops);
        next = new GuestDir(resolved.fd, dir.child(part), resolved.physical);
      }
      dir.close();
      dir = next;
      // An existing folder is judged as found, before the agent changes it.
      const check = () => {
        const why = options.check?.(dir.stat(), dir.guestPath);
        if (why !== undefined) throw refuse('unsafe-directory', dir.guestPath, why);
      };
      if (!created) check();
      if (created || (last && options.enforce === true)) {
        applyOwnership(dir.fd, last && options.create !== undefined ? options.create : { mode: 0o755, uid: 0, gid: 0 });
      }
      if (created) check();
    });
    return dir;
  } catch (e) {
    dir.close();
    throw e;
  }
}

/** Runs `fn` with the parent directory of a guest file open, and the file's name. */
export function inParent<T>(root: GuestRoot, guestPath: string, options: WalkOptions, fn: (dir: GuestDir, name: string) => T): T {
  const slash = guestPath.lastIndexOf('/');
  const name = guestPath.slice(slash + 1);
  if (name === '' || name === '.' || name === '..') throw new ContextError('bad-path', 'invalid-input', `${guestPath} does not name a file`, { file: guestPath });
  const dir = openGuestDir(root, guestPath.slice(0, slash) || '/', options);
  try {
    return fn(dir, name);
  } finally {
    dir.close();
  }
}

/** Creates a guest directory (and its parents, as root-owned 0755) and gives it the ownership asked for. */
export function ensureDir(root: GuestRoot, guestPath: string, o: Ownership, check?: DirCheck): void {
  openGuestDir(root, guestPath, { create: o, enforce: true, ...(check !== undefined ? { check } : {}) }).close();
}

/** Opens a guest file for reading without following a link or blocking; refuses anything but a regular, singly linked file. */
function openRegular(dir: GuestDir, name: string, flags: number, mode = 0o600): number | undefined {
  let fd: number;
  try {
    fd = openSync(dir.at(name), flags | C.O_NOFOLLOW | C.O_NONBLOCK, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw refuse('symlink-refused', dir.child(name), 'it is a symbolic link');
    if (code === 'EISDIR' || code === 'ENXIO' || code === 'ENODEV') throw refuse('not-a-regular-file', dir.child(name), `it is ${code === 'EISDIR' ? 'a directory' : 'a device or socket'}`);
    throw e;
  }
  const st = fstatSync(fd);
  const why = !st.isFile() ? `it is ${kindOf(st)}` : st.nlink > 1 ? `it has ${st.nlink} hard links` : undefined;
  if (why !== undefined) {
    closeSync(fd);
    throw refuse(st.isFile() ? 'hard-link-refused' : 'not-a-regular-file', dir.child(name), why);
  }
  return fd;
}

/** Reads a guest file in an open directory; undefined when it does not exist. */
export function readFileIn(dir: GuestDir, name: string, maxBytes = MAX_READ_BYTES): Buffer | undefined {
  const fd = openRegular(dir, name, C.O_RDONLY);
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new ContextError('file-too-large', 'limit', `refusing ${dir.child(name)}: ${size} bytes, more than ${maxBytes}`, { file: dir.child(name) });
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Reads a guest file (never through a link); undefined when it or its folder does not exist. */
export function readGuestFile(root: GuestRoot, guestPath: string, check?: DirCheck, maxBytes = MAX_READ_BYTES): Buffer | undefined {
  try {
    return inParent(root, guestPath, check !== undefined ? { check } : {}, (dir, name) => readFileIn(dir, name, maxBytes));
  } catch (e) {
    if (e instanceof ContextError && e.code === 'not-found') return undefined;
    throw e;
  }
}

const TMP_TAG = '.stratus-';
const tmpName = (name: string) => `.${name}${TMP_TAG}${process.pid}-${randomBytes(6).toString('hex')}.tmp`;

/** Removes temporary files that an interrupted write of `name` left in `dir`. */
function removeLeftovers(dir: GuestDir, name: string): void {
  const prefix = `.${name}${TMP_TAG}`;
  for (const n of dir.names()) {
    if (n.startsWith(prefix) && n.endsWith('.tmp')) {
      try {
        unlinkSync(dir.at(n));
      } catch {
        // gone meanwhile
      }
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Replaces `name` in `dir` atomically: a temporary file created there with
 * O_EXCL, owner and mode set on its descriptor, written, synced, renamed over
 * the name. Readers see the old file or the new one, never a mix; a failure
 * (a full disk) leaves the old file as it was.
 */
export function writeFileIn(dir: GuestDir, name: string, data: Uint8Array | string, o: Ownership, durable = true): void {
  removeLeftovers(dir, name);
  const tmp = tmpName(name);
  const fd = openSync(dir.at(tmp), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  try {
    try {
      applyOwnership(fd, o);
      writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(dir.at(tmp), dir.at(name));
    if (durable) fsyncSync(dir.fd);
  } catch (e) {
    try {
      unlinkSync(dir.at(tmp));
    } catch {
      // renamed or gone
    }
    throw e;
  }
}

/**
 * Writes a guest file atomically, creating its folder (root-owned 0755) when
 * missing; refuses to write through a symbolic link anywhere on its path.
 */
export function writeGuestFile(root: GuestRoot, guestPath: string, data: Uint8Array | string, o: Ownership, durable = true): void {
  inParent(root, guestPath, { create: { mode: 0o755, uid: 0, gid: 0 } }, (dir, name) => writeFileIn(dir, name, data, o, durable));
}

/**
 * Opens a guest file for writing (a log): appended to, or truncated; created
 * with `mode`; refused when it is not a regular, singly linked file. When an
 * appended file is over `rotateAt` bytes it is first moved to `NAME.1`.
 */
export function openLogIn(dir: GuestDir, name: string, o: Ownership, mode: 'append' | 'truncate', rotateAt = Infinity): number {
  // Always O_APPEND: a script's writes go after whatever the agent truncated the log to.
  const flags = C.O_WRONLY | C.O_CREAT | C.O_APPEND | (mode === 'truncate' ? C.O_TRUNC : 0);
  let fd = openRegular(dir, name, flags, o.mode)!;
  if (fstatSync(fd).size > rotateAt) {
    closeSync(fd);
    renameSync(dir.at(name), dir.at(`${name}.1`));
    fd = openRegular(dir, name, flags, o.mode)!;
  }
  try {
    applyOwnership(fd, o);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/** Removes a guest file in an open directory, if there. */
export function removeIn(dir: GuestDir, name: string): void {
  try {
    unlinkSync(dir.at(name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * sshd's StrictModes, for a home and the folders under it: each must be
 * owned by the user or root and writable by no one else. Folders above the
 * home are not the user's to vouch for (sshd stops at the home too).
 */
export function strictModes(uid: number, userName: string, home: string): DirCheck {
  const top = home.replace(/\/+$/, '') || '/';
  return (st, guestPath) => {
    if (guestPath !== top && !guestPath.startsWith(`${top}/`)) return undefined;
    if (isRoot() && st.uid !== 0 && st.uid !== uid) return `it is owned by uid ${st.uid}, not by ${userName} or root (sshd's StrictModes refuses it too)`;
    if ((st.mode & 0o022) !== 0) return `it is writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}; sshd's StrictModes refuses it too)`;
    return undefined;
  };
}
