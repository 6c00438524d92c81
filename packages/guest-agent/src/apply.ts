import { closeSync, writeSync } from 'node:fs';
import { derivedInstanceId, type FormatName } from '@stratus-context/core';
import { installKeys, type KeysResult } from './actions/keys.js';
import { setHostname, writeFile, type FileResult, type HostnameResult } from './actions/files.js';
import { clearMarkers, markerName, runScript, type ScriptRun } from './actions/scripts.js';
import type { GuestRoot } from './guest-root.js';
import { planContext, type Frequency, type ItemFailure, type Plan, type ScriptPlan } from './plan.js';
import { openGuestDir, openLogIn } from './safe-fs.js';
import { scriptEnvironment } from './script-env.js';
import { findContext, type FindOptions } from './sources.js';
import { STATE_DIR, has, instanceDirName, loadState, saveState, type AgentState, type InstanceRecord } from './state.js';
import { createUser, findUser } from './users.js';

/**
 * Find, decode, apply: what one `stratus-context-agent apply` does, and its
 * report.
 *
 * Everything that can be refused is decided before anything changes (the
 * context found and decoded, the state read, each item checked by the plan).
 * Then items apply one by one, in this order: the user, the keys, the
 * hostname, the files (the `config` phase, before sshd starts), then the
 * scripts (the `scripts` phase). An item that fails is reported and logged;
 * the others go on.
 */

export const LOG_DIR = '/var/log/stratus-context';
/** Default time a script may run before its process group is killed. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 10 * 60 * 1000;
/** The longest script timeout: what a Node timer can hold (2^31 - 1 ms, about 24.8 days). */
export const MAX_SCRIPT_TIMEOUT_MS = 2 ** 31 - 1;
/** agent.log is moved to agent.log.1 beyond this. */
const MAX_AGENT_LOG = 1 << 20;

export type Phase = 'config' | 'scripts' | 'all';

export interface ApplyOptions extends FindOptions {
  dryRun?: boolean;
  scriptTimeoutMs?: number;
  phase?: Phase;
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
  phase: Phase;
  /** The user the keys are for, and whether the agent created it. */
  user?: { name: string; created: boolean };
  keys: KeysResult[];
  hostname?: HostnameResult;
  files: FileResult[];
  scripts: ScriptReport[];
  notApplied: string[];
  /** Items that failed (refused by the plan or failing as applied), each named. */
  failures: ItemFailure[];
  warnings: string[];
  /** True when every script that ran exited 0. */
  scriptsOk: boolean;
  /** True when nothing failed. */
  ok: boolean;
}

/** Appends to /var/log/stratus-context/agent.log, opened once a run (moved to agent.log.1 beyond 1 MiB). */
function agentLog(root: GuestRoot, dryRun: boolean): { log: (message: string) => void; close: () => void } {
  let fd: number | undefined;
  let broken = false;
  return {
    log: (message) => {
      if (dryRun || broken) return;
      try {
        if (fd === undefined) {
          const dir = openGuestDir(root, LOG_DIR, { create: { mode: 0o755, uid: 0, gid: 0 } });
          try {
            fd = openLogIn(dir, 'agent.log', { mode: 0o600, uid: 0, gid: 0 }, 'append', MAX_AGENT_LOG);
          } finally {
            dir.close();
          }
        }
        writeSync(fd, `${new Date().toISOString()} ${message}\n`);
      } catch (e) {
        // A log that cannot be written (a full disk, a planted link) must not stop the apply.
        broken = true;
        process.stderr.write(`stratus-context-agent: warning: cannot write ${LOG_DIR}/agent.log: ${(e as Error).message}\n`);
      }
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
    },
  };
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function applyContext(root: GuestRoot, options: ApplyOptions = {}): Promise<ApplyReport> {
  const dryRun = options.dryRun ?? false;
  const phase = options.phase ?? 'all';
  const found = await findContext(root, options);
  const ctx = found.context;
  const instanceId = ctx.instanceId ?? derivedInstanceId(ctx);
  const plan = planContext(ctx, found.format);
  const state = loadState(root);
  const newInstance = !has(state.instances, instanceId);
  const { log, close } = agentLog(root, dryRun);
  const report: ApplyReport = {
    source: found.source,
    format: found.format,
    ...(found.volumeId !== undefined ? { volumeId: found.volumeId } : {}),
    instanceId,
    newInstance,
    dryRun,
    phase,
    keys: [],
    files: [],
    scripts: [],
    notApplied: plan.notApplied,
    failures: [],
    warnings: [...found.warnings],
    scriptsOk: true,
    ok: true,
  };
  const fail = (item: string, error: string) => {
    report.failures.push({ item, error });
    log(`FAILED ${item}: ${error}`);
  };
  /** Runs one item; its failure is reported and the apply goes on. */
  const item = <T>(name: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      fail(name, messageOf(e));
      return undefined;
    }
  };
  try {
    log(`applying ${found.format} context from ${found.source}, instance ${instanceId}${newInstance ? ' (new)' : ''}${phase !== 'all' ? `, phase ${phase}` : ''}`);
    for (const w of report.warnings) log(`warning: ${w}`);
    for (const r of plan.refused) fail(r.item, r.error);
    const now = new Date().toISOString();
    const instance: InstanceRecord = has(state.instances, instanceId) ? state.instances[instanceId]! : { firstApplied: now, lastApplied: now, scripts: Object.create(null) };
    if (phase !== 'scripts') applyConfig(root, plan, state, report, item, dryRun);
    if (!dryRun) {
      instance.lastApplied = now;
      state.instances[instanceId] = instance;
      state.instanceId = instanceId;
      if (phase !== 'scripts') state.runs += 1;
      item('state', () => saveState(root, state));
    }
    if (phase !== 'config') await applyScripts(root, ctx.variables, plan, state, instance, instanceId, report, { item, fail, log, dryRun, timeoutMs: options.scriptTimeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS });
    report.ok = report.failures.length === 0 && report.scriptsOk;
    log(`done: ${report.scripts.filter((s) => s.status === 'ran').length} scripts ran${report.ok ? '' : `, ${report.failures.length + report.scripts.filter((s) => !s.ok).length} items failed`}`);
    return report;
  } finally {
    close();
  }
}

type Item = <T>(name: string, fn: () => T) => T | undefined;

/** The user, the keys (this context's user's, and the removal of keys it installed for others before), the hostname, the files. */
function applyConfig(root: GuestRoot, plan: Plan, state: AgentState, report: ApplyReport, item: Item, dryRun: boolean): void {
  const managed = state.managedKeys;
  const previous = has(managed, plan.user) ? managed[plan.user]! : [];
  if (!dryRun) {
    // Intent before acting: every key that may be in the file once this run writes it is recorded as the agent's.
    managed[plan.user] = [...new Set([...previous, ...plan.keys])];
    item('state', () => saveState(root, state));
  }
  for (const name of Object.keys(managed)) {
    if (name === plan.user) continue;
    const r = item(`keys of ${name}`, () => {
      const u = findUser(root, name);
      if (u === undefined) return 'gone' as const; // the user no longer exists: nothing of theirs to remove
      return installKeys(root, u, [], managed[name]!, dryRun);
    });
    if (r !== undefined && r !== 'gone') report.keys.push(r);
    if (r !== undefined && !dryRun) delete managed[name];
  }
  const user = item(`user ${plan.user}`, () => {
    const u = findUser(root, plan.user);
    if (u !== undefined || dryRun) return { u, created: false };
    return { u: createUser(root, plan.user), created: true };
  });
  if (user !== undefined) report.user = { name: plan.user, created: user.created };
  const u = user?.u;
  if (u !== undefined) {
    const r = item(`keys of ${plan.user}`, () => installKeys(root, u, plan.keys, previous, dryRun));
    if (r !== undefined) {
      report.keys.push(r);
      if (!dryRun) managed[plan.user] = plan.keys;
    }
  } else if (user !== undefined) {
    report.keys.push({ user: plan.user, file: '(a new user)', added: [...plan.keys], removed: [], kept: 0, changed: plan.keys.length > 0 });
  }
  if (plan.hostname !== undefined) {
    const h = plan.hostname;
    const r = item('hostname', () => setHostname(root, h, dryRun));
    if (r !== undefined) report.hostname = r;
  }
  for (const f of plan.writeFiles) {
    const r = item(`write_files ${f.path}`, () => writeFile(root, f, dryRun));
    if (r !== undefined) report.files.push(r);
  }
}

interface ScriptContext {
  item: Item;
  fail: (item: string, error: string) => void;
  log: (message: string) => void;
  dryRun: boolean;
  timeoutMs: number;
}

async function applyScripts(
  root: GuestRoot,
  variables: Record<string, string>,
  plan: Plan,
  state: AgentState,
  instance: InstanceRecord,
  instanceId: string,
  report: ApplyReport,
  c: ScriptContext,
): Promise<void> {
  const base = `${STATE_DIR}/instances/${instanceDirName(instanceId)}`;
  const dir = `${base}/scripts`;
  const logDir = `${LOG_DIR}/${instanceDirName(instanceId)}`;
  const { env, dropped } = scriptEnvironment(variables, { instanceId, contextRoot: root.isReal ? '' : root.dir });
  if (dropped.length > 0 && plan.scripts.length > 0) c.log(`scripts run without ${dropped.length} context variables (payloads, secrets or over-long values): ${dropped.join(', ')}`);
  let index = 0;
  for (const script of plan.scripts) {
    index += 1;
    const done = script.frequency === 'per-instance' ? has(instance.scripts, script.id) : script.frequency === 'once' ? has(state.once, script.id) : false;
    const entry = { name: script.name, origin: script.origin, frequency: script.frequency };
    if (done) {
      report.scripts.push({ ...entry, status: script.frequency === 'once' ? 'done-once' : 'done-for-instance', ok: true });
      continue;
    }
    if (c.dryRun) {
      report.scripts.push({ ...entry, status: 'dry-run', ok: true });
      continue;
    }
    const markers = script.frequency === 'once' ? `${STATE_DIR}/once` : `${base}/markers`;
    const run = await runOne(root, script, { dir, logDir, index, markers, env, c });
    if (run === undefined) {
      report.scriptsOk = false;
      continue;
    }
    const ok = run.exitCode === 0 && !run.timedOut;
    report.scriptsOk &&= ok;
    report.scripts.push({ ...entry, status: 'ran', run, ok });
    const how = run.timedOut ? 'timed out' : run.exitCode !== null ? `exit ${run.exitCode}` : `not run (${run.signal})`;
    c.log(`script ${script.name} (${script.origin}): ${how} in ${run.ms} ms${run.resumed === 'completed' ? ' (completed by an interrupted run)' : ''}, log ${run.log}`);
    // A script counts as done once it ran, whatever its exit status: re-running a half-done script at each boot is worse.
    const record = { exitCode: run.exitCode, at: new Date().toISOString(), ...(run.timedOut ? { timedOut: true } : {}) };
    if (script.frequency === 'per-instance') instance.scripts[script.id] = record;
    if (script.frequency === 'once') state.once[script.id] = record;
    c.item('state', () => saveState(root, state));
  }
}

async function runOne(
  root: GuestRoot,
  script: ScriptPlan,
  o: { dir: string; logDir: string; index: number; markers: string; env: Record<string, string>; c: ScriptContext },
): Promise<ScriptRun | undefined> {
  try {
    if (script.frequency === 'always') {
      const marks = openGuestDir(root, o.markers, { create: { mode: 0o700, uid: 0, gid: 0 } });
      try {
        clearMarkers(marks, markerName(script.id));
      } finally {
        marks.close();
      }
    }
    return await runScript(root, o.dir, o.logDir, o.index, script, { timeoutMs: o.c.timeoutMs, env: o.env, markers: o.markers, log: o.c.log });
  } catch (e) {
    o.c.fail(`script ${script.name}`, messageOf(e));
    return undefined;
  }
}
