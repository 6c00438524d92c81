import { invalidInput } from './errors.js';

/**
 * OpenSSH public keys: reading key files (one key a line, RFC 4716 blocks
 * converted), validating each key, refusing private keys, de-duplicating.
 */

const BASE_KEY_TYPES = [
  'ssh-rsa',
  'ssh-dss',
  'ssh-ed25519',
  'ssh-ed448',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
];

/** Every key type sshd accepts in `authorized_keys`, certificates included. */
export const PUBLIC_KEY_TYPES: ReadonlySet<string> = new Set([
  ...BASE_KEY_TYPES,
  ...BASE_KEY_TYPES.map((t) => t.replace(/(@openssh\.com)?$/, '-cert-v01@openssh.com')),
]);

/** First lines of the private key files users mistake for public ones. */
const PRIVATE_KEY_MARKERS = [/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, /^---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----/, /^PuTTY-User-Key-File-\d+:/];

const RFC4716_BEGIN = '---- BEGIN SSH2 PUBLIC KEY ----';
const RFC4716_END = '---- END SSH2 PUBLIC KEY ----';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One parsed key line. */
export interface PublicKey {
  /** `authorized_keys` options (`from="..."`, `no-pty`), or '' */
  options: string;
  type: string;
  /** The key blob, base64. */
  data: string;
  comment: string;
}

/** The `authorized_keys` line of a key. */
export function formatPublicKey(key: PublicKey): string {
  return [key.options, key.type, key.data, key.comment].filter((s) => s !== '').join(' ');
}

/**
 * The key type named inside a base64 blob (an SSH `string`: a big-endian
 * uint32 length, then the name), or undefined when the blob is too short.
 */
function blobKeyType(data: string): string | undefined {
  const blob = Buffer.from(data, 'base64');
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Length of the options prefix of a key line: up to the first unquoted blank. */
function optionsLength(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '\\') i += 1;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return i;
  }
  return line.length;
}

/**
 * Parses one `authorized_keys` line. Throws `bad-public-key` naming `where`
 * when the line is not a public key.
 */
export function parsePublicKeyLine(line: string, where: { file?: string; line?: number } = {}): PublicKey {
  const at = where.file !== undefined ? ` (${where.file}${where.line !== undefined ? `, line ${where.line}` : ''})` : '';
  const fail = (why: string) => invalidInput('bad-public-key', `not an OpenSSH public key${at}: ${why}`, where);
  let rest = line.trim();
  let options = '';
  const first = rest.split(/[ \t]/, 1)[0] ?? '';
  if (!PUBLIC_KEY_TYPES.has(first)) {
    const n = optionsLength(rest);
    options = rest.slice(0, n);
    rest = rest.slice(n).trim();
    // The line is not shown: a file given by mistake may hold a secret.
    if (!/^[A-Za-z]/.test(options)) throw fail('the line does not start with a key type');
  }
  const [type = '', data = '', ...comment] = rest.split(/[ \t]+/);
  if (!PUBLIC_KEY_TYPES.has(type)) throw fail('no known key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...)');
  if (data === '' || !BASE64.test(data)) throw fail(`the ${type} key data is not base64`);
  const inner = blobKeyType(data);
  if (inner !== undefined && inner !== type) throw fail(`the key data is a ${JSON.stringify(truncate(inner))} key, not ${type}`);
  if (inner === undefined) throw fail(`the ${type} key data is too short`);
  return { options, type, data, comment: comment.join(' ') };
}

function truncate(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

/**
 * Reads a public key file: one key a line; blank lines and `#` comments
 * skipped; RFC 4716 (`---- BEGIN SSH2 PUBLIC KEY ----`) blocks converted to
 * the one-line OpenSSH form. A private key is refused: sending one into a
 * cloud is the mistake this check exists for.
 */
export function parsePublicKeyFile(text: string, file?: string): PublicKey[] {
  const lines = text.split(/\r?\n/);
  const keys: PublicKey[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (PRIVATE_KEY_MARKERS.some((m) => m.test(line))) {
      throw invalidInput(
        'private-key',
        `${file ?? 'the key file'} holds a PRIVATE key: give the public key (the .pub file) instead; a private key must never leave your machine`,
        { file, line: i + 1 },
      );
    }
    if (line === '' || line.startsWith('#')) continue;
    if (line === RFC4716_BEGIN) {
      let end = i + 1;
      while (end < lines.length && (lines[end] as string).trim() !== RFC4716_END) end += 1;
      if (end === lines.length) throw invalidInput('bad-public-key', `unterminated RFC 4716 key${file ? ` in ${file}` : ''} (line ${i + 1})`, { file, line: i + 1 });
      keys.push(fromRfc4716(lines.slice(i + 1, end), { file, line: i + 1 }));
      i = end;
      continue;
    }
    keys.push(parsePublicKeyLine(line, { file, line: i + 1 }));
  }
  return keys;
}

/** RFC 4716 section 3: headers (`Tag: value`, `\` continues a line), then the base64 body. */
function fromRfc4716(body: string[], where: { file?: string; line: number }): PublicKey {
  let data = '';
  let continued = false;
  for (const raw of body) {
    const line = raw.trim();
    if (continued) {
      continued = line.endsWith('\\');
      continue;
    }
    if (data === '' && line.includes(':')) {
      continued = line.endsWith('\\');
      continue;
    }
    data += line;
  }
  const type = BASE64.test(data) ? blobKeyType(data) : undefined;
  if (type === undefined || !PUBLIC_KEY_TYPES.has(type)) {
    const at = where.file !== undefined ? ` in ${where.file}` : '';
    throw invalidInput('bad-public-key', `the RFC 4716 key${at} (line ${where.line}) does not hold a known public key`, where);
  }
  return { options: '', type, data, comment: '' };
}

/**
 * Removes repeated keys, keeping the first occurrence. Two lines are the same
 * key when options, type and key data agree (comments may differ).
 */
export function dedupeKeys(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of keys) {
    let id = line;
    try {
      const k = parsePublicKeyLine(line);
      id = `${k.options} ${k.type} ${k.data}`;
    } catch {
      // not a key: compare the line itself
    }
    if (!seen.has(id)) {
      seen.add(id);
      out.push(line);
    }
  }
  return out;
}

/** Keys as an `authorized_keys` text: joined by `\n`, with a final `\n` ('' for none). */
export function formatAuthorizedKeys(keys: readonly string[]): string {
  return keys.length === 0 ? '' : `${keys.join('\n')}\n`;
}
