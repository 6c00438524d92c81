/**
 * Reads one directory hierarchy (ECMA-119 §6.8, §9.1) into entries, with
 * names from the chosen namespace. Distrusts every number: extents are
 * checked against the image, directory extents may neither repeat (loops)
 * nor overlap, and depth, entry count, directory size, CE hops, name length
 * and multi-extent sections are capped (see IsoReadLimits in format.ts).
 */
import { corruptData, overLimit } from '../errors.js';
import { ByteReader, latin1, ucs2be } from './bytes.js';
import { decodeDirectoryRecord, type DecodedDirectoryRecord } from './directory-record.js';
import { BLOCK_SIZE, DR_FLAG, S_IFBLK, S_IFCHR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK, type IsoReadLimits } from './format.js';
import { linuxIsoName } from './names.js';
import { checkEntryName, decodeRockRidge, type RockRidgeInfo } from './rock-ridge.js';
import type { ImageReader } from './source.js';
import type { ZisofsInfo } from './zisofs.js';
import { readSystemUse, type SuspBudget, type SuspEntry } from './susp.js';

export type IsoNamespace = 'rock-ridge' | 'joliet' | 'iso9660';

export interface IsoSection {
  lba: number;
  size: number;
}

interface EntryBase {
  /**
   * The Rock Ridge, Joliet or plain ISO name. A Rock Ridge name that is not
   * UTF-8 has each stray byte as a lone surrogate U+DC80-U+DCFF (PEP 383
   * surrogateescape), so such names stay distinct; `nameBytes` then holds
   * the bytes.
   */
  name: string;
  /** Set only for a Rock Ridge name that is not UTF-8: its bytes as written. */
  nameBytes?: Uint8Array;
  /** Slash-separated from the root, without a leading slash. */
  path: string;
  /** Rock Ridge PX mode (type and permission bits), when present. */
  mode: number | undefined;
  /** Seconds since the epoch: Rock Ridge TF modify time, else the record date. */
  mtime: number | undefined;
}

export interface IsoFileEntry extends EntryBase {
  kind: 'file';
  /** Bytes of the contents, decompressed when the file is zisofs-compressed. */
  size: number;
  /** One section, or several for a multi-extent file (ECMA-119 §6.5.1). */
  sections: readonly IsoSection[];
  /** Set when the sections hold zisofs-compressed data (Rock Ridge ZF); `readFile` decompresses it. */
  zisofs?: ZisofsInfo & { storedSize: number };
}

export interface IsoDirectoryEntry extends EntryBase {
  kind: 'directory';
  children: IsoEntry[];
}

export interface IsoSymlinkEntry extends EntryBase {
  kind: 'symlink';
  target: string;
}

/** A FIFO, device node or socket (Rock Ridge PX type, PN number): it has no data to read. */
export interface IsoSpecialEntry extends EntryBase {
  kind: 'special';
  type: IsoSpecialType;
  /** The device number, for devices with a PN entry (major and minor as Linux decodes PN). */
  device: { major: number; minor: number } | undefined;
}

export type IsoSpecialType = 'fifo' | 'character-device' | 'block-device' | 'socket';

export type IsoEntry = IsoFileEntry | IsoDirectoryEntry | IsoSymlinkEntry | IsoSpecialEntry;

const SPECIAL_TYPES = new Map<number, IsoSpecialType>([
  [S_IFIFO, 'fifo'],
  [S_IFCHR, 'character-device'],
  [S_IFBLK, 'block-device'],
  [S_IFSOCK, 'socket'],
]);

/** Linux rock.c: a PN with high 0 and a low word over 8 bits holds an old 16-bit dev_t. */
function deviceNumber(pn: RockRidgeInfo['device']): IsoSpecialEntry['device'] {
  if (pn === undefined) return undefined;
  if (pn.high === 0 && pn.low > 0xff) return { major: (pn.low >>> 8) & 0xff, minor: pn.low & 0xff };
  return { major: pn.high, minor: pn.low };
}

export interface WalkContext {
  image: ImageReader;
  namespace: IsoNamespace;
  limits: IsoReadLimits;
  /** SUSP LEN_SKP from the root's SP entry. */
  suspSkip: number;
  /** Blocks [0, metadataEnd) hold the system area and descriptors. */
  metadataEnd: number;
  entries: number;
  /** System Use entries the image may still make the reader frame. */
  budget: SuspBudget;
  /** Directory extents seen, as sorted [start, end) byte ranges. */
  dirRanges: [number, number][];
  /** File extents, checked against dirRanges at the end. */
  fileRanges: [number, number, string][];
}

/** Inserts a directory extent, refusing one that repeats or overlaps another (a loop or a forged extent). */
function claimDirectory(ctx: WalkContext, start: number, end: number, path: string): void {
  if (start < ctx.metadataEnd * BLOCK_SIZE) {
    throw corruptData('iso-extent-overlap', `directory ${path || '/'} overlaps the volume descriptors`, ctx.image.where(start));
  }
  const r = ctx.dirRanges;
  let lo = 0;
  let hi = r.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r[mid]![0] < start) lo = mid + 1;
    else hi = mid;
  }
  const before = r[lo - 1];
  const after = r[lo];
  if ((before && before[1] > start) || (after && after[0] < end) || (after && after[0] === start)) {
    const code = (before && before[0] === start) || (after && after[0] === start) ? 'iso-dir-loop' : 'iso-extent-overlap';
    throw corruptData(code, `directory ${path || '/'} reuses or overlaps another directory's extent`, ctx.image.where(start));
  }
  r.splice(lo, 0, [start, end]);
}

/** Files may share extents with each other (hard links, shared empty blocks) but not with metadata. */
export function checkFileOverlaps(ctx: WalkContext): void {
  const dirs = ctx.dirRanges;
  const meta = ctx.metadataEnd * BLOCK_SIZE;
  for (const [start, end, path] of ctx.fileRanges) {
    let lo = 0;
    let hi = dirs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (dirs[mid]![1] <= start) lo = mid + 1;
      else hi = mid;
    }
    const d = dirs[lo];
    if (start < meta || (d !== undefined && d[0] < end)) {
      throw corruptData('iso-extent-overlap', `file ${path} overlaps directory or descriptor blocks`, ctx.image.where(start));
    }
  }
}

function checkExtent(ctx: WalkContext, lba: number, size: number, what: string): [number, number] {
  const start = lba * BLOCK_SIZE;
  if (!ctx.image.inside(start, size)) {
    throw corruptData('iso-extent-outside', `${what}: extent at block ${lba} of ${size} bytes lies outside the image`, ctx.image.where(start));
  }
  return [start, start + size];
}

async function systemUse(ctx: WalkContext, rec: DecodedDirectoryRecord): Promise<SuspEntry[]> {
  const skip = Math.min(ctx.suspSkip, rec.systemUse.length);
  const area = new ByteReader(rec.systemUse.subarray(skip), rec.systemUseOffset + skip, ctx.image.file);
  return readSystemUse(
    area,
    async (c) => {
      if (!ctx.image.inside(c.block * BLOCK_SIZE, BLOCK_SIZE)) {
        throw corruptData('iso-extent-outside', `continuation block ${c.block} lies outside the image`, area.where(0));
      }
      return (await ctx.image.block(c.block, 'continuation area')).sub(c.offset, c.length);
    },
    ctx.limits.maxContinuations,
    ctx.budget,
  );
}

/** The size of a directory known only by its block (Rock Ridge CL): its own `.` record says. */
async function relocatedSize(ctx: WalkContext, lba: number): Promise<number> {
  const block = await ctx.image.block(lba, 'relocated directory');
  return decodeDirectoryRecord(block, 0).dataLength;
}

function recordName(ctx: WalkContext, rec: DecodedDirectoryRecord, rr: RockRidgeInfo | undefined): string {
  if (rr?.name !== undefined) return rr.name;
  if (ctx.namespace === 'joliet') return ucs2be(rec.identifier).replace(/;[0-9]+$/u, '');
  return linuxIsoName(latin1(rec.identifier));
}

/** Walks the directory at `lba` of `size` bytes, appending to `dir.children`. */
export async function walkDirectory(ctx: WalkContext, dir: IsoDirectoryEntry, lba: number, size: number, depth: number): Promise<void> {
  if (size > ctx.limits.maxDirectoryBytes) {
    throw overLimit('iso-directory-too-large', `directory ${dir.path || '/'} is ${size} bytes, over ${ctx.limits.maxDirectoryBytes}`, ctx.image.where(lba * BLOCK_SIZE));
  }
  const [start, end] = checkExtent(ctx, lba, size, `directory ${dir.path || '/'}`);
  claimDirectory(ctx, start, Math.max(end, start + 1), dir.path);
  const data = await ctx.image.read(start, size, `directory ${dir.path || '/'}`);
  const subdirs: [IsoDirectoryEntry, number, number][] = [];
  let pending: IsoFileEntry | undefined;
  let o = 0;
  while (o < size) {
    const length = data.u8(o);
    if (length === 0) {
      o = (Math.floor(o / BLOCK_SIZE) + 1) * BLOCK_SIZE;
      continue;
    }
    if ((o % BLOCK_SIZE) + length > BLOCK_SIZE) {
      throw corruptData('iso-bad-record', 'directory record crosses a block boundary', data.where(o));
    }
    const rec = decodeDirectoryRecord(data, o);
    o += rec.length;
    if (rec.identifier.length === 1 && rec.identifier[0]! <= 1) continue; // `.` and `..`
    if (rec.flags & DR_FLAG.ASSOCIATED) continue; // hidden by Linux unless showassoc
    if (++ctx.entries > ctx.limits.maxEntries) {
      throw overLimit('iso-too-many-entries', `more than ${ctx.limits.maxEntries} entries`, data.where(o - rec.length));
    }
    const rr = ctx.namespace === 'rock-ridge' ? decodeRockRidge(await systemUse(ctx, rec), ctx.limits.maxNameBytes) : undefined;
    if (rr?.relocated) continue; // shown where its CL placeholder is
    const name = checkEntryName(recordName(ctx, rec, rr), data.where(o - rec.length));
    const path = dir.path === '' ? name : `${dir.path}/${name}`;
    const base = { name, path, mode: rr?.mode, mtime: rr?.mtime ?? rec.date, ...(rr?.nameBytes ? { nameBytes: rr.nameBytes } : {}) };
    const isDir = (rec.flags & DR_FLAG.DIRECTORY) !== 0 || rr?.childLink !== undefined;
    if (pending !== undefined && (isDir || pending.name !== name)) {
      throw corruptData('iso-bad-multi-extent', `multi-extent file ${pending.path} has no final section`, data.where(o - rec.length));
    }
    if (isDir) {
      if (depth + 1 > ctx.limits.maxDepth) {
        throw overLimit('iso-too-deep', `${path} is deeper than ${ctx.limits.maxDepth} levels`, data.where(o - rec.length));
      }
      const child: IsoDirectoryEntry = { ...base, kind: 'directory', children: [] };
      dir.children.push(child);
      const target = rr?.childLink ?? rec.extent;
      subdirs.push([child, target, rr?.childLink === undefined ? rec.dataLength : await relocatedSize(ctx, target)]);
    } else if (rr?.symlinkTarget !== undefined || (rr?.mode !== undefined && (rr.mode & S_IFMT) === S_IFLNK)) {
      dir.children.push({ ...base, kind: 'symlink', target: rr.symlinkTarget ?? '' });
    } else if (rr?.mode !== undefined && SPECIAL_TYPES.has(rr.mode & S_IFMT)) {
      dir.children.push({ ...base, kind: 'special', type: SPECIAL_TYPES.get(rr.mode & S_IFMT)!, device: deviceNumber(rr.device) });
    } else {
      const section = { lba: rec.extent, size: rec.dataLength };
      if (section.size > 0) {
        const [s, e] = checkExtent(ctx, section.lba, section.size, `file ${path}`);
        ctx.fileRanges.push([s, e, path]);
      }
      const file: IsoFileEntry = pending ?? { ...base, kind: 'file', size: 0, sections: [] };
      (file.sections as IsoSection[]).push(section);
      file.size += section.size;
      if (file.sections.length > ctx.limits.maxSections) {
        throw overLimit('iso-too-many-sections', `${path} has more than ${ctx.limits.maxSections} sections`, data.where(o - rec.length));
      }
      if (rec.flags & DR_FLAG.MULTI_EXTENT) {
        pending = file;
        continue;
      }
      pending = undefined;
      // The last section's record carries the file's attributes (SUSP 1.12 §5).
      const zf = rr?.zisofs;
      if (zf === undefined) dir.children.push({ ...file, ...base });
      else dir.children.push({ ...file, ...base, size: zf.size, zisofs: { ...zf, storedSize: file.size } });
    }
  }
  if (pending !== undefined) {
    throw corruptData('iso-bad-multi-extent', `multi-extent file ${pending.path} has no final section`, data.where(size));
  }
  for (const [child, childLba, childSize] of subdirs) await walkDirectory(ctx, child, childLba, childSize, depth + 1);
}
