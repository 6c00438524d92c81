/**
 * IEEE P1282 Rock Ridge Interchange Protocol (RRIP 1.10, "RRIP_1991A") entries:
 * PX (§4.1.1), NM (§4.1.4), TF (§4.1.6) written and read; SL (§4.1.3) and
 * CL/PL/RE (§4.1.5) read only. Also the planner that fits a record's entries
 * into its System Use area and spills the rest into a CE continuation area
 * (SUSP §5.1), as both genisoimage and xorriso do.
 */
import { corruptData, overLimit } from '../errors.js';
import { putBoth32, utf8, utf8Escaped } from './bytes.js';
import { decodeDirDate, encodeDirDate, DIR_DATE_LENGTH } from './dates.js';
import { NM_FLAG, SL_FLAG, SUSP, TF_FLAG } from './format.js';
import { encodeEntry, type SuspEntry } from './susp.js';
import { decodeZF, type ZisofsInfo } from './zisofs.js';

/** RRIP §4.1.1 PX, 1.10 form (36 bytes): mode, links, uid, gid. */
export function encodePX(mode: number, links: number, uid = 0, gid = 0): Uint8Array {
  const data = new Uint8Array(32);
  putBoth32(data, 0, mode);
  putBoth32(data, 8, links);
  putBoth32(data, 16, uid);
  putBoth32(data, 24, gid);
  return encodeEntry('PX', data);
}

/** RRIP §4.1.6 TF with modify, access and attribute-change stamps, all `seconds` (as both tools write: flags 0E). */
export function encodeTF(seconds: number): Uint8Array {
  const data = new Uint8Array(1 + 3 * DIR_DATE_LENGTH);
  data[0] = TF_FLAG.MODIFY | TF_FLAG.ACCESS | TF_FLAG.ATTRIBUTES;
  for (let i = 0; i < 3; i++) encodeDirDate(data, 1 + i * DIR_DATE_LENGTH, seconds);
  return encodeEntry('TF', data);
}

/** Largest name piece in one NM entry: LEN is one byte, 5 bytes of it are header and flags. */
const NM_MAX_PIECE = 255 - 5;

function nmEntry(piece: Uint8Array, more: boolean): Uint8Array {
  const data = new Uint8Array(1 + piece.length);
  data[0] = more ? NM_FLAG.CONTINUE : 0;
  data.set(piece, 1);
  return encodeEntry('NM', data);
}

/** RRIP §4.1.4 NM: one or more entries; all but the last carry the CONTINUE flag. */
export function encodeNM(name: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < name.length; o += NM_MAX_PIECE) {
    const piece = name.subarray(o, Math.min(o + NM_MAX_PIECE, name.length));
    out.push(nmEntry(piece, o + piece.length < name.length));
  }
  return out;
}

export interface PlannedSystemUse {
  /** Bytes for the record itself, without the CE entry. */
  inline: Uint8Array[];
  /** Entries for the continuation area, or empty when everything fits. */
  continuation: Uint8Array[];
}

const total = (parts: readonly Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);

/**
 * Fits `fixed` entries (in order) and an NM name into `room` bytes of a
 * record's System Use area. When they do not fit, the record keeps room for a
 * 28-byte CE and the overflow, including `forced` entries (the root's ER),
 * goes to the continuation area; a name is split across the two with
 * NM CONTINUE, as RRIP §4.1.4 allows.
 */
export function planSystemUse(
  fixed: readonly Uint8Array[],
  name: Uint8Array | undefined,
  room: number,
  forced: readonly Uint8Array[] = [],
): PlannedSystemUse {
  const nm = name === undefined ? [] : encodeNM(name);
  if (forced.length === 0 && total(fixed) + total(nm) <= room) return { inline: [...fixed, ...nm], continuation: [] };
  let left = room - SUSP.CE_LENGTH;
  const inline: Uint8Array[] = [];
  const continuation: Uint8Array[] = [];
  let spilled = false;
  for (const e of fixed) {
    if (!spilled && e.length <= left) {
      inline.push(e);
      left -= e.length;
    } else {
      spilled = true;
      continuation.push(e);
    }
  }
  if (name !== undefined && name.length > 0) {
    let rest = name;
    if (!spilled && left >= 6) {
      const k = Math.min(left - 5, NM_MAX_PIECE, name.length);
      inline.push(nmEntry(name.subarray(0, k), k < name.length));
      rest = name.subarray(k);
    }
    if (rest.length > 0) continuation.push(...encodeNM(rest));
  }
  continuation.push(...forced);
  return { inline, continuation };
}

export interface RockRidgeInfo {
  /** True when any RRIP entry was seen. */
  present: boolean;
  name: string | undefined;
  /** The NM bytes, set only when they are not UTF-8 (`name` then holds them escaped; see utf8Escaped). */
  nameBytes: Uint8Array | undefined;
  mode: number | undefined;
  mtime: number | undefined;
  symlinkTarget: string | undefined;
  /** CL: this placeholder stands for the directory relocated to this block. */
  childLink: number | undefined;
  /** RE: this directory was relocated here (hide it in its RR_MOVED parent). */
  relocated: boolean;
  /** PN (RRIP §4.1.2): a device node's number, high and low 32 bits. */
  device: { high: number; low: number } | undefined;
  /** ZF: the file's data is zisofs-compressed (not RRIP proper, a Linux extension). */
  zisofs: ZisofsInfo | undefined;
}

const RRIP_SIGNATURES = new Set(['PX', 'PN', 'SL', 'NM', 'CL', 'PL', 'RE', 'TF', 'SF', 'RR']);

function readTF(e: SuspEntry): number | undefined {
  const flags = e.data.u8(0);
  const width = flags & TF_FLAG.LONG_FORM ? 17 : DIR_DATE_LENGTH;
  if ((flags & TF_FLAG.MODIFY) === 0 || width !== DIR_DATE_LENGTH) return undefined;
  const at = 1 + (flags & TF_FLAG.CREATION ? width : 0);
  return decodeDirDate(e.data, at);
}

/** Joins SL components into a path (RRIP §4.1.3.1), bounded by `maxBytes`. */
function readSL(entries: readonly SuspEntry[], maxBytes: number): string {
  let path = '';
  let joinNext = false;
  for (const e of entries) {
    let o = 1;
    while (o + 2 <= e.data.length) {
      const flags = e.data.u8(o);
      const len = e.data.u8(o + 1);
      const bytes = e.data.slice(o + 2, len);
      o += 2 + len;
      let part: string;
      if (flags & SL_FLAG.ROOT) part = '/';
      else if (flags & SL_FLAG.PARENT) part = '..';
      else if (flags & SL_FLAG.CURRENT) part = '.';
      else part = utf8(bytes);
      if (path === '' || joinNext || path.endsWith('/')) path += part;
      else path += '/' + part;
      joinNext = (flags & SL_FLAG.CONTINUE) !== 0;
      if (path.length > maxBytes) throw overLimit('iso-name-too-long', `symlink target longer than ${maxBytes} bytes`, e.data.where(0));
    }
  }
  return path;
}

/** Collects the RRIP facts of one record from its System Use entries. */
export function decodeRockRidge(entries: readonly SuspEntry[], maxNameBytes: number): RockRidgeInfo {
  const info: RockRidgeInfo = {
    present: false,
    name: undefined,
    nameBytes: undefined,
    mode: undefined,
    mtime: undefined,
    symlinkTarget: undefined,
    childLink: undefined,
    relocated: false,
    device: undefined,
    zisofs: undefined,
  };
  const nameParts: Uint8Array[] = [];
  let nameBytes = 0;
  const sl: SuspEntry[] = [];
  for (const e of entries) {
    if (e.signature === 'ZF' && e.data.length >= 12) info.zisofs = decodeZF(e);
    if (!RRIP_SIGNATURES.has(e.signature)) continue;
    info.present = true;
    switch (e.signature) {
      case 'PX':
        info.mode = e.data.both32(0);
        break;
      case 'NM': {
        const flags = e.data.u8(0);
        if (flags & (NM_FLAG.CURRENT | NM_FLAG.PARENT | NM_FLAG.HOST)) break;
        const piece = e.data.slice(1, e.data.length - 1);
        nameBytes += piece.length;
        if (nameBytes > maxNameBytes) {
          throw overLimit('iso-name-too-long', `Rock Ridge name longer than ${maxNameBytes} bytes`, e.data.where(0));
        }
        nameParts.push(piece);
        break;
      }
      case 'TF':
        info.mtime = readTF(e);
        break;
      case 'SL':
        sl.push(e);
        break;
      case 'CL':
        info.childLink = e.data.both32(0);
        break;
      case 'RE':
        info.relocated = true;
        break;
      case 'PN':
        info.device = { high: e.data.both32(0), low: e.data.both32(8) };
        break;
    }
  }
  if (nameParts.length > 0) {
    const joined = new Uint8Array(nameBytes);
    let o = 0;
    for (const p of nameParts) {
      joined.set(p, o);
      o += p.length;
    }
    const decoded = utf8Escaped(joined);
    info.name = decoded.text;
    if (!decoded.valid) info.nameBytes = joined;
  }
  if (sl.length > 0) info.symlinkTarget = readSL(sl, maxNameBytes);
  return info;
}

/** Rejects names that would escape a directory when a caller extracts them. */
export function checkEntryName(name: string, where: { offset: number; file?: string }): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\u0000')) {
    throw corruptData('iso-bad-name', `directory entry name ${JSON.stringify(name)} is not a valid file name`, where);
  }
  return name;
}
