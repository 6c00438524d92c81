/**
 * ECMA-119 §9.1 directory record: encode and decode side by side.
 *
 *   LEN_DR | ext-attr len | extent (both32) | data length (both32) | dir-date |
 *   flags | unit size | gap | volume seq (both16) | LEN_FI | identifier |
 *   pad byte if LEN_FI is even (§9.1.12) | System Use | pad to an even LEN_DR (§9.1.13)
 */
import { corruptData } from '../errors.js';
import { ByteReader, putBoth16, putBoth32 } from './bytes.js';
import { decodeDirDate, encodeDirDate } from './dates.js';
import { DR } from './format.js';

export interface DirectoryRecordFields {
  extent: number;
  dataLength: number;
  /** Seconds since the Unix epoch. */
  date: number;
  flags: number;
  identifier: Uint8Array;
  /** System Use entries, written one after another. */
  systemUse: readonly Uint8Array[];
}

export interface DecodedDirectoryRecord {
  length: number;
  extent: number;
  dataLength: number;
  date: number | undefined;
  flags: number;
  identifier: Uint8Array;
  systemUse: Uint8Array;
  /** Absolute image offset of the System Use area, for error reports. */
  systemUseOffset: number;
}

/** The offset of the System Use area inside a record with an identifier of `idLength` bytes. */
export function systemUseStart(idLength: number): number {
  return DR.FIXED_LENGTH + idLength + (idLength % 2 === 0 ? 1 : 0);
}

export function directoryRecordLength(idLength: number, systemUseLength: number): number {
  const n = systemUseStart(idLength) + systemUseLength;
  return n % 2 === 0 ? n : n + 1;
}

/** Encodes into `buf` at `offset` and returns the record length. The caller checks it is ≤ 254. */
export function encodeDirectoryRecord(f: DirectoryRecordFields, buf: Uint8Array, offset: number): number {
  let systemUseLength = 0;
  for (const e of f.systemUse) systemUseLength += e.length;
  const length = directoryRecordLength(f.identifier.length, systemUseLength);
  buf.fill(0, offset, offset + length);
  buf[offset + DR.LENGTH] = length;
  buf[offset + DR.EXT_ATTR_LENGTH] = 0;
  putBoth32(buf, offset + DR.EXTENT, f.extent);
  putBoth32(buf, offset + DR.DATA_LENGTH, f.dataLength);
  encodeDirDate(buf, offset + DR.DATE, f.date);
  buf[offset + DR.FLAGS] = f.flags;
  putBoth16(buf, offset + DR.SEQUENCE, 1);
  buf[offset + DR.ID_LENGTH] = f.identifier.length;
  buf.set(f.identifier, offset + DR.ID);
  let at = offset + systemUseStart(f.identifier.length);
  for (const e of f.systemUse) {
    buf.set(e, at);
    at += e.length;
  }
  return length;
}

/**
 * Decodes the record at `offset`. The caller has checked LEN_DR is non-zero
 * (zero means "skip to the next block", §6.8.1.1).
 */
export function decodeDirectoryRecord(r: ByteReader, offset: number): DecodedDirectoryRecord {
  const length = r.u8(offset + DR.LENGTH);
  if (length < DR.FIXED_LENGTH + 1) {
    throw corruptData('iso-bad-record', `directory record length ${length} is below the minimum of 34`, r.where(offset));
  }
  const rec = r.sub(offset, length);
  const idLength = rec.u8(DR.ID_LENGTH);
  if (idLength === 0 || DR.FIXED_LENGTH + idLength > length) {
    throw corruptData('iso-bad-record', `identifier length ${idLength} does not fit a ${length}-byte record`, r.where(offset));
  }
  const suStart = Math.min(systemUseStart(idLength), length);
  return {
    length,
    extent: rec.both32(DR.EXTENT),
    dataLength: rec.both32(DR.DATA_LENGTH),
    date: decodeDirDate(rec, DR.DATE),
    flags: rec.u8(DR.FLAGS),
    identifier: rec.slice(DR.ID, idLength),
    systemUse: rec.slice(suStart, length - suStart),
    systemUseOffset: rec.base + suStart,
  };
}
