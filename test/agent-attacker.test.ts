import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, REPO, runAgentBundle, runCli, tempDir } from './helpers.js';

/**
 * A real attacker: an unprivileged uid (setpriv --reuid, no account needed)
 * racing the agent in its own home while the agent, as root, replaces its
 * authorized_keys again and again. Whatever it does, a root-owned file and
 * folder outside the home keep their owner, mode and content, nothing lands
 * outside the home, and once the attacker stops, the keys end correct.
 */

const UID = 4242;
const RUNS = 30;
const asRoot = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const ED = readFileSync(join(FIXTURES, 'keys/ed25519.pub'), 'utf8').trim();
const RSA = readFileSync(join(FIXTURES, 'keys/rsa.pub'), 'utf8').trim();

function setup() {
  const base = tempDir('stratus-attack-');
  chmodSync(base, 0o755);
  const root = join(base, 'root');
  const home = join(root, 'home/mallory');
  for (const d of ['etc', 'root', 'var', 'home']) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  mkdirSync(home, { mode: 0o755 });
  chownSync(home, UID, UID);
  writeFileSync(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\nmallory:x:${UID}:${UID}::/home/mallory:/bin/sh\n`);
  writeFileSync(join(root, 'etc/group'), `root:x:0:\nmallory:x:${UID}:\n`);
  const outside = join(base, 'outside');
  mkdirSync(outside, { mode: 0o755 });
  const target = join(base, 'target');
  writeFileSync(target, 'precious\n', { mode: 0o644 });
  const contexts = [ED, RSA].map((key, i) => {
    const pub = join(base, `k${i}.pub`);
    writeFileSync(pub, `${key}\n`);
    const out = join(base, `ctx${i}.txt`);
    const r = runCli('stratus-context', ['prepare', '--format', 'opennebula', '-o', out, '--var', 'USERNAME=mallory', `ssh,${pub}`]);
    expect(r.status, r.stderr).toBe(0);
    return out;
  });
  return { root, home, outside, target, contexts };
}

async function startAttacker(mode: string, home: string, target: string, outside: string): Promise<ChildProcess> {
  const child = spawn('setpriv', [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '/usr/bin/python3', join(REPO, 'test/hostile/attacker.py'), mode, home, target, outside], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`attacker exited ${code}`)));
  });
  return child;
}

async function stopAttacker(child: ChildProcess): Promise<{ attempts: number; moves: number }> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
  const [attempts, moves] = (out.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { attempts: attempts ?? 0, moves: moves ?? 0 };
}

/** What the attacker leaves behind that a user would clean up: ~/.ssh put back if it was swapped. */
function tidy(home: string): void {
  const ssh = join(home, '.ssh');
  const link = join(home, '.ssh-link');
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) {
    if (lstatSync(ssh, { throwIfNoEntry: false })?.isSymbolicLink() && lstatSync(link).isDirectory()) {
      unlinkSync(ssh);
      renameSync(link, ssh);
    } else unlinkSync(link);
  }
  rmSync(join(home, '.evil-link'), { force: true });
  for (const n of existsSync(ssh) ? readdirSync(ssh) : []) if (lstatSync(join(ssh, n)).isSymbolicLink()) unlinkSync(join(ssh, n));
}

function invariants(target: string, outside: string): void {
  const t = statSync(target);
  expect([t.uid, t.gid, t.mode & 0o7777], 'the root-owned file outside the home').toEqual([0, 0, 0o644]);
  expect(readFileSync(target, 'utf8')).toBe('precious\n');
  const o = statSync(outside);
  expect([o.uid, o.gid, o.mode & 0o7777], 'the root-owned folder outside the home').toEqual([0, 0, 0o755]);
  expect(readdirSync(outside), 'nothing lands outside the home').toEqual([]);
}

describe.skipIf(!asRoot)('an unprivileged user racing the agent in its own home', () => {
  for (const mode of ['swap-tmp', 'exchange']) {
    it(`${mode}: nothing outside the home changes over ${RUNS} runs, and the keys end correct`, { timeout: 120_000 }, async () => {
      const { root, home, outside, target, contexts } = setup();
      // The home starts with its ~/.ssh, so that every run replaces authorized_keys.
      expect(runAgentBundle(['apply', '--root', root, '--source', contexts[0]!]).status).toBe(0);
      const attacker = await startAttacker(mode, home, target, outside);
      const statuses = new Map<number | null, number>();
      try {
        for (let i = 1; i <= RUNS; i++) {
          const r = runAgentBundle(['apply', '--root', root, '--source', contexts[i % 2]!]);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          // 0: applied; 3: the keys item refused (a link in the way), said on stderr. Never a crash.
          expect([0, 3], r.stderr).toContain(r.status);
          invariants(target, outside);
        }
      } finally {
        // Against this agent the swap-tmp attacker sees no temporary file at all: ~/.ssh is root's while it is written.
        const { attempts, moves } = await stopAttacker(attacker);
        process.stdout.write(`${mode} attacker: ${attempts} tries, ${moves} moves over ${RUNS} runs; agent exits ${JSON.stringify([...statuses])}\n`);
        expect(attempts, 'the attacker really raced').toBeGreaterThan(1000);
      }
      tidy(home);
      const last = runAgentBundle(['apply', '--root', root, '--source', contexts[1]!]);
      expect(last.status, last.stderr).toBe(0);
      invariants(target, outside);
      const keys = join(home, '.ssh/authorized_keys');
      expect(readFileSync(keys, 'utf8')).toBe(`${RSA}\n`);
      const st = lstatSync(keys);
      expect([st.isFile(), st.uid, st.mode & 0o777]).toEqual([true, UID, 0o600]);
      const dir = lstatSync(join(home, '.ssh'));
      expect([dir.isDirectory(), dir.uid, dir.mode & 0o777]).toEqual([true, UID, 0o700]);
    });
  }
});
