import { appendFileSync } from 'node:fs';
import { derivedInstanceId, type FormatName } from '@stratus-context/core';
import { installKeys, type KeysResult } from './actions/keys.js';
import { setHostname, writeFiles, type FileResult, type HostnameResult } from './actions/files.js';
import { runScript, type ScriptRun } from './actions/scripts.js';
import type { GuestRoot } from './guest-root.js';
import { planContext, type Frequency } from './plan.js';
import { ensureDir } from './safe-fs.js';
import { findContext, type FindOptions } from './sources.js';
import { STATE_DIR, loadState, saveState } from './state.js';

/** Find, decode, apply: what one `stratus-context-agent apply` does, and its report. */

export const LOG_DIR = '/var/log/stratus-context';
/** Default time a script may run before its process group is killed. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 10 * 60 * 1000;

export interface ApplyOptions extends FindOptions {
  dryRun?: boolean;
  scriptTimeoutMs?: number;
}

export interface ScriptReport {
  name: string;
  origin: string;
  frequency: Frequency;
  /** `ran`, or why not: `done-for-instance`, `done-once`, `dry-run`. */
  status: 'ran' | 'done-for-instance' | 'done-once' | 'dry-run';
  run?: ScriptRun;
  ok: boolean;
}

export interface ApplyReport {
  source: string;
  format: FormatName;
  volumeId?: string;
  instanceId: string;
  /** True when this instance had not been applied on this guest before. */
  newInstance: boolean;
  dryRun: boolean;
  keys: KeysResult[];
  hostname?: HostnameResult;
  files: FileResult[];
  scripts: ScriptReport[];
  notApplied: string[];
  /** True when every script that ran exited 0. */
  scriptsOk: boolean;
}

/** Appends to /var/log/stratus-context/agent.log; the folder is checked once a run. */
function agentLog(root: GuestRoot, dryRun: boolean): (message: string) => void {
  let ready = false;
  return (message) => {
    if (dryRun) return;
    if (!ready) {
      ensureDir(root, LOG_DIR, { mode: 0o755, uid: 0, gid: 0 });
      root.assertNoSymlinks(`${LOG_DIR}/agent.log`);
      ready = true;
    }
    appendFileSync(root.path(`${LOG_DIR}/agent.log`), `${new Date().toISOString()} ${message}\n`);
  };
}

export async function applyContext(root: GuestRoot, options: ApplyOptions = {}): Promise<ApplyReport> {
  const dryRun = options.dryRun ?? false;
  const found = await findContext(root, options);
  const ctx = found.context;
  const instanceId = ctx.instanceId ?? derivedInstanceId(ctx);
  const plan = planContext(ctx, found.format);
  const state = loadState(root);
  const now = new Date().toISOString();
  const newInstance = state.instances[instanceId] === undefined;
  const log = agentLog(root, dryRun);
  log(`applying ${found.format} context from ${found.source}, instance ${instanceId}${newInstance ? ' (new)' : ''}`);

  // Keys first: a guest must be reachable even when a script fails.
  const keys: KeysResult[] = [];
  for (const [user, managed] of Object.entries(state.managedKeys)) {
    if (user !== plan.user && managed.length > 0) keys.push(installKeys(root, user, [], managed, dryRun));
  }
  keys.push(installKeys(root, plan.user, plan.keys, state.managedKeys[plan.user] ?? [], dryRun));
  for (const k of keys) log(`keys installed for ${k.user}: ${k.added.length} added, ${k.removed.length} removed, ${k.kept} kept`);
  const report: ApplyReport = {
    source: found.source,
    format: found.format,
    ...(found.volumeId !== undefined ? { volumeId: found.volumeId } : {}),
    instanceId,
    newInstance,
    dryRun,
    keys,
    files: [],
    scripts: [],
    notApplied: plan.notApplied,
    scriptsOk: true,
  };
  if (plan.hostname !== undefined) report.hostname = setHostname(root, plan.hostname, dryRun);
  report.files = writeFiles(root, plan.writeFiles, dryRun);

  const instance = state.instances[instanceId] ?? { firstApplied: now, lastApplied: now, scripts: {} };
  instance.lastApplied = now;
  if (!dryRun) {
    for (const user of Object.keys(state.managedKeys)) if (user !== plan.user) delete state.managedKeys[user];
    state.managedKeys[plan.user] = plan.keys;
    state.instances[instanceId] = instance;
    state.instanceId = instanceId;
    state.runs += 1;
    saveState(root, state);
  }

  const dir = `${STATE_DIR}/instances/${instanceId.replace(/[^A-Za-z0-9._-]/g, '_')}/scripts`;
  const logDir = `${LOG_DIR}/${instanceId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    INSTANCE_ID: instanceId,
    STRATUS_CONTEXT_ROOT: root.isReal ? '' : root.dir,
    ...ctx.variables,
  };
  let index = 0;
  for (const script of plan.scripts) {
    index += 1;
    const done = script.frequency === 'per-instance' ? instance.scripts[script.id] : script.frequency === 'once' ? state.once[script.id] : undefined;
    const base = { name: script.name, origin: script.origin, frequency: script.frequency };
    if (done !== undefined) {
      report.scripts.push({ ...base, status: script.frequency === 'once' ? 'done-once' : 'done-for-instance', ok: true });
      continue;
    }
    if (dryRun) {
      report.scripts.push({ ...base, status: 'dry-run', ok: true });
      continue;
    }
    const run = await runScript(root, dir, logDir, index, script, { timeoutMs: options.scriptTimeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS, env });
    const ok = run.exitCode === 0 && !run.timedOut;
    report.scriptsOk &&= ok;
    report.scripts.push({ ...base, status: 'ran', run, ok });
    log(`script ${script.name} (${script.origin}): ${run.timedOut ? 'timed out' : run.exitCode !== null ? `exit ${run.exitCode}` : `killed by ${run.signal}`} in ${run.ms} ms, log ${run.log}`);
    const record = { exitCode: run.exitCode, at: new Date().toISOString() };
    // A script counts as done once it ran, whatever its exit status: re-running a half-done script at each boot is worse.
    if (script.frequency === 'per-instance') instance.scripts[script.id] = record;
    if (script.frequency === 'once') state.once[script.id] = record;
    saveState(root, state);
  }
  log(`done: ${report.scripts.filter((s) => s.status === 'ran').length} scripts ran${report.scriptsOk ? '' : ', some failed'}`);
  return report;
}
