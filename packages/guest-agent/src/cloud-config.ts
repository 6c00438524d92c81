import { parseDocument } from 'yaml';
import { ContextError, nodeZlib } from '@stratus-context/core';

/**
 * The `#cloud-config` keys the agent applies itself: ssh_authorized_keys,
 * write_files, runcmd, hostname (and fqdn). Every other key is reported as
 * not applied, never silently ignored. Several cloud-config parts add up in
 * order: keys, files and commands are appended, the hostname of the last one
 * wins.
 */

export interface WriteFile {
  /** Absolute guest path. */
  path: string;
  content: Uint8Array;
  mode: number;
  owner: string;
  append: boolean;
}

export interface CloudConfig {
  keys: string[];
  writeFiles: WriteFile[];
  /** Shell lines for runcmd, in order. */
  runcmd: string[];
  hostname?: string;
  /** Top-level keys present but not applied by the agent. */
  notApplied: string[];
}

export const APPLIED_KEYS = new Set(['ssh_authorized_keys', 'write_files', 'runcmd', 'hostname', 'fqdn']);
/** Aliases expanded at most (YAML bombs). */
const MAX_ALIASES = 100;

export function emptyCloudConfig(): CloudConfig {
  return { keys: [], writeFiles: [], runcmd: [], notApplied: [] };
}

function bad(where: string, why: string): ContextError {
  return new ContextError('bad-cloud-config', 'corrupt-data', `${where}: ${why}`, { file: where });
}

/** cloud-init's shellify: a list is argv, each word single-quoted; a string is a shell line. */
function commandLine(cmd: unknown, where: string): string {
  if (typeof cmd === 'string') return cmd;
  if (Array.isArray(cmd) && cmd.every((w) => typeof w === 'string' || typeof w === 'number')) {
    return cmd.map((w) => `'${String(w).replaceAll("'", "'\\''")}'`).join(' ');
  }
  throw bad(where, 'runcmd entries must be strings or lists of strings');
}

function fileContent(entry: Record<string, unknown>, where: string): Uint8Array {
  const content = entry['content'] ?? '';
  if (typeof content !== 'string') throw bad(where, `write_files ${String(entry['path'])}: content must be a string`);
  const encoding = String(entry['encoding'] ?? 'text').toLowerCase();
  try {
    switch (encoding) {
      case 'text':
        return new Uint8Array(Buffer.from(content, 'utf8'));
      case 'b64':
      case 'base64':
        return new Uint8Array(Buffer.from(content, 'base64'));
      case 'gz':
      case 'gzip':
        return new Uint8Array(nodeZlib().gunzipSync(Buffer.from(content, 'latin1'), { maxOutputLength: 64 << 20 }));
      case 'gz+b64':
      case 'gz+base64':
      case 'gzip+b64':
      case 'gzip+base64':
        return new Uint8Array(nodeZlib().gunzipSync(Buffer.from(content, 'base64'), { maxOutputLength: 64 << 20 }));
      default:
        throw bad(where, `write_files ${String(entry['path'])}: unknown encoding "${encoding}"`);
    }
  } catch (e) {
    if (e instanceof ContextError) throw e;
    throw bad(where, `write_files ${String(entry['path'])}: content does not decode as ${encoding}`);
  }
}

function permissions(value: unknown, where: string, path: string): number {
  if (value === undefined || value === null) return 0o644;
  const text = typeof value === 'number' ? value.toString(8) : String(value);
  if (!/^0?[0-7]{1,4}$/.test(text)) throw bad(where, `write_files ${path}: permissions "${text}" is not an octal mode`);
  return parseInt(text, 8);
}

/** Parses one `#cloud-config` part and adds what it says to `into`. */
export function addCloudConfig(into: CloudConfig, text: string, where: string): void {
  const doc = parseDocument(text, { logLevel: 'silent', uniqueKeys: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) throw bad(where, `not valid YAML: ${problem.message.split('\n')[0]}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw bad(where, (e as Error).message);
  }
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) throw bad(where, 'a cloud-config must be a YAML mapping');
  const cfg = data as Record<string, unknown>;
  for (const key of Object.keys(cfg)) if (!APPLIED_KEYS.has(key) && !into.notApplied.includes(key)) into.notApplied.push(key);

  const keys = cfg['ssh_authorized_keys'];
  if (keys !== undefined && keys !== null) {
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw bad(where, 'ssh_authorized_keys must be a list of keys');
    into.keys.push(...(keys as string[]));
  }
  const files = cfg['write_files'];
  if (files !== undefined && files !== null) {
    if (!Array.isArray(files)) throw bad(where, 'write_files must be a list');
    for (const f of files) {
      if (typeof f !== 'object' || f === null || typeof (f as Record<string, unknown>)['path'] !== 'string') throw bad(where, 'each write_files entry needs a path');
      const entry = f as Record<string, unknown>;
      const path = entry['path'] as string;
      if (!path.startsWith('/')) throw bad(where, `write_files path ${path} is not absolute`);
      into.writeFiles.push({
        path,
        content: fileContent(entry, where),
        mode: permissions(entry['permissions'], where, path),
        owner: typeof entry['owner'] === 'string' ? entry['owner'] : 'root:root',
        append: entry['append'] === true,
      });
    }
  }
  const runcmd = cfg['runcmd'];
  if (runcmd !== undefined && runcmd !== null) {
    if (!Array.isArray(runcmd)) throw bad(where, 'runcmd must be a list');
    into.runcmd.push(...runcmd.map((c) => commandLine(c, where)));
  }
  const hostname = cfg['fqdn'] ?? cfg['hostname'];
  if (typeof hostname === 'string' && hostname !== '') into.hostname = hostname;
}
