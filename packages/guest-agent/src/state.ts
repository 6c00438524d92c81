import { createHash } from 'node:crypto';
import { ContextError } from '@stratus-context/core';
import type { GuestRoot } from './guest-root.js';
import { ensureDir, readGuestFile, writeGuestFile } from './safe-fs.js';

/**
 * What the agent did, kept under /var/lib/stratus-context so that the next
 * boot knows: which instance was applied, which once-only scripts ran, and
 * which keys the agent (not the user) put in each authorized_keys.
 *
 * Every record keyed by outside input (instance ids, user names, script ids)
 * is a prototype-less object: an instance called `constructor` or
 * `__proto__` is a name like any other.
 */
export const STATE_DIR = '/var/lib/stratus-context';
export const STATE_FILE = `${STATE_DIR}/state.json`;

export type Dict<T> = Record<string, T>;

export function dict<T>(from?: unknown): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  if (typeof from === 'object' && from !== null && !Array.isArray(from)) for (const [k, v] of Object.entries(from)) out[k] = v as T;
  return out;
}

export function has(d: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(d, key);
}

export interface ScriptRecord {
  exitCode: number | null;
  at: string;
  timedOut?: boolean;
}

export interface InstanceRecord {
  firstApplied: string;
  lastApplied: string;
  /** Per-instance scripts that ran, by script id. */
  scripts: Dict<ScriptRecord>;
}

export interface AgentState {
  version: 1;
  /** The instance applied last. */
  instanceId?: string;
  instances: Dict<InstanceRecord>;
  /** Per-once scripts that ran, ever, by script id. */
  once: Dict<ScriptRecord>;
  /**
   * Keys the agent installed, by user name. Written before the keys are
   * (the union of the old and the new), and again after: a key the agent
   * put in a file is always known to be the agent's.
   */
  managedKeys: Dict<string[]>;
  /** How many times `apply` ran. */
  runs: number;
}

export function emptyState(): AgentState {
  return { version: 1, instances: dict(), once: dict(), managedKeys: dict(), runs: 0 };
}

function damaged(why: string, cause?: unknown): ContextError {
  return new ContextError('bad-state', 'corrupt-data', `${STATE_FILE} is damaged (${why}); move it away to start afresh`, { file: STATE_FILE }, cause === undefined ? undefined : { cause });
}

export function loadState(root: GuestRoot): AgentState {
  const bytes = readGuestFile(root, STATE_FILE);
  if (bytes === undefined) return emptyState();
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw damaged('not JSON', e);
  }
  if (typeof s !== 'object' || s === null || s['version'] !== 1) throw damaged('unexpected shape');
  const instances = dict<InstanceRecord>();
  for (const [id, rec] of Object.entries(dict<Record<string, unknown>>(s['instances']))) {
    if (typeof rec !== 'object' || rec === null) throw damaged(`instance ${JSON.stringify(id)}`);
    instances[id] = { firstApplied: String(rec['firstApplied']), lastApplied: String(rec['lastApplied']), scripts: dict(rec['scripts']) };
  }
  const managedKeys = dict<string[]>();
  for (const [user, keys] of Object.entries(dict<unknown>(s['managedKeys']))) {
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw damaged(`managed keys of ${JSON.stringify(user)}`);
    managedKeys[user] = keys as string[];
  }
  const state: AgentState = { version: 1, instances, once: dict(s['once']), managedKeys, runs: typeof s['runs'] === 'number' ? s['runs'] : 0 };
  if (typeof s['instanceId'] === 'string') state.instanceId = s['instanceId'];
  return state;
}

export function saveState(root: GuestRoot, state: AgentState): void {
  ensureDir(root, STATE_DIR, { mode: 0o700, uid: 0, gid: 0 });
  writeGuestFile(root, STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, uid: 0, gid: 0 });
}

/**
 * The folder name of an instance (its scripts, markers and logs): the id
 * itself when it is a plain name, else a hash of it, so that `..`, `.`, an
 * empty or dot-leading id can never name a folder above or beside it.
 */
export function instanceDirName(instanceId: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(instanceId)) return instanceId;
  return `iid-${createHash('sha256').update(instanceId, 'utf8').digest('hex').slice(0, 16)}`;
}
