import { closeSync, fstatSync, ftruncateSync, readFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { nodeChildProcess } from '@stratus-context/core';
import type { GuestRoot } from '../guest-root.js';
import type { ScriptPlan } from '../plan.js';
import { openGuestDir, openLogIn, readFileIn, removeIn, writeFileIn, type GuestDir } from '../safe-fs.js';

/**
 * Runs one script: written to the instance's scripts folder (0700), started
 * in its own process group with its output going to a log FILE (not a pipe:
 * a daemon it starts keeps the log open, and the agent must not wait for
 * that), waited for until it exits or its timeout kills the group.
 *
 * A script's run is recorded by what outlives the agent. The agent starts
 * a small `sh` wrapper that waits for a go-ahead on its stdin; the agent
 * writes the wrapper's pid to `MARK.pid`, then says go. The wrapper runs the
 * script and writes its exit status to `MARK.exit`. If the agent is killed:
 * before the go-ahead, the wrapper reads end-of-file and never starts the
 * script; after it, the script finishes on its own and its status is
 * recorded. The next run reads the markers: an exit status is a run that
 * completed; a pid still alive is waited for; a pid that is gone with no
 * status is a run that was interrupted, and runs again (the log says so).
 */

export interface ScriptRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Guest path of the log. */
  log: string;
  ms: number;
  /** Set when this run finished a run started by an earlier, interrupted agent. */
  resumed?: 'completed' | 'waited';
}

export interface RunOptions {
  timeoutMs: number;
  env: Record<string, string>;
  /** Where the run's markers go (a root-only folder). */
  markers: string;
  /** Said in the agent's log. */
  log: (message: string) => void;
}

/** Bytes of output kept in a script's log; the rest is dropped and the log says so. */
export const MAX_SCRIPT_LOG = 1 << 20;
const POLL_MS = 100;

const WRAPPER = [
  'IFS= read -r go || exit 0', // the agent died before the go-ahead: the script never starts
  'exec </dev/null',
  'x=$1; shift',
  '"$@"',
  's=$?',
  'printf "%s\\n" "$s" > "$x.tmp" && mv -f "$x.tmp" "$x"',
  'exit $s',
].join('\n');

/** The marker name of a script: a hash of its id, so any id is a safe file name. */
export function markerName(scriptId: string): string {
  return createHash('sha256').update(scriptId, 'utf8').digest('hex').slice(0, 24);
}

const root0 = { mode: 0o700, uid: 0, gid: 0 };
/**
 * Markers guard against the agent being killed, not against power loss (the
 * page cache outlives the agent): they are written without fsync, which on a
 * slow disk costs more than the scripts they record.
 */
const MARKER = { mode: 0o600, uid: 0, gid: 0 };

/** The start time (in clock ticks after boot) and state of a process, from /proc/PID/stat. */
function procStat(pid: number): { start: string; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The fields after the parenthesised command name (which may hold spaces): state is field 3, start time 22.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0] ?? '', start: f[19] ?? '' };
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number, start: string | undefined): boolean {
  const st = Number.isInteger(pid) && pid > 0 ? procStat(pid) : undefined;
  return st !== undefined && st.state !== 'Z' && (start === undefined || start === '-' || st.start === start);
}

function parseExit(text: string): Pick<ScriptRun, 'exitCode' | 'signal' | 'timedOut'> {
  const t = text.trim();
  if (t === 'timeout') return { exitCode: null, signal: 'SIGKILL', timedOut: true };
  const n = Number(t);
  return Number.isInteger(n) && t !== '' ? { exitCode: n, signal: null, timedOut: false } : { exitCode: null, signal: t || 'unknown', timedOut: false };
}

/** What the markers say of an earlier run of this script. */
export type Earlier = { state: 'none' } | { state: 'done'; exit: string } | { state: 'running'; pid: number; startedMs: number } | { state: 'interrupted' };

export function earlierRun(marks: GuestDir, mark: string): Earlier {
  const exitOf = () => readFileIn(marks, `${mark}.exit`, 64)?.toString('utf8');
  const pidText = readFileIn(marks, `${mark}.pid`, 256)?.toString('utf8');
  if (pidText === undefined) {
    const exit = exitOf();
    return exit !== undefined ? { state: 'done', exit } : { state: 'none' };
  }
  const [pid, start, at] = pidText.trim().split(' ');
  // Liveness first, the exit status after: the wrapper writes its status before it exits, so a
  // wrapper found gone has left its status already, if it ever will (the other order races).
  const alive = pidAlive(Number(pid), start);
  const exit = exitOf();
  if (exit !== undefined) return { state: 'done', exit };
  return alive ? { state: 'running', pid: Number(pid), startedMs: Number(at) } : { state: 'interrupted' };
}

/** Forgets an earlier run (per-boot scripts start afresh each boot). */
export function clearMarkers(marks: GuestDir, mark: string): void {
  for (const ext of ['exit', 'pid']) removeIn(marks, `${mark}.${ext}`);
}

/** Keeps the log within MAX_SCRIPT_LOG while the script writes it (the log is O_APPEND, so the script's writes follow). */
function capLog(fd: number): void {
  if (fstatSync(fd).size <= MAX_SCRIPT_LOG) return;
  ftruncateSync(fd, MAX_SCRIPT_LOG);
  writeSync(fd, `\n[stratus-context-agent: output beyond ${MAX_SCRIPT_LOG} bytes dropped]\n`);
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Waits for a run started by an earlier agent, within what remains of its timeout. */
async function waitEarlier(marks: GuestDir, mark: string, e: { pid: number; startedMs: number }, options: RunOptions): Promise<Earlier> {
  const deadline = (Number.isFinite(e.startedMs) ? e.startedMs : Date.now()) + options.timeoutMs;
  for (;;) {
    const now = earlierRun(marks, mark);
    if (now.state !== 'running') return now;
    if (Date.now() > deadline) {
      killGroup(e.pid);
      writeFileIn(marks, `${mark}.exit`, 'timeout\n', MARKER, false);
      return { state: 'done', exit: 'timeout' };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function runScript(root: GuestRoot, dir: string, logDir: string, index: number, script: ScriptPlan, options: RunOptions): Promise<ScriptRun> {
  const name = `${String(index).padStart(2, '0')}-${script.name}`;
  const guestPath = `${dir}/${name}`;
  const log = `${logDir}/${name}.log`;
  const mark = markerName(script.id);
  const marks = openGuestDir(root, options.markers, { create: root0, enforce: true });
  const start = performance.now();
  const done = (r: Pick<ScriptRun, 'exitCode' | 'signal' | 'timedOut'>, resumed?: ScriptRun['resumed']): ScriptRun => ({
    ...r,
    log,
    ms: Math.round(performance.now() - start),
    ...(resumed !== undefined ? { resumed } : {}),
  });
  try {
    let earlier = earlierRun(marks, mark);
    if (earlier.state === 'running') {
      options.log(`script ${script.name}: still running from an interrupted run (pid ${earlier.pid}); waiting for it`);
      earlier = await waitEarlier(marks, mark, earlier, options);
      if (earlier.state === 'done') return done(parseExit(earlier.exit), 'waited');
    }
    if (earlier.state === 'done') return done(parseExit(earlier.exit), 'completed');
    if (earlier.state === 'interrupted') options.log(`script ${script.name}: its last run was interrupted before it finished; running it again`);
    clearMarkers(marks, mark);

    const scripts = openGuestDir(root, dir, { create: root0, enforce: true });
    const logs = openGuestDir(root, logDir, { create: root0, enforce: true });
    let out: number;
    try {
      // Scratch copies, written anew before each run: no need to wait for the disk.
      writeFileIn(scripts, name, script.content, { mode: 0o700, uid: 0, gid: 0 }, false);
      out = openLogIn(logs, `${name}.log`, { mode: 0o600, uid: 0, gid: 0 }, 'truncate');
    } finally {
      scripts.close();
      logs.close();
    }
    const host = root.path(guestPath);
    const hasShebang = script.content[0] === 0x23 && script.content[1] === 0x21;
    const argv = hasShebang ? [host, ...script.args] : ['/bin/sh', host, ...script.args];
    const exitFile = root.path(`${options.markers}/${mark}.exit`);
    try {
      return await new Promise<ScriptRun>((resolve) => {
        let timedOut = false;
        let settled = false;
        let timer: NodeJS.Timeout | undefined;
        let poll: NodeJS.Timeout | undefined;
        const finish = (r: Pick<ScriptRun, 'exitCode' | 'signal' | 'timedOut'>) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearInterval(poll);
          capLog(out);
          resolve(done(r));
        };
        const failed = (e: Error) => {
          // Not started at all (a missing shell, E2BIG): one failed script, recorded like any other.
          writeSync(out, `stratus-context-agent: cannot start ${guestPath}: ${e.message}\n`);
          writeFileIn(marks, `${mark}.exit`, `${(e as NodeJS.ErrnoException).code ?? 'spawn-failed'}\n`, MARKER, false);
          finish({ exitCode: null, signal: (e as NodeJS.ErrnoException).code ?? 'spawn-failed', timedOut: false });
        };
        let child;
        try {
          child = nodeChildProcess().spawn('/bin/sh', ['-c', WRAPPER, 'stratus-context-script', exitFile, ...argv], {
            cwd: root.path(dir),
            env: options.env,
            stdio: ['pipe', out, out],
            detached: true,
          });
        } catch (e) {
          failed(e as Error);
          return;
        }
        child.on('error', failed);
        // 'exit', not 'close': a daemon started by the script keeps the log open.
        child.on('exit', (code, signal) => {
          if (timedOut) writeFileIn(marks, `${mark}.exit`, 'timeout\n', MARKER, false);
          finish({ exitCode: timedOut ? null : code, signal: timedOut ? 'SIGKILL' : signal, timedOut });
        });
        const pid = child.pid;
        if (pid === undefined) return; // 'error' follows
        // Intent first, then the go-ahead: a kill in between leaves a wrapper that never starts the script.
        writeFileIn(marks, `${mark}.pid`, `${pid} ${procStat(pid)?.start ?? '-'} ${Date.now()}\n`, MARKER, false);
        child.stdin?.on('error', () => undefined);
        child.stdin?.end('go\n');
        timer = setTimeout(() => {
          timedOut = true;
          killGroup(pid);
        }, options.timeoutMs);
        poll = setInterval(() => capLog(out), POLL_MS);
      });
    } finally {
      closeSync(out);
    }
  } finally {
    marks.close();
  }
}
