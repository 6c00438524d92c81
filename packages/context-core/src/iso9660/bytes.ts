/**
 * The one bounds-checked byte reader every decoder goes through, and the
 * matching writers for ECMA-119 §7 number and string types.
 *
 * §7.2.3 / §7.3.3 "both-byte orders": the little-endian copy first, then the
 * big-endian copy. Readers use the LE half, as Linux does; a mismatch is not
 * an error (shared/docs/iso9660.md §9).
 */
import { corruptData } from '../errors.js';

export class ByteReader {
  /**
   * @param bytes the window being decoded
   * @param base the absolute image offset of `bytes[0]`, for error reports
   * @param file the image's name, for error reports
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
    readonly file?: string,
  ) {}

  get length(): number {
    return this.bytes.length;
  }

  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw corruptData(
        'iso-out-of-bounds',
        `read of ${length} bytes at ${offset} runs past a ${this.bytes.length}-byte structure`,
        this.where(offset),
      );
    }
  }

  where(offset: number): { offset: number; file?: string } {
    return this.file === undefined ? { offset: this.base + offset } : { offset: this.base + offset, file: this.file };
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.bytes[offset]!;
  }

  le16(offset: number): number {
    this.check(offset, 2);
    return this.bytes[offset]! | (this.bytes[offset + 1]! << 8);
  }

  be16(offset: number): number {
    this.check(offset, 2);
    return (this.bytes[offset]! << 8) | this.bytes[offset + 1]!;
  }

  le32(offset: number): number {
    this.check(offset, 4);
    const b = this.bytes;
    return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16)) + b[offset + 3]! * 0x1000000;
  }

  be32(offset: number): number {
    this.check(offset, 4);
    const b = this.bytes;
    return b[offset]! * 0x1000000 + ((b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!);
  }

  /** ECMA-119 §7.2.3: 4 bytes, LE then BE. The LE half is used. */
  both16(offset: number): number {
    this.check(offset, 4);
    return this.le16(offset);
  }

  /** ECMA-119 §7.3.3: 8 bytes, LE then BE. The LE half is used. */
  both32(offset: number): number {
    this.check(offset, 8);
    return this.le32(offset);
  }

  i8(offset: number): number {
    const v = this.u8(offset);
    return v >= 0x80 ? v - 0x100 : v;
  }

  /** A copy-free view; bounds-checked. */
  slice(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    return this.bytes.subarray(offset, offset + length);
  }

  sub(offset: number, length: number): ByteReader {
    return new ByteReader(this.slice(offset, length), this.base + offset, this.file);
  }

  /** Latin-1 decoding of a byte string (a- and d-characters are ASCII). */
  latin1(offset: number, length: number): string {
    return latin1(this.slice(offset, length));
  }

  /** A fixed-width a/d-character field with its 0x20 padding (and any NULs) removed. */
  paddedString(offset: number, length: number): string {
    return this.latin1(offset, length).replace(/[\u0000 ]+$/u, '');
  }
}

export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** The inverse of `latin1`: one byte per UTF-16 code unit. Callers pass a- or d-characters. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** UCS-2/UTF-16 big-endian (Joliet) to a string; an odd trailing byte is dropped. */
export function ucs2be(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  return s;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

export function utf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Keeps a leading BOM: a name that starts with one is another name. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Length of the well-formed UTF-8 sequence at `i` (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF), or 0. */
function utf8SequenceAt(b: Uint8Array, i: number): number {
  const lead = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const [lo, hi] = lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const [lo, hi] = lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * UTF-8 to a string, and whether the bytes were UTF-8. Bytes that are not
 * part of well-formed UTF-8 become lone surrogates U+DC80-U+DCFF, one per
 * byte (PEP 383 `surrogateescape`, as Python's os.fsdecode): well-formed
 * UTF-8 never decodes to a lone surrogate, so distinct bytes stay distinct
 * names, and the bytes can be had back.
 */
export function utf8Escaped(bytes: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: strictUtf8.decode(bytes), valid: true };
  } catch {
    let text = '';
    for (let i = 0; i < bytes.length; ) {
      const n = utf8SequenceAt(bytes, i);
      if (n === 0) text += String.fromCharCode(0xdc00 + bytes[i++]!);
      else text += strictUtf8.decode(bytes.subarray(i, (i += n)));
    }
    return { text, valid: false };
  }
}

export function utf8Bytes(s: string): Uint8Array {
  // ASCII, the usual name, skips the encoder: it costs a native call and an off-heap buffer per string.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return utf8Encoder.encode(s);
  return latin1Bytes(s);
}

export function encodeUcs2be(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    out[2 * i] = u >> 8;
    out[2 * i + 1] = u & 0xff;
  }
  return out;
}

export function putU8(buf: Uint8Array, offset: number, v: number): void {
  buf[offset] = v & 0xff;
}

export function putLe16(buf: Uint8Array, offset: number, v: number): void {
  buf[offset] = v & 0xff;
  buf[offset + 1] = (v >>> 8) & 0xff;
}

export function putBe16(buf: Uint8Array, offset: number, v: number): void {
  buf[offset] = (v >>> 8) & 0xff;
  buf[offset + 1] = v & 0xff;
}

export function putLe32(buf: Uint8Array, offset: number, v: number): void {
  buf[offset] = v & 0xff;
  buf[offset + 1] = (v >>> 8) & 0xff;
  buf[offset + 2] = (v >>> 16) & 0xff;
  buf[offset + 3] = (v >>> 24) & 0xff;
}

export function putBe32(buf: Uint8Array, offset: number, v: number): void {
  buf[offset] = (v >>> 24) & 0xff;
  buf[offset + 1] = (v >>> 16) & 0xff;
  buf[offset + 2] = (v >>> 8) & 0xff;
  buf[offset + 3] = v & 0xff;
}

export function putBoth16(buf: Uint8Array, offset: number, v: number): void {
  putLe16(buf, offset, v);
  putBe16(buf, offset + 2, v);
}

export function putBoth32(buf: Uint8Array, offset: number, v: number): void {
  putLe32(buf, offset, v);
  putBe32(buf, offset + 4, v);
}

/** Writes an ASCII string padded with `pad` to `length` bytes. Callers validate the characters. */
export function putPadded(buf: Uint8Array, offset: number, length: number, s: string, pad = 0x20): void {
  for (let i = 0; i < length; i++) buf[offset + i] = i < s.length ? s.charCodeAt(i) & 0xff : pad;
}

/** Joliet text field: UCS-2BE, padded with 00 20 (shared/docs/iso9660.md §6); an odd last byte is 00. */
export function putUcs2Padded(buf: Uint8Array, offset: number, length: number, s: string): void {
  for (let i = 0; i + 1 < length; i += 2) {
    const u = i / 2 < s.length ? s.charCodeAt(i / 2) : 0x20;
    buf[offset + i] = u >> 8;
    buf[offset + i + 1] = u & 0xff;
  }
  if (length % 2 === 1) buf[offset + length - 1] = 0;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
