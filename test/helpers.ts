import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const FIXTURES = join(REPO, 'fixtures');
export const CLOUD_INIT_PYTHONPATH = join(REPO, '.cache/cloud-init/usr/lib/python3/dist-packages');
/** Debian's interpreter: cloud-init's dependencies are Debian packages. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** A temporary folder removed after the test file. */
export function tempDir(prefix = 'stratus-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs one of our built commands (`npm run build` first) the way a user does. */
export function runCli(
  command: 'stratus-prepare-context' | 'stratus-context',
  args: string[],
  options: { cwd?: string; input?: string | Uint8Array; env?: NodeJS.ProcessEnv } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(REPO, 'packages/cli/bin', `${command}.js`), ...args], {
    cwd: options.cwd ?? REPO,
    input: options.input,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
}

/** Runs test/interop/cloud_init_probe.py with Debian's python and the unpacked cloud-init. */
function probe(args: string[]): unknown {
  let out: string;
  try {
    out = execFileSync(DEBIAN_PYTHON, [join(REPO, 'test/interop/cloud_init_probe.py'), ...args], {
      env: { ...process.env, PYTHONPATH: CLOUD_INIT_PYTHONPATH },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(`cloud-init probe failed (run scripts/test-deps.sh to install cloud-init): ${err.stderr ?? String(e)}`);
  }
  return JSON.parse(out);
}

export interface CloudInitDatasource {
  found: boolean;
  instance_id: string;
  hostname: string;
  public_keys: string[];
  userdata: Buffer | null;
  metadata: Record<string, string>;
}

/** What cloud-init's own datasource class (NoCloud, OpenNebula, ConfigDrive) reads from a seed directory. */
export function cloudInitDatasource(kind: 'nocloud' | 'opennebula' | 'configdrive', dir: string): CloudInitDatasource {
  const r = probe(['datasource', kind, dir]) as Omit<CloudInitDatasource, 'userdata'> & { userdata_b64: string | null };
  return { ...r, userdata: r.userdata_b64 === null ? null : Buffer.from(r.userdata_b64, 'base64') };
}

/**
 * The bundled agent (the one file installed into guests). STRATUS_TEST_AGENT
 * runs the tests against another build of it (an older one, to see a test fail).
 */
export const AGENT_BUNDLE = process.env['STRATUS_TEST_AGENT'] ?? join(REPO, 'packages/guest-agent/dist/stratus-context-agent.mjs');

/** Runs the bundled agent. */
export function runAgentBundle(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [AGENT_BUNDLE, ...args], {
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 60_000,
  });
}

export interface CloudInitPart {
  content_type: string;
  filename: string | null;
  payload: Buffer;
}

/**
 * What Debian's real cloud-init makes of user data: its UserDataProcessor,
 * parts walked as its handlers walk them. Needs `scripts/test-deps.sh`.
 */
export function cloudInitParts(userDataFile: string): CloudInitPart[] {
  const parsed = probe(['userdata', userDataFile]) as { parts: { content_type: string; filename: string | null; payload_b64: string }[] };
  return parsed.parts.map((p) => ({ content_type: p.content_type, filename: p.filename, payload: Buffer.from(p.payload_b64, 'base64') }));
}
