import { nodeZlib } from './builtins.js';
import { corruptData, overLimit, type ContextErrorInput } from './errors.js';

/**
 * Byte encodings shared by the codecs: deterministic gzip, strict base64,
 * capped gunzip.
 */

/** Default cap on decompressed user data. Deflate expands at most ~1032:1, so a
 * 16 KiB gzipped payload (the EC2 and StratusLab limit) stays under it. */
export const DEFAULT_MAX_DECODED_BYTES = 32 * 1024 * 1024;

/** gzip with a zero mtime at level 9: the same input gives the same bytes. */
export function gzipDeterministic(data: Uint8Array): Uint8Array {
  return new Uint8Array(nodeZlib().gzipSync(data, { level: 9 }));
}

export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/** Decompresses gzip data, refusing output over `maxBytes` (gzip bombs). */
export function gunzipCapped(data: Uint8Array, maxBytes: number, input: ContextErrorInput = {}): Uint8Array {
  try {
    return new Uint8Array(nodeZlib().gunzipSync(data, { maxOutputLength: maxBytes }));
  } catch (e) {
    if (e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw overLimit('decoded-too-large', `gzipped data expands to more than ${maxBytes} bytes`, input);
    }
    throw corruptData('bad-gzip', `corrupt gzip data: ${(e as Error).message}`, input, e);
  }
}

const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard base64, tolerating white space and missing padding but
 * nothing else (Node's decoder silently skips junk, which hides corruption).
 */
export function decodeBase64(text: string, input: ContextErrorInput = {}): Uint8Array {
  const compact = text.replace(/[ \t\r\n]/g, '');
  if (!BASE64_BODY.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw corruptData('bad-base64', `${input.key ?? 'value'} is not valid base64`, input);
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64');
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/**
 * Decodes the `<escape>XX` hex escapes of a latin1 string (one char a byte):
 * quoted-printable's `=`, RFC 2231's `%`. Other characters, and an escape
 * not followed by two hex digits, stand for their own byte. The output is
 * never longer than the input, so it is allocated once up front.
 */
export function decodeHexEscapes(text: string, escape: '=' | '%'): Uint8Array {
  const out = new Uint8Array(text.length);
  const mark = escape.charCodeAt(0);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === mark) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[n++] = c & 0xff;
  }
  return n === out.length ? out : out.slice(0, n);
}
