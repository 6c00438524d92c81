import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, lstatSync, readlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContextError } from '../../src/errors.js';
import type { IsoDirectoryEntry, IsoEntry } from '../../src/iso9660/index.js';
import { IsoImage } from '../../src/iso9660/index.js';

/** A file in fixtures/iso9660/ (see its README for how each was made). */
export const fixture = (name: string) => fileURLToPath(new URL(`../../../../fixtures/iso9660/${name}`, import.meta.url));

export const INSTALL_HINT = 'install the interop tools with: apt-get update && apt-get install -y genisoimage xorriso p7zip-full libarchive-tools python3-pycdlib libcdio-utils (or bash scripts/test-deps.sh)';

/** Fails (never skips) when an interop tool is missing. */
export function requireTool(tool: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`interop tool '${tool}' is not installed; ${INSTALL_HINT}`);
}

export function run(tool: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Buffer {
  requireTool(tool);
  try {
    return execFileSync(tool, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`, { cause: e });
  }
}

export function tempDir(prefix = 'iso9660-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A tree on disk: path -> contents (string or bytes), or `{ link }` for a symlink. */
export type DiskTree = Record<string, string | Uint8Array | { link: string } | { mode: number; content: string | Uint8Array }>;

export function writeDiskTree(root: string, tree: DiskTree): void {
  mkdirSync(root, { recursive: true });
  for (const [path, v] of Object.entries(tree)) {
    const full = join(root, path);
    mkdirSync(path.endsWith('/') ? full : dirname(full), { recursive: true });
    if (path.endsWith('/')) continue;
    if (typeof v === 'object' && 'link' in v) {
      execFileSync('ln', ['-s', v.link, full]);
    } else if (typeof v === 'object' && 'mode' in v) {
      writeFileSync(full, v.content);
      chmodSync(full, v.mode);
    } else {
      writeFileSync(full, v);
    }
  }
}

/** Content as `size:sha256` (vitest compares long buffers slowly and prints them unreadably). */
export function fingerprint(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}`;
}

/** Files of a directory on disk as path -> fingerprint (symlinks as `-> target`), directories as path/ -> ''. */
export function readDiskTree(root: string, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(root, rel));
    if (st.isSymbolicLink()) out.set(rel, `-> ${readlinkSync(join(root, rel))}`);
    else if (st.isDirectory()) {
      out.set(`${rel}/`, '');
      for (const [k, v] of readDiskTree(root, rel)) out.set(k, v);
    } else out.set(rel, fingerprint(readFileSync(join(root, rel))));
  }
  return out;
}

/** The same shape read from an image. */
export async function readImageTree(image: IsoImage): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (d: IsoDirectoryEntry) => {
    for (const c of [...d.children].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (c.kind === 'directory') {
        out.set(`${c.path}/`, '');
        await visit(c);
      } else if (c.kind === 'symlink') out.set(c.path, `-> ${c.target}`);
      else if (c.kind === 'special') out.set(c.path, c.type);
      else out.set(c.path, fingerprint(await image.readFileBytes(c)));
    }
  };
  await visit(image.root);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function sortedMap<V>(m: Map<string, V>): Map<string, V> {
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function allEntries(d: IsoDirectoryEntry): IsoEntry[] {
  return d.children.flatMap((c) => (c.kind === 'directory' ? [c, ...allEntries(c)] : [c]));
}

/** Runs `fn` and returns the ContextError it throws, failing on success or any other exception. */
export async function contextError(fn: () => unknown): Promise<ContextError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ContextError) return e;
    throw new Error(`expected a ContextError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a ContextError, got success');
}

/** A short hex diff of two buffers for failure messages. */
export function hexDiff(a: Uint8Array, b: Uint8Array, max = 8): string {
  const lines: string[] = [];
  if (a.length !== b.length) lines.push(`length ${a.length} != ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length) && lines.length < max; i++) {
    if (a[i] !== b[i]) lines.push(`@${i} (block ${Math.floor(i / 2048)} +${i % 2048}): ${a[i]!.toString(16).padStart(2, '0')} != ${b[i]!.toString(16).padStart(2, '0')}`);
  }
  return lines.join('\n');
}
