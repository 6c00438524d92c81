import { nodeCrypto } from './builtins.js';
import { decodeHexEscapes } from './encoding.js';
import { corruptData, overLimit } from './errors.js';
import { formatParam, parseHeaderValue, splitEntity } from './mime-headers.js';
import type { UserDataPart } from './model.js';

/**
 * Multipart MIME user data, as cloud-init reads it (formats.md section 1):
 * `MIME-Version` in the top headers, each part with its type, charset,
 * transfer encoding and file name, lines ending in `\n`.
 */

/** cloud-init treats data as MIME only when this appears in its first 4096 bytes. */
const MIME_SNIFF_BYTES = 4096;
/** RFC 5322 line length limit: longer lines must not go out as 7bit. */
const MAX_7BIT_LINE = 998;
/** Base64 body line length, as Python's email package writes it. */
const BASE64_LINE = 76;
/** Nesting of multipart inside multipart we follow; real user data has one or two levels. */
export const MAX_MULTIPART_DEPTH = 16;
/** Parts in one message; cloud-init has no limit, but a decoder must have one. */
export const MAX_MULTIPART_PARTS = 10_000;

/** True when cloud-init would parse `data` as a MIME message. */
export function isMimeUserData(data: Uint8Array): boolean {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, MIME_SNIFF_BYTES)).toString('latin1');
  return head.toLowerCase().includes('mime-version:');
}

/** Content that survives 7bit transfer byte for byte: ASCII, no NUL or CR, short lines. */
function isSafe7bit(content: Uint8Array): boolean {
  let lineLength = 0;
  for (const b of content) {
    if (b === 0 || b === 0x0d || b > 0x7f) return false;
    lineLength = b === 0x0a ? 0 : lineLength + 1;
    if (lineLength > MAX_7BIT_LINE) return false;
  }
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(content: Uint8Array): boolean {
  try {
    utf8.decode(content);
    return true;
  } catch {
    return false;
  }
}

function wrapBase64(content: Uint8Array): string {
  const b64 = Buffer.from(content.buffer, content.byteOffset, content.length).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += BASE64_LINE) lines.push(b64.slice(i, i + BASE64_LINE));
  return lines.join('\n');
}

/** One part, headers and body, without its delimiter (latin1 string). */
function encodePart(part: UserDataPart): string {
  const seven = isSafe7bit(part.content);
  const charset = seven ? '; charset="us-ascii"' : isUtf8(part.content) ? '; charset="utf-8"' : '';
  const headers = [`Content-Type: ${part.type}${charset}`, 'MIME-Version: 1.0', `Content-Transfer-Encoding: ${seven ? '7bit' : 'base64'}`];
  if (part.filename !== '') headers.push(`Content-Disposition: attachment; ${formatParam('filename', part.filename)}`);
  const body = seven ? Buffer.from(part.content.buffer, part.content.byteOffset, part.content.length).toString('latin1') : wrapBase64(part.content);
  return `${headers.join('\n')}\n\n${body}`;
}

/**
 * A boundary in the style of Python's email package, derived from the parts
 * so that the same input gives the same bytes; re-derived until it occurs in
 * no part.
 */
function chooseBoundary(encoded: readonly string[], preferred?: string): string {
  const clash = (b: string) => encoded.some((e) => e.includes(b));
  if (preferred !== undefined && !clash(preferred)) return preferred;
  const hash = nodeCrypto().createHash('sha256');
  for (const e of encoded) hash.update(e, 'latin1').update('\0');
  let seed = hash.digest();
  for (;;) {
    const digits = (seed.readBigUInt64BE(0) % 10n ** 19n).toString().padStart(19, '0');
    const boundary = `===============${digits}==`;
    if (!clash(boundary)) return boundary;
    seed = nodeCrypto().createHash('sha256').update(seed).digest();
  }
}

export interface BuildMultipartOptions {
  /** Use this boundary unless it occurs in a part (then one is derived). */
  boundary?: string;
}

/**
 * Builds the `multipart/mixed` message for `parts`. Even one part is
 * wrapped, as the original tool did.
 */
export function buildMultipart(parts: readonly UserDataPart[], options: BuildMultipartOptions = {}): Uint8Array {
  const encoded = parts.map(encodePart);
  const boundary = chooseBoundary(encoded, options.boundary);
  let out = `Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n`;
  for (const e of encoded) out += `--${boundary}\n${e}\n`;
  out += `--${boundary}--\n`;
  return Buffer.from(out, 'latin1');
}

function decodeBody(body: string, encoding: string): Uint8Array {
  switch (encoding) {
    case 'base64':
      return new Uint8Array(Buffer.from(body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64'));
    case 'quoted-printable':
      // RFC 2045 section 6.7: `=XX` escapes and `=` soft line breaks.
      return decodeHexEscapes(body.replace(/=\r?\n/g, ''), '=');
    default:
      return new Uint8Array(Buffer.from(body, 'latin1'));
  }
}

/**
 * The bodies between the delimiter lines of a multipart body. A delimiter is
 * `--boundary` at the start of a line, optionally `--`, then blanks; the line
 * break before it belongs to it (RFC 2046 section 5.1.1). A missing close
 * delimiter is tolerated, as Python's parser does.
 */
function splitMultipart(body: string, boundary: string): string[] {
  const marker = `--${boundary}`;
  const bodies: string[] = [];
  let start = -1;
  let pos = 0;
  while (pos <= body.length) {
    const at = body.indexOf(marker, pos);
    if (at === -1) break;
    pos = at + marker.length;
    if (at !== 0 && body[at - 1] !== '\n') continue;
    const nl = body.indexOf('\n', pos);
    const rest = body.slice(pos, nl === -1 ? body.length : nl).replace(/\r$/, '');
    const close = rest.startsWith('--');
    if (!/^[ \t]*$/.test(close ? rest.slice(2) : rest)) continue;
    if (start !== -1) {
      const end = at > 0 && body[at - 2] === '\r' ? at - 2 : Math.max(at - 1, start);
      bodies.push(body.slice(start, end));
    }
    if (close) return bodies;
    start = nl === -1 ? body.length : nl + 1;
    pos = start;
  }
  if (start !== -1) bodies.push(body.slice(start));
  return bodies;
}

function walk(entity: string, depth: number, out: UserDataPart[]): void {
  if (depth > MAX_MULTIPART_DEPTH) {
    throw overLimit('mime-too-deep', `user data nests multipart messages more than ${MAX_MULTIPART_DEPTH} levels deep`);
  }
  const { headers, body } = splitEntity(entity);
  const type = parseHeaderValue(headers.get('content-type') ?? 'text/plain');
  if (type.value.startsWith('multipart/')) {
    const boundary = type.params.get('boundary');
    if (boundary === undefined || boundary === '') {
      throw corruptData('bad-mime', `user data is ${type.value} without a boundary`);
    }
    for (const part of splitMultipart(body, boundary)) walk(part, depth + 1, out);
    return;
  }
  if (out.length >= MAX_MULTIPART_PARTS) {
    throw overLimit('too-many-parts', `user data has more than ${MAX_MULTIPART_PARTS} parts`);
  }
  const disposition = parseHeaderValue(headers.get('content-disposition') ?? '');
  const filename = disposition.params.get('filename') ?? type.params.get('name') ?? '';
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  out.push({ type: type.value === '' ? 'text/plain' : type.value, filename, content: decodeBody(body, encoding) });
}

/**
 * The parts of MIME user data, flattened in order as cloud-init walks them
 * (containers skipped). Call only when `isMimeUserData(data)`.
 */
export function parseMultipart(data: Uint8Array): UserDataPart[] {
  const parts: UserDataPart[] = [];
  walk(Buffer.from(data.buffer, data.byteOffset, data.length).toString('latin1'), 0, parts);
  return parts;
}
