import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FatDirectoryEntry, FatEntryInput, FatVolume } from '../../src/fat/index.js';
import { fingerprint, requireTool, sortedMap } from '../iso9660/helpers.js';

export { contextError, fingerprint, pattern, readDiskTree, requireTool, run, sortedMap, tempDir, writeDiskTree, type DiskTree } from '../iso9660/helpers.js';

/** A file in fixtures/fat/ (see fixtures/README.md for how each was made). */
export const fatFixture = (name: string) => fileURLToPath(new URL(`../../../../fixtures/fat/${name}`, import.meta.url));

/** mtools refuses images whose geometry it finds odd unless told not to check. */
export const MTOOLS_ENV = { MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C.UTF-8' };

/** A volume's tree as path -> size:sha256, directories as path/ -> '' (the shape of readDiskTree). */
export function volumeTree(v: FatVolume): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: FatDirectoryEntry) => {
    for (const c of d.children) {
      if (c.kind === 'directory') {
        out.set(`${c.path}/`, '');
        visit(c);
      } else out.set(c.path, fingerprint(c.content));
    }
  };
  visit(v.root);
  return sortedMap(out);
}

/** The same shape for a writer's input tree. */
export function inputTree(entries: readonly FatEntryInput[], prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const path = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.kind === 'directory') {
      out.set(`${path}/`, '');
      for (const [k, v] of inputTree(e.children, path)) out.set(k, v);
    } else out.set(path, fingerprint(e.content));
  }
  return sortedMap(out);
}

/** Runs a tool that may exit non-zero; returns its status and both streams. */
export function runStatus(tool: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number; out: string } {
  requireTool(tool);
  try {
    const out = execFileSync(tool, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    return { status: 0, out };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { status: err.status ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}
