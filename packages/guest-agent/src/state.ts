import { readFileSync } from 'node:fs';
import { ContextError } from '@stratus-context/core';
import type { GuestRoot } from './guest-root.js';
import { ensureDir, writeGuestFile } from './safe-fs.js';

/**
 * What the agent did, kept under /var/lib/stratus-context so that the next
 * boot knows: which instance was applied, which once-only scripts ran, and
 * which keys the agent (not the user) put in each authorized_keys.
 */
export const STATE_DIR = '/var/lib/stratus-context';
export const STATE_FILE = `${STATE_DIR}/state.json`;

export interface ScriptRecord {
  exitCode: number | null;
  at: string;
}

export interface InstanceRecord {
  firstApplied: string;
  lastApplied: string;
  /** Per-instance scripts that ran, by script id. */
  scripts: Record<string, ScriptRecord>;
}

export interface AgentState {
  version: 1;
  /** The instance applied last. */
  instanceId?: string;
  instances: Record<string, InstanceRecord>;
  /** Per-once scripts that ran, ever, by script id. */
  once: Record<string, ScriptRecord>;
  /** Keys the agent installed, by user name. */
  managedKeys: Record<string, string[]>;
  /** How many times `apply` ran. */
  runs: number;
}

export function emptyState(): AgentState {
  return { version: 1, instances: {}, once: {}, managedKeys: {}, runs: 0 };
}

export function loadState(root: GuestRoot): AgentState {
  let text: string;
  try {
    text = readFileSync(root.path(STATE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw e;
  }
  try {
    const s = JSON.parse(text) as AgentState;
    if (s.version !== 1 || typeof s.instances !== 'object' || typeof s.once !== 'object' || typeof s.managedKeys !== 'object') throw new Error('unexpected shape');
    return { ...emptyState(), ...s };
  } catch (e) {
    throw new ContextError('bad-state', 'corrupt-data', `${STATE_FILE} is damaged (${(e as Error).message}); move it away to start afresh`, { file: STATE_FILE }, { cause: e });
  }
}

export function saveState(root: GuestRoot, state: AgentState): void {
  ensureDir(root, STATE_DIR, { mode: 0o700, uid: 0, gid: 0 });
  writeGuestFile(root, STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, uid: 0, gid: 0 });
}
