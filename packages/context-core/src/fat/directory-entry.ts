/**
 * The 32-byte short directory entry (fatgen103 §6): name, attributes, NT
 * case bits, dates, first cluster and size. FAT12 and FAT16 keep the high
 * cluster word zero.
 */
import { FatBytes, putAscii, putLe16, putLe32 } from './bytes.js';
import { ATTR, DIR } from './format.js';
import type { DosDateTime } from './dates.js';

export interface ShortEntryInput {
  /** DIR_Name as 11 ASCII characters. */
  raw: string;
  attr: number;
  ntCase?: number;
  cluster: number;
  size: number;
  when: DosDateTime;
}

/** Writes one short entry at `at`. Creation, access and write dates are all `when`. */
export function encodeShortEntry(out: Uint8Array, at: number, e: ShortEntryInput): void {
  putAscii(out, at + DIR.NAME, e.raw, DIR.NAME_LEN);
  out[at + DIR.ATTR] = e.attr;
  out[at + DIR.NT_RES] = e.ntCase ?? 0;
  out[at + DIR.CREATE_TENTHS] = 0;
  putLe16(out, at + DIR.CREATE_TIME, e.when.time);
  putLe16(out, at + DIR.CREATE_DATE, e.when.date);
  putLe16(out, at + DIR.ACCESS_DATE, e.when.date);
  putLe16(out, at + DIR.CLUSTER_HI, 0);
  putLe16(out, at + DIR.WRITE_TIME, e.when.time);
  putLe16(out, at + DIR.WRITE_DATE, e.when.date);
  putLe16(out, at + DIR.CLUSTER_LO, e.cluster);
  putLe32(out, at + DIR.SIZE, e.size);
}

/** The `.` and `..` entries that open every subdirectory (`..` of a child of the root points at cluster 0). */
export function encodeDotEntries(out: Uint8Array, at: number, self: number, parent: number, when: DosDateTime): void {
  encodeShortEntry(out, at, { raw: '.', attr: ATTR.DIRECTORY, cluster: self, size: 0, when });
  encodeShortEntry(out, at + DIR.ENTRY_BYTES, { raw: '..', attr: ATTR.DIRECTORY, cluster: parent, size: 0, when });
}

export interface DecodedShortEntry {
  raw: Uint8Array;
  attr: number;
  ntCase: number;
  cluster: number;
  size: number;
  writeDate: number;
  writeTime: number;
}

export function decodeShortEntry(r: FatBytes, at: number): DecodedShortEntry {
  return {
    raw: r.slice(at + DIR.NAME, DIR.NAME_LEN),
    attr: r.u8(at + DIR.ATTR),
    ntCase: r.u8(at + DIR.NT_RES),
    // FAT12/16 have no high word; Linux ignores it there too.
    cluster: r.le16(at + DIR.CLUSTER_LO),
    size: r.le32(at + DIR.SIZE),
    writeDate: r.le16(at + DIR.WRITE_DATE),
    writeTime: r.le16(at + DIR.WRITE_TIME),
  };
}
