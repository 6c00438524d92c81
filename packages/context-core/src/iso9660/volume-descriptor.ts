/**
 * ECMA-119 §8.4 Primary Volume Descriptor, §8.5 Supplementary Volume
 * Descriptor (written only as Joliet, Joliet spec pp. 3-4) and §8.3 Volume
 * Descriptor Set Terminator: encode and decode side by side.
 */
import { corruptData } from '../errors.js';
import { ByteReader, putBe32, putBoth16, putBoth32, putLe32, putPadded, putUcs2Padded, ucs2be } from './bytes.js';
import { decodeDecDatetime, encodeDecDatetime } from './dates.js';
import { decodeDirectoryRecord, encodeDirectoryRecord, type DecodedDirectoryRecord } from './directory-record.js';
import { BLOCK_SIZE, DR_FLAG, JOLIET_ESCAPES, JOLIET_ESCAPE_WRITTEN, STANDARD_ID, VD, VD_TYPE } from './format.js';

export interface VolumeDescriptorFields {
  /** `primary` writes a PVD with a-/d-character fields; `joliet` an SVD with UCS-2BE fields. */
  kind: 'primary' | 'joliet';
  volumeId: string;
  systemId: string;
  volumeSetId: string;
  publisherId: string;
  preparerId: string;
  applicationId: string;
  volumeBlocks: number;
  pathTableSize: number;
  pathTableL: number;
  pathTableM: number;
  rootExtent: number;
  rootDataLength: number;
  /** Seconds since the Unix epoch: creation, modification and the root record date. */
  date: number;
}

export interface DecodedVolumeDescriptor {
  type: number;
  /** A type-2 descriptor with a Joliet escape sequence and volume flags 0. */
  joliet: boolean;
  volumeId: string;
  systemId: string;
  volumeBlocks: number;
  blockSize: number;
  pathTableSize: number;
  pathTableL: number;
  pathTableM: number;
  modified: number | undefined;
  root: DecodedDirectoryRecord;
}

function header(buf: Uint8Array, type: number): void {
  buf[VD.TYPE] = type;
  putPadded(buf, VD.STANDARD_ID, 5, STANDARD_ID);
  buf[VD.VERSION] = 1;
}

export function encodeVolumeDescriptor(f: VolumeDescriptorFields): Uint8Array {
  const buf = new Uint8Array(BLOCK_SIZE);
  const joliet = f.kind === 'joliet';
  header(buf, joliet ? VD_TYPE.SUPPLEMENTARY : VD_TYPE.PRIMARY);
  const text = (offset: number, length: number, s: string) =>
    joliet ? putUcs2Padded(buf, offset, length, s) : putPadded(buf, offset, length, s);
  text(VD.SYSTEM_ID, VD.SYSTEM_ID_LEN, f.systemId);
  text(VD.VOLUME_ID, VD.VOLUME_ID_LEN, f.volumeId);
  putBoth32(buf, VD.SPACE_SIZE, f.volumeBlocks);
  if (joliet) buf.set(JOLIET_ESCAPE_WRITTEN, VD.ESCAPES);
  putBoth16(buf, VD.SET_SIZE, 1);
  putBoth16(buf, VD.SEQUENCE, 1);
  putBoth16(buf, VD.BLOCK_SIZE, BLOCK_SIZE);
  putBoth32(buf, VD.PATH_TABLE_SIZE, f.pathTableSize);
  putLe32(buf, VD.PATH_TABLE_L, f.pathTableL);
  putBe32(buf, VD.PATH_TABLE_M, f.pathTableM);
  encodeDirectoryRecord(
    {
      extent: f.rootExtent,
      dataLength: f.rootDataLength,
      date: f.date,
      flags: DR_FLAG.DIRECTORY,
      identifier: new Uint8Array([0]),
      systemUse: [],
    },
    buf,
    VD.ROOT_RECORD,
  );
  text(VD.VOLUME_SET_ID, VD.LONG_ID_LEN, f.volumeSetId);
  text(VD.PUBLISHER_ID, VD.LONG_ID_LEN, f.publisherId);
  text(VD.PREPARER_ID, VD.LONG_ID_LEN, f.preparerId);
  text(VD.APPLICATION_ID, VD.LONG_ID_LEN, f.applicationId);
  for (const at of [VD.COPYRIGHT_FILE, VD.ABSTRACT_FILE, VD.BIBLIOGRAPHIC_FILE]) text(at, VD.FILE_ID_LEN, '');
  // Modification date = creation date: blkid turns it into the UUID. Expiration
  // and effective are "not set", as xorriso writes them.
  encodeDecDatetime(buf, VD.CREATED, f.date);
  encodeDecDatetime(buf, VD.MODIFIED, f.date);
  encodeDecDatetime(buf, VD.EXPIRES, undefined);
  encodeDecDatetime(buf, VD.EFFECTIVE, undefined);
  buf[VD.FILE_STRUCTURE_VERSION] = 1;
  if (!joliet) buf.fill(0x20, VD.APPLICATION_USE, VD.APPLICATION_USE + VD.APPLICATION_USE_LEN);
  return buf;
}

export function encodeTerminator(): Uint8Array {
  const buf = new Uint8Array(BLOCK_SIZE);
  header(buf, VD_TYPE.TERMINATOR);
  return buf;
}

/** True when the block carries the `CD001` standard identifier. */
export function isVolumeDescriptor(r: ByteReader): boolean {
  return r.length >= 7 && r.latin1(VD.STANDARD_ID, 5) === STANDARD_ID;
}

function isJolietEscape(r: ByteReader): boolean {
  const e = r.slice(VD.ESCAPES, 3);
  return JOLIET_ESCAPES.some((j) => j[0] === e[0] && j[1] === e[1] && j[2] === e[2]);
}

/** A type-2 descriptor with a Joliet escape sequence and volume flags 0 (Joliet spec p. 3). */
export function isJolietDescriptor(r: ByteReader): boolean {
  return r.u8(VD.TYPE) === VD_TYPE.SUPPLEMENTARY && (r.u8(VD.FLAGS) & 1) === 0 && isJolietEscape(r);
}

/**
 * Decodes a primary or supplementary descriptor. Other types are decoded by
 * type only; the caller skips them.
 */
export function decodeVolumeDescriptor(r: ByteReader): DecodedVolumeDescriptor {
  if (!isVolumeDescriptor(r)) {
    throw corruptData('iso-bad-descriptor', 'volume descriptor lacks the CD001 identifier', r.where(VD.STANDARD_ID));
  }
  const type = r.u8(VD.TYPE);
  const joliet = isJolietDescriptor(r);
  const blockSize = r.both16(VD.BLOCK_SIZE);
  if (blockSize !== BLOCK_SIZE) {
    throw corruptData('iso-block-size', `logical block size ${blockSize} is not 2048`, r.where(VD.BLOCK_SIZE));
  }
  const text = (offset: number, length: number) =>
    joliet ? ucs2be(r.slice(offset, length)).replace(/[\u0000 ]+$/u, '') : r.paddedString(offset, length);
  return {
    type,
    joliet,
    volumeId: text(VD.VOLUME_ID, VD.VOLUME_ID_LEN),
    systemId: text(VD.SYSTEM_ID, VD.SYSTEM_ID_LEN),
    volumeBlocks: r.both32(VD.SPACE_SIZE),
    blockSize,
    pathTableSize: r.both32(VD.PATH_TABLE_SIZE),
    pathTableL: r.le32(VD.PATH_TABLE_L),
    pathTableM: r.be32(VD.PATH_TABLE_M),
    modified: decodeDecDatetime(r, VD.MODIFIED),
    root: decodeDirectoryRecord(r, VD.ROOT_RECORD),
  };
}
