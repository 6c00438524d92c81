import { ContextError, loadYaml, nodeZlib } from '@stratus-context/core';

/**
 * The `#cloud-config` keys the agent applies itself: ssh_authorized_keys,
 * write_files, runcmd, hostname (and fqdn). Every other key is reported as
 * not applied, never silently ignored. Several cloud-config parts add up in
 * order: keys, files and commands are appended, the hostname of the last one
 * wins.
 *
 * The YAML is read as cloud-init reads it (YAML 1.1, PyYAML's safe_load):
 * `permissions: 0644` is the int 420, `append: yes` is true, `y` and `n`
 * stay strings. The values are then taken as cloud-init's cc_write_files and
 * cc_runcmd take them.
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

export function emptyCloudConfig(): CloudConfig {
  return { keys: [], writeFiles: [], runcmd: [], notApplied: [] };
}

function bad(where: string, why: string): ContextError {
  return new ContextError('bad-cloud-config', 'corrupt-data', `${where}: ${why}`, { file: where });
}

/** Python's str() of a YAML scalar, as shellify quotes a word: `yes` is `True`, `0755` is `493`. */
function pythonStr(word: unknown): string | undefined {
  if (typeof word === 'string') return word;
  if (typeof word === 'boolean') return word ? 'True' : 'False';
  if (word === null) return 'None';
  if (typeof word !== 'number') return undefined;
  if (Number.isNaN(word)) return 'nan';
  if (!Number.isFinite(word)) return word > 0 ? 'inf' : '-inf';
  return String(word);
}

/** cloud-init's shellify: a list is argv, each word single-quoted; a string is a shell line. */
function commandLine(cmd: unknown, where: string): string {
  if (typeof cmd === 'string') return cmd;
  const words = Array.isArray(cmd) ? cmd.map(pythonStr) : [undefined];
  if (words.every((w): w is string => w !== undefined)) return words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
  throw bad(where, 'runcmd entries must be strings or lists of words');
}

/** Largest file a gzipped `content` unpacks to (a bomb of a few KB stops here). */
const GUNZIP_MAX = 64 << 20;

/**
 * cloud-init's extract_contents: text is written as UTF-8, `!!binary` as
 * its bytes; `b64` and `gz` decode either (canonicalize_extraction's names).
 */
function fileContent(entry: Record<string, unknown>, where: string): Uint8Array {
  const path = String(entry['path']);
  const content = entry['content'] ?? '';
  if (typeof content !== 'string' && !(content instanceof Uint8Array)) throw bad(where, `write_files ${path}: content must be text or !!binary`);
  const raw = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  const encoding = String(entry['encoding'] ?? 'text').toLowerCase().trim();
  const base64 = (b: Buffer) => Buffer.from(b.toString('latin1'), 'base64');
  const gunzip = (b: Buffer) => nodeZlib().gunzipSync(b, { maxOutputLength: GUNZIP_MAX });
  try {
    switch (encoding) {
      case 'text':
      case 'text/plain':
        return new Uint8Array(raw);
      case 'b64':
      case 'base64':
        return new Uint8Array(base64(raw));
      case 'gz':
      case 'gzip':
        return new Uint8Array(gunzip(raw));
      case 'gz+b64':
      case 'gz+base64':
      case 'gzip+b64':
      case 'gzip+base64':
        return new Uint8Array(gunzip(base64(raw)));
      default:
        throw bad(where, `write_files ${path}: unknown encoding "${encoding}"`);
    }
  } catch (e) {
    if (e instanceof ContextError) throw e;
    throw bad(where, `write_files ${path}: content does not decode as ${encoding}`);
  }
}

/**
 * cloud-init's decode_perms: a number is the mode itself (`0644` is YAML 1.1
 * octal, so 0o644; a bare `644` is 0o1204 there too), text is read as octal
 * (`'0644'`, `'0o644'`).
 */
function permissions(value: unknown, where: string, path: string): number {
  if (value === undefined || value === null) return 0o644;
  let mode = NaN;
  if (typeof value === 'number') mode = Math.trunc(value);
  else if (typeof value === 'string' && /^\s*(?:0o)?[0-7]+\s*$/i.test(value)) mode = parseInt(value.trim().replace(/^0o/i, ''), 8);
  if (!(mode >= 0 && mode <= 0o7777)) throw bad(where, `write_files ${path}: permissions ${describe(value)} is not a file mode`);
  return mode;
}

/** cloud-init's translate_bool: true, or text that says so. */
function flag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return value !== undefined && value !== null && ['true', '1', 'on', 'yes'].includes(String(value).toLowerCase().trim());
}

/** A value for a message: scalars as they are, collections by kind. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary';
  return typeof value === 'object' && value !== null ? 'a map' : JSON.stringify(value);
}

/** A text value, or undefined when absent; a number here is a YAML 1.1 surprise (`33:33` is 2013), refused. */
function textValue(cfg: Record<string, unknown>, key: string, where: string, what: string): string | undefined {
  const value = cfg[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw bad(where, `${what} must be text, not ${describe(value)} (quote it)`);
  return value;
}

/** Parses one `#cloud-config` part and adds what it says to `into`. */
export function addCloudConfig(into: CloudConfig, source: string, where: string): void {
  const data = loadYaml(source, { file: where, code: 'bad-cloud-config' });
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
        owner: textValue(entry, 'owner', where, `write_files ${path}: owner`) ?? 'root:root',
        append: flag(entry['append']),
      });
    }
  }
  const runcmd = cfg['runcmd'];
  if (runcmd !== undefined && runcmd !== null) {
    if (!Array.isArray(runcmd)) throw bad(where, 'runcmd must be a list');
    into.runcmd.push(...runcmd.map((c) => commandLine(c, where)));
  }
  const hostname = textValue(cfg, 'fqdn', where, 'fqdn') ?? textValue(cfg, 'hostname', where, 'hostname');
  if (hostname !== undefined && hostname !== '') into.hostname = hostname;
}
