/**
 * Random access to an image: the only way the reader touches bytes outside
 * memory. A Uint8Array, a file or a block device (see `fs.ts`) all fit
 * behind `IsoRandomAccess`; the reader asks only for the blocks it needs.
 */
import { ContextError, corruptData, invalidInput } from '../errors.js';
import { ByteReader } from './bytes.js';
import { BLOCK_SIZE } from './format.js';

export interface IsoRandomAccess {
  /** Size of the image (or device) in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `offset`; the reader never asks past `size`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array): IsoRandomAccess {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

/**
 * Bounds-checked reads on top of a source: every request is checked against
 * the image's end before it is made and every answer against its length.
 * Failures of the source itself are wrapped as iso-read-failed.
 */
export class ImageReader {
  /** Bytes that extents may use: the smaller of the source and the volume space size. */
  bound: number;
  private readonly blockCache = new Map<number, Uint8Array>();

  constructor(
    readonly source: IsoRandomAccess,
    readonly file?: string,
  ) {
    if (source === null || typeof source !== 'object' || typeof source.read !== 'function') {
      throw invalidInput('iso-bad-source', 'image source must be a Uint8Array or { size, read(offset, length) }');
    }
    if (!Number.isSafeInteger(source.size) || source.size < 0) {
      throw invalidInput('iso-bad-source', `image source size ${String(source.size)} is not a byte count`);
    }
    this.bound = source.size;
  }

  where(offset: number): { offset: number; file?: string } {
    return this.file === undefined ? { offset } : { offset, file: this.file };
  }

  /** True when [offset, offset + length) lies inside the bound. */
  inside(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.bound;
  }

  async read(offset: number, length: number, what: string): Promise<ByteReader> {
    if (!this.inside(offset, length)) {
      throw corruptData(
        'iso-extent-outside',
        `${what} (${length} bytes at ${offset}) lies outside the ${this.bound}-byte image`,
        this.where(offset),
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.source.read(offset, length);
    } catch (e) {
      if (e instanceof ContextError) throw e;
      throw corruptData('iso-read-failed', `reading ${what} failed: ${(e as Error)?.message ?? String(e)}`, this.where(offset), e);
    }
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      throw corruptData('iso-truncated', `${what}: short read at ${offset}`, this.where(offset));
    }
    return new ByteReader(bytes, offset, this.file);
  }

  /** One block, cached: continuation areas of many records often share a block. */
  async block(lba: number, what: string): Promise<ByteReader> {
    const hit = this.blockCache.get(lba);
    if (hit !== undefined) return new ByteReader(hit, lba * BLOCK_SIZE, this.file);
    const r = await this.read(lba * BLOCK_SIZE, BLOCK_SIZE, what);
    if (this.blockCache.size >= 256) this.blockCache.clear();
    this.blockCache.set(lba, r.bytes);
    return r;
  }
}
