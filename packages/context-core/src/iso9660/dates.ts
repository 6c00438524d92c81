/**
 * The two ECMA-119 date forms. We always write GMT (offset 0), as xorriso
 * does, so output does not depend on the host's time zone.
 *
 *  - §8.4.26.1 dec-datetime (17 bytes): `YYYYMMDDhhmmsscc` in ASCII digits and
 *    a signed offset from GMT in 15-minute units. Used in volume descriptors
 *    and in the RRIP TF long form.
 *  - §9.1.5 dir-date (7 bytes): years since 1900, month, day, hour, minute,
 *    second, offset. Used in directory records and the RRIP TF short form.
 *
 * Times are whole seconds since the Unix epoch (UTC).
 */
import { invalidInput } from '../errors.js';
import type { ByteReader } from './bytes.js';

export const DEC_DATETIME_LENGTH = 17;
export const DIR_DATE_LENGTH = 7;

/** dir-date years are one byte after 1900, so the writable range is 1900-01-01 to 2155-12-31. */
const MIN_SECONDS = Date.UTC(1900, 0, 1) / 1000;
const MAX_SECONDS = Date.UTC(2156, 0, 1) / 1000 - 1;

/** Validates and normalises a caller's timestamp: a Date or whole seconds since the epoch. */
export function toSeconds(t: number | Date, what = 'timestamp'): number {
  const s = t instanceof Date ? Math.floor(t.getTime() / 1000) : t;
  if (!Number.isInteger(s) || s < MIN_SECONDS || s > MAX_SECONDS) {
    throw invalidInput('iso-bad-timestamp', `${what} must be whole seconds between 1900 and 2155, got ${String(t)}`);
  }
  return s;
}

function fields(seconds: number): [number, number, number, number, number, number] {
  const d = new Date(seconds * 1000);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function encodeDecDatetime(buf: Uint8Array, offset: number, seconds: number | undefined): void {
  const text =
    seconds === undefined ? '0000000000000000' : fields(seconds).map((v, i) => pad(v, i === 0 ? 4 : 2)).join('') + '00';
  for (let i = 0; i < 16; i++) buf[offset + i] = text.charCodeAt(i);
  buf[offset + 16] = 0;
}

/** The last dir-date encoded: an image stamps thousands of records with one timestamp. */
let lastDirDate: { seconds: number; bytes: Uint8Array } | undefined;

export function encodeDirDate(buf: Uint8Array, offset: number, seconds: number): void {
  if (lastDirDate?.seconds !== seconds) {
    const [y, mo, d, h, mi, s] = fields(seconds);
    lastDirDate = { seconds, bytes: Uint8Array.of(y - 1900, mo, d, h, mi, s, 0) };
  }
  buf.set(lastDirDate.bytes, offset);
}

function utcSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number, gmtOffset: number): number | undefined {
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || gmtOffset < -48 || gmtOffset > 52) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - gmtOffset * 900;
}

/** Decodes a dir-date; an impossible date gives undefined (dates are informative, not structural). */
export function decodeDirDate(r: ByteReader, offset: number): number | undefined {
  const b = r.slice(offset, DIR_DATE_LENGTH);
  if (b.every((v) => v === 0)) return undefined;
  return utcSeconds(1900 + b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, r.i8(offset + 6));
}

/** Decodes a dec-datetime; "not set" (all '0' digits) or non-digits give undefined. */
export function decodeDecDatetime(r: ByteReader, offset: number): number | undefined {
  const text = r.latin1(offset, 16);
  if (!/^[0-9]{16}$/u.test(text) || text === '0000000000000000') return undefined;
  const n = (a: number, b: number) => Number(text.slice(a, b));
  return utcSeconds(n(0, 4), n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14), r.i8(offset + 16));
}
