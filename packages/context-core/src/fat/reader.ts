/**
 * The reader: checks the boot sector, loads the first FAT, and walks the
 * tree from the root, reading every file. It distrusts every number:
 * chains are bounded and claimed in a bitmap (no loop, no cluster read for
 * two owners), sizes must match their chains, names are checked, and
 * entries, depth, directory bytes and file bytes are capped (FatReadLimits
 * in format.ts). Any input gives a volume or a ContextError.
 */
import { ContextError, corruptData, invalidInput, overLimit } from '../errors.js';
import { bufferSource, type IsoRandomAccess } from '../iso9660/source.js';
import { decodeBootSector, type FatGeometry } from './boot-sector.js';
import { FatBytes } from './bytes.js';
import { fromDosDateTime } from './dates.js';
import { decodeShortEntry } from './directory-entry.js';
import { ClusterClaims } from './fat-table.js';
import { ATTR, DEFAULT_FAT_READ_LIMITS, DIR, ENTRY_DELETED, ENTRY_END, FIRST_CLUSTER, type FatReadLimits, type FatType } from './format.js';
import { LongNameRun } from './long-name.js';
import { decodeOem, decodeShortName } from './short-name.js';

/** Random access to an image: a Uint8Array, a file or a block device (the ISO reader's interface). */
export type FatRandomAccess = IsoRandomAccess;

export interface FatReadOptions {
  /** Overrides of DEFAULT_FAT_READ_LIMITS. */
  limits?: Partial<FatReadLimits>;
  /** A name for the image in error reports (`input.file`). */
  name?: string;
}

interface EntryBase {
  /** The long name, or the short name where there is none (or it is broken), as Linux shows it. */
  name: string;
  /** Slash-separated from the root, without a leading slash. */
  path: string;
  /** The 8.3 name as stored (`README  TXT`), padding trimmed: `README.TXT`. */
  shortName: string;
  /** The write date as seconds since the epoch, read as UTC; undefined when out of range. */
  mtime: number | undefined;
}

export interface FatFileEntry extends EntryBase {
  kind: 'file';
  size: number;
  content: Uint8Array;
}

export interface FatDirectoryEntry extends EntryBase {
  kind: 'directory';
  children: FatEntry[];
}

export type FatEntry = FatFileEntry | FatDirectoryEntry;

export interface FatVolume {
  type: FatType;
  /** The root's volume-label entry, else BS_VolLab (Linux and blkid prefer the entry); undefined for none. */
  label: string | undefined;
  /** BS_VolLab alone. */
  bootLabel: string | undefined;
  /** BS_VolID (blkid's UUID, `XXXX-XXXX`), when the extended boot signature is there. */
  serial: number | undefined;
  sizeBytes: number;
  clusterBytes: number;
  clusters: number;
  root: FatDirectoryEntry;
}

class Image {
  constructor(
    readonly source: FatRandomAccess,
    readonly file: string | undefined,
  ) {}

  where(offset: number): { offset: number; file?: string } {
    return this.file === undefined ? { offset } : { offset, file: this.file };
  }

  async read(offset: number, length: number, what: string): Promise<FatBytes> {
    if (offset + length > this.source.size) {
      throw corruptData('fat-truncated', `${what} (${length} bytes at ${offset}) lies past the ${this.source.size}-byte image`, this.where(offset));
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.source.read(offset, length);
    } catch (e) {
      if (e instanceof ContextError) throw e;
      throw corruptData('fat-read-failed', `reading ${what} failed: ${(e as Error)?.message ?? String(e)}`, this.where(offset), e);
    }
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw corruptData('fat-truncated', `${what}: short read at ${offset}`, this.where(offset));
    return new FatBytes(bytes, offset, this.file);
  }
}

interface Walk {
  image: Image;
  g: FatGeometry;
  claims: ClusterClaims;
  limits: FatReadLimits;
  entries: number;
  bytes: number;
  label: string | undefined;
}

const clusterAt = (g: FatGeometry, c: number) => (g.dataStart + (c - FIRST_CLUSTER) * g.sectorsPerCluster) * g.sectorBytes;

/** The bytes of a chain, contiguous runs read at once. */
async function readChain(w: Walk, chain: readonly number[], length: number, what: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const cb = w.g.clusterBytes;
  for (let i = 0; i < chain.length && i * cb < length; ) {
    let j = i + 1;
    while (j < chain.length && chain[j] === chain[j - 1]! + 1) j++;
    const n = Math.min((j - i) * cb, length - i * cb);
    out.set((await w.image.read(clusterAt(w.g, chain[i]!), n, what)).bytes, i * cb);
    i = j;
  }
  return out;
}

const DOT = '.          ';
const DOTDOT = '..         ';

function checkName(name: string, at: { offset: number; file?: string }): string {
  if (name === '' || name === '.' || name === '..' || /[/\u0000]/u.test(name)) {
    throw corruptData('fat-bad-name', `entry name ${JSON.stringify(name)} is not a file name`, at);
  }
  return name;
}

async function walkDirectory(w: Walk, dir: FatDirectoryEntry, data: FatBytes, depth: number, isRoot: boolean): Promise<void> {
  const run = new LongNameRun();
  const names = new Set<string>();
  for (let o = 0; o + DIR.ENTRY_BYTES <= data.length; o += DIR.ENTRY_BYTES) {
    const first = data.u8(o);
    if (first === ENTRY_END) break;
    if (first === ENTRY_DELETED) {
      run.reset();
      continue;
    }
    const attr = data.u8(o + DIR.ATTR);
    if ((attr & ATTR.LONG_NAME_MASK) === ATTR.LONG_NAME) {
      run.add(data, o);
      continue;
    }
    const e = decodeShortEntry(data, o);
    const raw = decodeOem(e.raw);
    if (attr & ATTR.VOLUME_ID) {
      run.reset();
      if (isRoot && w.label === undefined) w.label = raw.replace(/[ \u0000]+$/u, '') || undefined;
      continue;
    }
    if (raw === DOT || raw === DOTDOT) {
      run.reset();
      continue;
    }
    const shortName = decodeShortName(e.raw, 0);
    const name = checkName(run.take(e.raw) ?? decodeShortName(e.raw, e.ntCase), data.where(o));
    // FAT names are case-insensitive: of `a` and `A` a lookup finds only the first.
    const key = name.toUpperCase();
    if (names.has(key)) throw corruptData('fat-duplicate-name', `${dir.path || '/'} holds ${name} twice (or with other case)`, data.where(o));
    names.add(key);
    if (++w.entries > w.limits.maxEntries) throw overLimit('fat-too-many-entries', `more than ${w.limits.maxEntries} entries`, data.where(o));
    const path = dir.path === '' ? name : `${dir.path}/${name}`;
    const base = { name, path, shortName, mtime: fromDosDateTime(e.writeDate, e.writeTime) };
    if (attr & ATTR.DIRECTORY) {
      if (depth + 1 > w.limits.maxDepth) throw overLimit('fat-too-deep', `${path} is deeper than ${w.limits.maxDepth} levels`, data.where(o));
      const chain = w.claims.chain(e.cluster, `directory ${path}`);
      const bytes = chain.length * w.g.clusterBytes;
      if (bytes > w.limits.maxDirectoryBytes) {
        throw overLimit('fat-directory-too-large', `directory ${path} is ${bytes} bytes, over ${w.limits.maxDirectoryBytes}`, data.where(o));
      }
      const child: FatDirectoryEntry = { ...base, kind: 'directory', children: [] };
      dir.children.push(child);
      await walkDirectory(w, child, new FatBytes(await readChain(w, chain, bytes, `directory ${path}`), clusterAt(w.g, chain[0]!), w.image.file), depth + 1, false);
    } else {
      const need = Math.ceil(e.size / w.g.clusterBytes);
      if (e.size === 0 && e.cluster !== 0) throw corruptData('fat-size-mismatch', `${path}: an empty file with a first cluster ${e.cluster}`, data.where(o));
      if (need > w.g.clusters) throw corruptData('fat-size-mismatch', `${path}: ${e.size} bytes do not fit the volume`, data.where(o));
      w.bytes += e.size;
      if (w.bytes > w.limits.maxTotalBytes) throw overLimit('fat-too-large', `files of over ${w.limits.maxTotalBytes} bytes in all`, data.where(o));
      const chain = e.size === 0 ? [] : w.claims.chain(e.cluster, `file ${path}`);
      if (chain.length !== need) {
        throw corruptData('fat-size-mismatch', `${path}: ${e.size} bytes need ${need} clusters, the chain has ${chain.length}`, data.where(o));
      }
      dir.children.push({ ...base, kind: 'file', size: e.size, content: await readChain(w, chain, e.size, `file ${path}`) });
    }
  }
}

function checkLimits(limits: Partial<FatReadLimits> | undefined): FatReadLimits {
  const out = { ...DEFAULT_FAT_READ_LIMITS, ...limits };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 1) throw invalidInput('fat-bad-option', `limit ${k} must be a positive integer`, { key: k });
  }
  return out;
}

function checkSource(input: unknown): FatRandomAccess {
  if (input instanceof Uint8Array) return bufferSource(input);
  const s = input as Partial<FatRandomAccess> | null;
  if (s === null || typeof s !== 'object' || typeof s.read !== 'function') {
    throw invalidInput('fat-bad-source', 'image source must be a Uint8Array or { size, read(offset, length) }');
  }
  if (!Number.isSafeInteger(s.size) || s.size! < 0) throw invalidInput('fat-bad-source', `image source size ${String(s.size)} is not a byte count`);
  return s as FatRandomAccess;
}

/**
 * Reads a FAT12 or FAT16 volume: its label, serial and whole tree, every
 * file's bytes included. Throws ContextError: `corrupt-data` for anything
 * the image gets wrong (fat-not-fat when it is no FAT boot sector at all,
 * fat-unsupported for FAT32), `limit` past a read limit.
 */
export async function readFat(input: Uint8Array | FatRandomAccess, options: FatReadOptions = {}): Promise<FatVolume> {
  const limits = checkLimits(options.limits);
  const image = new Image(checkSource(input), options.name);
  if (image.source.size < 512) throw corruptData('fat-not-fat', `a ${image.source.size}-byte image holds no boot sector`, image.where(0));
  const boot = decodeBootSector(await image.read(0, 512, 'boot sector'), image.source.size);
  const g = boot.geometry;
  const fatBytes = Math.ceil(((g.clusters + FIRST_CLUSTER) * (g.type === 'fat12' ? 12 : 16)) / 8);
  const fat = await image.read(g.reservedSectors * g.sectorBytes, fatBytes, 'FAT');
  const claims = new ClusterClaims(fat.bytes, g, (c) => image.where(c < FIRST_CLUSTER || c > g.clusters + 1 ? 0 : clusterAt(g, c)));
  const rootBytes = g.rootEntries * DIR.ENTRY_BYTES;
  if (rootBytes > limits.maxDirectoryBytes) throw overLimit('fat-directory-too-large', `the root is ${rootBytes} bytes, over ${limits.maxDirectoryBytes}`, image.where(0));
  const rootAt = (g.reservedSectors + g.numFats * g.fatSectors) * g.sectorBytes;
  const w: Walk = { image, g, claims, limits, entries: 0, bytes: 0, label: undefined };
  const root: FatDirectoryEntry = { kind: 'directory', name: '', path: '', shortName: '', mtime: undefined, children: [] };
  await walkDirectory(w, root, await image.read(rootAt, rootBytes, 'root directory'), 1, true);
  return {
    type: g.type,
    label: w.label ?? boot.label,
    bootLabel: boot.label,
    serial: boot.serial,
    sizeBytes: g.totalSectors * g.sectorBytes,
    clusterBytes: g.clusterBytes,
    clusters: g.clusters,
    root,
  };
}
