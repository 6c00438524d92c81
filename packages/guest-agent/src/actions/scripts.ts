import { closeSync, openSync, writeSync } from 'node:fs';
import { nodeChildProcess } from '@stratus-context/core';
import type { GuestRoot } from '../guest-root.js';
import type { ScriptPlan } from '../plan.js';
import { ensureDir, writeGuestFile } from '../safe-fs.js';

/**
 * Runs one script: written to the instance's scripts folder (0700), started
 * in its own process group with its output going to a log FILE (not a pipe:
 * a daemon it starts keeps the log open, and the agent must not wait for
 * that), waited for until it exits or its timeout kills the group.
 */

export interface ScriptRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Guest path of the log. */
  log: string;
  ms: number;
}

export interface RunOptions {
  timeoutMs: number;
  env: Record<string, string>;
}

export async function runScript(root: GuestRoot, dir: string, logDir: string, index: number, script: ScriptPlan, options: RunOptions): Promise<ScriptRun> {
  const name = `${String(index).padStart(2, '0')}-${script.name}`;
  const guestPath = `${dir}/${name}`;
  const log = `${logDir}/${name}.log`;
  ensureDir(root, dir, { mode: 0o700, uid: 0, gid: 0 });
  ensureDir(root, logDir, { mode: 0o700, uid: 0, gid: 0 });
  // Scratch copies, written anew before each run: no need to wait for the disk.
  writeGuestFile(root, guestPath, script.content, { mode: 0o700, uid: 0, gid: 0 }, false);
  root.assertNoSymlinks(log);
  const host = root.path(guestPath);
  const hasShebang = script.content[0] === 0x23 && script.content[1] === 0x21;
  const [cmd, args] = hasShebang ? [host, script.args] : ['/bin/sh', [host, ...script.args]];
  const out = openSync(root.path(log), 'w', 0o600);
  const start = performance.now();
  try {
    return await new Promise<ScriptRun>((resolve) => {
      let timedOut = false;
      const child = nodeChildProcess().spawn(cmd, args, { cwd: root.path(dir), env: options.env, stdio: ['ignore', out, out], detached: true });
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          // already gone
        }
      }, options.timeoutMs);
      const done = (exitCode: number | null, signal: string | null) => {
        clearTimeout(timer);
        resolve({ exitCode, signal, timedOut, log, ms: Math.round(performance.now() - start) });
      };
      child.on('error', (e) => {
        writeSync(out, `stratus-context-agent: cannot start ${guestPath}: ${e.message}\n`);
        done(null, (e as NodeJS.ErrnoException).code ?? 'spawn-failed');
      });
      // 'exit', not 'close': a daemon started by the script keeps the log open.
      child.on('exit', (code, signal) => done(code, signal));
    });
  } finally {
    closeSync(out);
  }
}
