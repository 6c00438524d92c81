import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { ContextError, FORMAT_NAMES, type FormatName } from '@stratus-context/core';
import type { GuestRoot } from './guest-root.js';

/**
 * The agent's configuration, written into the image by whoever builds it:
 * /etc/stratus-context/agent.conf, `key = value` lines (`KEY=VALUE` too),
 * `#` comments. It decides what the agent may trust; a context cannot
 * change it. Keys:
 *
 *     writable_disks = no          yes: a writable disk with a context label
 *                                  is a context source too (default no: only
 *                                  read-only or removable devices, CD-ROMs)
 *     labels = CONTEXT cidata      only volumes with these labels (default all)
 *     formats = nocloud opennebula only contexts of these formats (default all)
 *     device_wait = 5              seconds to wait for a labelled device to
 *                                  appear (default 5 on a real root, 0 under --root)
 *
 * Since it grants or withholds root on the guest, the file must be a regular
 * file (not a symbolic link) owned by root and not writable by group or
 * others, in a directory that is the same; otherwise it is refused, and with
 * it the whole run.
 */

export const CONFIG_FILE = '/etc/stratus-context/agent.conf';
/** The longest device_wait: a boot that waits longer for its CD-ROM has a problem no wait fixes. */
export const MAX_DEVICE_WAIT_S = 600;
/** Real files are a few lines; anything bigger is not one. */
const MAX_CONFIG_BYTES = 64 * 1024;
const DEFAULT_DEVICE_WAIT_S = 5;

export interface AgentConfig {
  /** A writable disk with a context label may be the context (cloud-init's CVE-2020-11933 class when wrongly yes). */
  writableDisks: boolean;
  /** Accepted volume labels, compared case-insensitively; undefined for every label. */
  labels?: string[];
  /** Accepted formats; undefined for every format. */
  formats?: FormatName[];
  /** How long to wait for a labelled device to appear, in milliseconds. */
  deviceWaitMs: number;
}

export function defaultConfig(root: GuestRoot): AgentConfig {
  return { writableDisks: false, deviceWaitMs: root.isReal ? DEFAULT_DEVICE_WAIT_S * 1000 : 0 };
}

function badConfig(message: string, line?: number): ContextError {
  const where = line === undefined ? CONFIG_FILE : `${CONFIG_FILE}:${line}`;
  return new ContextError('bad-config', 'invalid-input', `${where}: ${message}`, { file: CONFIG_FILE, ...(line !== undefined ? { line } : {}) });
}

function refused(why: string): ContextError {
  return new ContextError('config-refused', 'invalid-input', `refusing ${CONFIG_FILE}: ${why}`, { file: CONFIG_FILE });
}

/** The owners allowed: root, and under --root the user running the agent (a fake root belongs to whoever made it). */
function trustedOwner(root: GuestRoot, uid: number): boolean {
  return uid === 0 || (!root.isReal && uid === process.getuid?.());
}

function checkSafe(root: GuestRoot, what: string, st: { uid: number; mode: number }): void {
  if (!trustedOwner(root, st.uid)) throw refused(`${what} is owned by uid ${st.uid}, not root`);
  if ((st.mode & 0o022) !== 0) throw refused(`${what} is writable by ${st.mode & 0o020 ? 'its group' : 'others'} (mode ${(st.mode & 0o7777).toString(8)})`);
}

/** The file's bytes, or undefined when there is none; refuses what anyone but root could have written. */
function readConfigFile(root: GuestRoot): Buffer | undefined {
  const dir = dirname(CONFIG_FILE);
  let dirStat;
  try {
    dirStat = lstatSync(root.path(dir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw refused(`${dir}: ${(e as Error).message}`);
  }
  if (dirStat.isSymbolicLink()) throw refused(`${dir} is a symbolic link`);
  if (!dirStat.isDirectory()) throw refused(`${dir} is not a directory`);
  checkSafe(root, dir, dirStat);
  let fd: number;
  try {
    fd = openSync(root.path(CONFIG_FILE), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw refused(code === 'ELOOP' ? 'it is a symbolic link' : (e as Error).message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused('it is not a regular file');
    checkSafe(root, 'it', st);
    if (st.size > MAX_CONFIG_BYTES) throw refused(`it is over ${MAX_CONFIG_BYTES} bytes`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function yesNo(value: string, line: number): boolean {
  if (/^(yes|true|on|1)$/i.test(value)) return true;
  if (/^(no|false|off|0)$/i.test(value)) return false;
  throw badConfig(`writable_disks takes yes or no, not "${value}"`, line);
}

function list<T extends string>(key: string, value: string, known: readonly T[], line: number): T[] {
  const words = value.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 0) throw badConfig(`${key} needs at least one of ${known.join(', ')}`, line);
  for (const w of words) {
    if (!known.some((k) => k.toLowerCase() === w.toLowerCase())) throw badConfig(`${key}: unknown "${w}" (known: ${known.join(', ')})`, line);
  }
  return known.filter((k) => words.some((w) => w.toLowerCase() === k.toLowerCase()));
}

/** Parses the text of agent.conf; `labels` are checked against the labels the agent knows. */
export function parseConfig(text: string, root: GuestRoot, knownLabels: readonly string[]): AgentConfig {
  const config = defaultConfig(root);
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const body = raw.replace(/(^|\s)#.*$/, '').trim();
    if (body === '') return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(body);
    if (m === null) throw badConfig('expected "key = value"', line);
    const key = m[1]!.toLowerCase();
    const value = m[2]!.replace(/^(["'])(.*)\1$/, '$2').trim();
    if (seen.has(key)) throw badConfig(`${key} is set twice`, line);
    seen.add(key);
    switch (key) {
      case 'writable_disks':
        config.writableDisks = yesNo(value, line);
        break;
      case 'labels':
        config.labels = list(key, value, knownLabels, line);
        break;
      case 'formats':
        config.formats = list(key, value, FORMAT_NAMES, line);
        break;
      case 'device_wait': {
        const s = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
        if (!(s <= MAX_DEVICE_WAIT_S)) throw badConfig(`device_wait takes seconds from 0 to ${MAX_DEVICE_WAIT_S}, not "${value}"`, line);
        config.deviceWaitMs = Math.round(s * 1000);
        break;
      }
      default:
        throw badConfig(`unknown key "${m[1]}" (known: writable_disks, labels, formats, device_wait)`, line);
    }
  });
  return config;
}

/** The configuration of the guest at `root`: its agent.conf, or the defaults when there is none. */
export function loadConfig(root: GuestRoot, knownLabels: readonly string[]): AgentConfig {
  const bytes = readConfigFile(root);
  if (bytes === undefined) return defaultConfig(root);
  if (bytes.includes(0)) throw badConfig('holds a NUL byte: not a text file');
  return parseConfig(bytes.toString('utf8'), root, knownLabels);
}
