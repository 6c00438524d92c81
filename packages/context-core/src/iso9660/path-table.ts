/**
 * ECMA-119 §9.4 path table: one record per directory, numbered from 1 in table
 * order, ordered by level, then parent number, then identifier (§9.4 and
 * shared/docs/iso9660.md §4). The L table holds little-endian numbers, the M
 * table big-endian ones (§6.9.2). The root's identifier is one 0x00 byte and
 * its parent is itself (number 1).
 *
 * Our reader walks directories, not path tables (as Linux does); the decoder
 * is here for checks and tests.
 */
import { corruptData } from '../errors.js';
import { ByteReader, putBe16, putBe32, putLe16, putLe32 } from './bytes.js';
import { PT } from './format.js';

export interface PathTableEntry {
  identifier: Uint8Array;
  extent: number;
  /** 1-based number of the parent directory in the same table. */
  parent: number;
}

export type PathTableOrder = 'L' | 'M';

function recordLength(idLength: number): number {
  return PT.ID + idLength + (idLength % 2);
}

/** The table size in bytes (the PVD's path table size field: not padded to a block). */
export function pathTableSize(entries: readonly PathTableEntry[]): number {
  let n = 0;
  for (const e of entries) n += recordLength(e.identifier.length);
  return n;
}

export function encodePathTable(entries: readonly PathTableEntry[], order: PathTableOrder): Uint8Array {
  const buf = new Uint8Array(pathTableSize(entries));
  let o = 0;
  for (const e of entries) {
    buf[o + PT.ID_LENGTH] = e.identifier.length;
    buf[o + PT.EXT_ATTR_LENGTH] = 0;
    if (order === 'L') {
      putLe32(buf, o + PT.EXTENT, e.extent);
      putLe16(buf, o + PT.PARENT, e.parent);
    } else {
      putBe32(buf, o + PT.EXTENT, e.extent);
      putBe16(buf, o + PT.PARENT, e.parent);
    }
    buf.set(e.identifier, o + PT.ID);
    o += recordLength(e.identifier.length);
  }
  return buf;
}

/** Decodes a whole table; `r` spans exactly the table's size in bytes. */
export function decodePathTable(r: ByteReader, order: PathTableOrder, maxEntries: number): PathTableEntry[] {
  const out: PathTableEntry[] = [];
  let o = 0;
  while (o < r.length) {
    const idLength = r.u8(o + PT.ID_LENGTH);
    if (idLength === 0) throw corruptData('iso-bad-path-table', 'path table record with an empty identifier', r.where(o));
    if (out.length >= maxEntries) throw corruptData('iso-bad-path-table', 'path table has more records than allowed', r.where(o));
    const extent = order === 'L' ? r.le32(o + PT.EXTENT) : r.be32(o + PT.EXTENT);
    const parent = order === 'L' ? r.le16(o + PT.PARENT) : r.be16(o + PT.PARENT);
    out.push({ identifier: r.slice(o + PT.ID, idLength), extent, parent });
    o += recordLength(idLength);
  }
  return out;
}
