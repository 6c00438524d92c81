/**
 * The fuzz harness itself (fuzz/README.md), against the built packages: it
 * tells each kind of failure apart, and a short run of a target is clean.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fuzz = (...args: string[]) => spawnSync(process.execPath, ['fuzz/run.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('npm run fuzz', () => {
  it('reports a ContextError as a pass, and an exception, a timeout and out-of-memory as what they are', () => {
    const r = fuzz('--self-test');
    expect(r.stdout).toContain('self-test canary-context-error: context-error\n');
    expect(r.stdout).toContain('self-test canary-exception: exception\n');
    expect(r.stdout).toContain('self-test canary-timeout: timeout\n');
    expect(r.stdout).toContain('self-test canary-out-of-memory: out-of-memory\n');
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('replays the corpus and runs a target for its budget without findings', () => {
    const r = fuzz('--seconds', '3', '--target', 'config-drive,context-sh', '--seed', '1');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^config-drive +\d+/m);
    expect(r.stdout).toContain('no findings');
  });
});
