/**
 * zisofs, read only: files compressed in the image (xorriso
 * `-zisofs level=6 ... -set_filter_r --zisofs /`, mkzftree), marked by the
 * Rock Ridge ZF entry (Linux fs/isofs/rock.c, compress.c; libisofs
 * zisofs.c). The file's extent holds:
 *
 *   16-byte header: magic 37 E4 53 96 C9 DB D6 07, uncompressed size (LE32),
 *     header size in 4-byte words, log2 of the block size, 2 reserved bytes
 *   block pointers: one LE32 file offset per block, plus one for the end
 *   blocks: each a zlib stream of one block (the last may be shorter); two
 *     equal pointers stand for a block of zeros.
 *
 * Distrusts every number: the ZF entry and the header must agree, the block
 * size is 32-128 KiB (what Linux reads), pointers must rise inside the
 * extent, and each block must inflate to exactly its length (inflation is
 * capped there, so a zlib bomb costs one block).
 */
import { corruptData } from '../errors.js';
import { nodeZlib } from '../builtins.js';
import { ByteReader, latin1 } from './bytes.js';
import { ZISOFS } from './format.js';
import type { SuspEntry } from './susp.js';

/** What a ZF entry says (RRIP extension "ZF": algorithm, header words, block size, uncompressed size). */
export interface ZisofsInfo {
  algorithm: string;
  headerWords: number;
  blockLog2: number;
  /** The file's size once decompressed. */
  size: number;
}

export function decodeZF(e: SuspEntry): ZisofsInfo {
  return { algorithm: latin1(e.data.slice(0, 2)), headerWords: e.data.u8(2), blockLog2: e.data.u8(3), size: e.data.both32(4) };
}

type Where = { offset: number; file?: string };
/** Reads `length` bytes at `offset` of the file's stored (compressed) bytes. */
export type StoredReader = (offset: number, length: number) => Promise<ByteReader>;

/** The algorithm and block size; checked when the file is read, so one odd file leaves the rest of the image readable. */
function checkZisofs(info: ZisofsInfo, path: string, where: Where): void {
  if (info.algorithm !== ZISOFS.ALGORITHM) {
    throw corruptData('iso-bad-zisofs', `${path} is compressed with ${JSON.stringify(info.algorithm)}, not zisofs (pz)`, where);
  }
  if (info.blockLog2 < ZISOFS.MIN_BLOCK_LOG2 || info.blockLog2 > ZISOFS.MAX_BLOCK_LOG2 || info.headerWords * 4 < ZISOFS.HEADER_LENGTH) {
    throw corruptData('iso-bad-zisofs', `${path}: zisofs block size 2^${info.blockLog2} or header of ${info.headerWords} words is not readable`, where);
  }
}

/** Streams the decompressed contents of a zisofs file of `stored` bytes, one block at a time. */
export async function* inflateZisofs(read: StoredReader, stored: number, info: ZisofsInfo, path: string, where: Where): AsyncGenerator<Uint8Array> {
  checkZisofs(info, path, where);
  const bad = (why: string) => corruptData('iso-bad-zisofs', `${path}: ${why}`, where);
  const headerLength = info.headerWords * 4;
  if (stored < headerLength) throw bad(`${stored} bytes cannot hold the zisofs header`);
  const header = await read(0, ZISOFS.HEADER_LENGTH);
  if (ZISOFS.MAGIC.some((b, i) => header.u8(i) !== b)) throw bad('no zisofs magic');
  if (header.le32(8) !== info.size || header.u8(12) !== info.headerWords || header.u8(13) !== info.blockLog2) {
    throw bad('zisofs header and Rock Ridge ZF disagree');
  }
  const blockSize = 2 ** info.blockLog2;
  const blocks = Math.ceil(info.size / blockSize);
  const tableLength = (blocks + 1) * 4;
  if (headerLength + tableLength > stored) throw bad(`${blocks} block pointers do not fit ${stored} bytes`);
  const table = await read(headerLength, tableLength);
  const zlib = nodeZlib();
  let start = table.le32(0);
  if (start < headerLength + tableLength) throw bad('the first zisofs block overlaps the block pointers');
  for (let i = 0; i < blocks; i++) {
    const end = table.le32((i + 1) * 4);
    if (end < start || end > stored) throw bad(`zisofs block ${i} (${start}-${end}) is not inside the file's ${stored} bytes`);
    // zlib grows incompressible data by a few bytes per 16 KiB: twice the block is never needed.
    if (end - start > 2 * blockSize) throw bad(`zisofs block ${i} holds ${end - start} bytes, over twice the block size`);
    const length = Math.min(blockSize, info.size - i * blockSize);
    if (end === start) {
      yield new Uint8Array(length);
      continue;
    }
    let out: Uint8Array;
    try {
      out = zlib.inflateSync((await read(start, end - start)).bytes, { maxOutputLength: blockSize });
    } catch (e) {
      throw corruptData('iso-bad-zisofs', `${path}: zisofs block ${i} does not inflate`, where, e);
    }
    if (out.length !== length) throw bad(`zisofs block ${i} inflates to ${out.length} bytes, not ${length}`);
    yield out;
    start = end;
  }
}
