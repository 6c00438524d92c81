/**
 * The one bounds-checked byte reader the FAT decoders go through, and the
 * little-endian writers of the encoders (every FAT number is little-endian).
 */
import { corruptData } from '../errors.js';

export class FatBytes {
  /** `base` (the image offset of `bytes[0]`) and `file` name the place in error reports. */
  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
    readonly file?: string,
  ) {}

  get length(): number {
    return this.bytes.length;
  }

  where(offset: number): { offset: number; file?: string } {
    return this.file === undefined ? { offset: this.base + offset } : { offset: this.base + offset, file: this.file };
  }

  /** Bounds-checked DataView reads; every FAT number is little-endian. */
  private view(offset: number, length: number): DataView {
    if (!Number.isInteger(offset) || offset < 0 || offset + length > this.bytes.length) {
      throw corruptData('fat-out-of-bounds', `read of ${length} bytes at ${offset} runs past a ${this.bytes.length}-byte structure`, this.where(offset));
    }
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + offset, length);
  }

  u8 = (offset: number): number => this.view(offset, 1).getUint8(0);
  le16 = (offset: number): number => this.view(offset, 2).getUint16(0, true);
  le32 = (offset: number): number => this.view(offset, 4).getUint32(0, true);

  slice(offset: number, length: number): Uint8Array {
    this.view(offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

export function putLe16(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
}

export function putLe32(out: Uint8Array, at: number, v: number): void {
  putLe16(out, at, v & 0xffff);
  putLe16(out, at + 2, (v >>> 16) & 0xffff);
}

/** ASCII text into a field, padded with spaces (BS_OEMName, BS_VolLab, DIR_Name). */
export function putAscii(out: Uint8Array, at: number, s: string, width: number): void {
  for (let i = 0; i < width; i++) out[at + i] = i < s.length ? s.charCodeAt(i) : 0x20;
}
