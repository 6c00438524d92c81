/**
 * The reader: finds the volume descriptors (ECMA-119 §8), decides which
 * namespace to show — Rock Ridge first, Joliet next, plain ISO names last —
 * walks that tree, and streams file contents. Only the blocks needed are
 * read, so a block device works as well as a buffer.
 *
 * Rock Ridge is used, as Linux does (fs/isofs/inode.c), when the root `.`
 * record starts with SP and either carries an ER naming RRIP or the image has
 * no Joliet descriptor.
 */
import { corruptData, invalidInput, overLimit } from '../errors.js';
import { ByteReader } from './bytes.js';
import { decodeDirectoryRecord } from './directory-record.js';
import {
  checkFileOverlaps,
  walkDirectory,
  type IsoDirectoryEntry,
  type IsoEntry,
  type IsoFileEntry,
  type IsoNamespace,
  type WalkContext,
} from './directory-walk.js';
import { BLOCK_SIZE, DEFAULT_READ_LIMITS, FIRST_DESCRIPTOR_BLOCK, RRIP_IDS, SUSP, VD_TYPE, type IsoReadLimits } from './format.js';
import { bufferSource, ImageReader, type IsoRandomAccess } from './source.js';
import { inflateZisofs } from './zisofs.js';
import { decodeRockRidge, type RockRidgeInfo } from './rock-ridge.js';
import { decodeERId, findSP, readSystemUse, suspBudget, type SuspBudget } from './susp.js';
import { decodeVolumeDescriptor, isJolietDescriptor, isVolumeDescriptor, type DecodedVolumeDescriptor } from './volume-descriptor.js';

export interface IsoReadOptions {
  /** Which tree to show: `auto` (default) picks Rock Ridge, then Joliet, then plain ISO names. */
  namespace?: 'auto' | IsoNamespace;
  /** Overrides of DEFAULT_READ_LIMITS. */
  limits?: Partial<IsoReadLimits>;
  /** A name for the image in error reports (`input.file`). */
  name?: string;
}

/** Chunk size of `readFile`: large enough for throughput, small enough to stream. */
const READ_CHUNK = 1024 * 1024;
/** Default cap of `readFileBytes`, which holds a whole file in memory. */
const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

export class IsoImage {
  constructor(
    private readonly image: ImageReader,
    /** The primary volume id, verbatim (`cidata`, `config-2`, `CONTEXT`). */
    readonly volumeId: string,
    /** The Joliet volume id, when there is a Joliet descriptor. */
    readonly jolietVolumeId: string | undefined,
    /** The namespace whose names `root` shows. */
    readonly namespace: IsoNamespace,
    readonly hasRockRidge: boolean,
    readonly hasJoliet: boolean,
    /** Volume space size in blocks, from the primary descriptor. */
    readonly volumeBlocks: number,
    /** The primary descriptor's modification date (blkid's UUID), seconds since the epoch. */
    readonly modified: number | undefined,
    readonly root: IsoDirectoryEntry,
  ) {}

  /** The entry at a slash-separated path (`openstack/latest/meta_data.json`), or undefined. */
  find(path: string): IsoEntry | undefined {
    let e: IsoEntry = this.root;
    for (const part of path.split('/').filter((p) => p !== '')) {
      if (e.kind !== 'directory') return undefined;
      const next: IsoEntry | undefined = e.children.find((c) => c.name === part);
      if (next === undefined) return undefined;
      e = next;
    }
    return e;
  }

  /** The regular file at `entry`; iso-no-such-file when there is none, iso-not-a-file for a directory, symlink, FIFO or device. */
  private file(entry: IsoFileEntry | string): IsoFileEntry {
    const path = typeof entry === 'string' ? entry : entry.path;
    const e = typeof entry === 'string' ? this.find(entry) : entry;
    if (e === undefined) throw invalidInput('iso-no-such-file', `no file ${path} in the image`, { file: path });
    if (e.kind !== 'file') {
      const what = e.kind === 'special' ? `a ${e.type}` : `a ${e.kind}`;
      throw invalidInput('iso-not-a-file', `${path} is ${what}, not a regular file`, { file: path });
    }
    return e;
  }

  /**
   * Streams a file's contents in chunks of at most 1 MiB (a zisofs file, one
   * decompressed block at a time). Extents were bounds-checked when the image
   * was opened.
   */
  async *readFile(entry: IsoFileEntry | string): AsyncGenerator<Uint8Array, void, undefined> {
    const f = this.file(entry);
    if (f.zisofs !== undefined) {
      const where = this.image.where((f.sections[0]?.lba ?? 0) * BLOCK_SIZE);
      yield* inflateZisofs((offset, length) => this.stored(f, offset, length), f.zisofs.storedSize, f.zisofs, f.path, where);
      return;
    }
    for (const s of f.sections) {
      for (let done = 0; done < s.size; ) {
        const n = Math.min(READ_CHUNK, s.size - done);
        const r = await this.image.read(s.lba * BLOCK_SIZE + done, n, `file ${f.path}`);
        done += n;
        yield r.bytes;
      }
    }
  }

  /** `length` bytes at `offset` of a file's stored bytes, across its sections. */
  private async stored(f: IsoFileEntry, offset: number, length: number): Promise<ByteReader> {
    const out = new Uint8Array(length);
    let done = 0;
    let base = 0;
    for (const s of f.sections) {
      const from = offset + done - base;
      if (done < length && from < s.size) {
        const n = Math.min(s.size - from, length - done);
        out.set((await this.image.read(s.lba * BLOCK_SIZE + from, n, `file ${f.path}`)).bytes, done);
        done += n;
      }
      base += s.size;
    }
    if (done < length) throw corruptData('iso-bad-zisofs', `${f.path}: read past the stored data`, { file: f.path });
    return new ByteReader(out, 0, this.image.file);
  }

  /** A whole file in memory; refuses files over `maxBytes` (default 256 MiB). */
  async readFileBytes(entry: IsoFileEntry | string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array> {
    const f = this.file(entry);
    if (f.size > maxBytes) throw overLimit('iso-file-too-large', `${f.path} is ${f.size} bytes, over ${maxBytes}`, { file: f.path });
    const out = new Uint8Array(f.size);
    let o = 0;
    for await (const chunk of this.readFile(f)) {
      out.set(chunk, o);
      o += chunk.length;
    }
    return out;
  }
}

interface Descriptors {
  primary: DecodedVolumeDescriptor;
  joliet: DecodedVolumeDescriptor | undefined;
  /** The block after the terminator. */
  end: number;
}

async function readDescriptors(image: ImageReader, limits: IsoReadLimits): Promise<Descriptors> {
  let primary: DecodedVolumeDescriptor | undefined;
  let joliet: DecodedVolumeDescriptor | undefined;
  for (let i = 0; i < limits.maxDescriptors; i++) {
    const lba = FIRST_DESCRIPTOR_BLOCK + i;
    if (!image.inside(lba * BLOCK_SIZE, BLOCK_SIZE)) {
      const code = i === 0 ? 'iso-not-iso9660' : 'iso-truncated';
      throw corruptData(code, i === 0 ? 'image too small for ISO 9660' : 'image ends inside the volume descriptors', image.where(lba * BLOCK_SIZE));
    }
    const block = await image.block(lba, 'volume descriptor');
    if (!isVolumeDescriptor(block)) {
      if (i === 0) throw corruptData('iso-not-iso9660', 'no ISO 9660 volume descriptor at block 16', image.where(lba * BLOCK_SIZE));
      throw corruptData('iso-bad-descriptor', `block ${lba} is not a volume descriptor`, image.where(lba * BLOCK_SIZE));
    }
    const type = block.u8(0);
    if (type === VD_TYPE.TERMINATOR) {
      if (primary === undefined) throw corruptData('iso-no-primary', 'no primary volume descriptor', image.where(lba * BLOCK_SIZE));
      return { primary, joliet, end: lba + 1 };
    }
    if (type === VD_TYPE.PRIMARY && primary === undefined) primary = decodeVolumeDescriptor(block);
    else if (joliet === undefined && isJolietDescriptor(block)) joliet = decodeVolumeDescriptor(block);
  }
  throw corruptData('iso-no-terminator', `no descriptor set terminator in the first ${limits.maxDescriptors} descriptors`, image.where(FIRST_DESCRIPTOR_BLOCK * BLOCK_SIZE));
}

/** SP skip length and whether Rock Ridge is declared, from the root's `.` record (SUSP §5.3, §5.5). */
interface RockRidgeProbe {
  sp: number | undefined;
  er: boolean;
  /** The root's own PX mode and TF time, from its `.` record. */
  root: RockRidgeInfo | undefined;
}

async function probeRockRidge(image: ImageReader, root: DecodedVolumeDescriptor['root'], limits: IsoReadLimits, budget: SuspBudget): Promise<RockRidgeProbe> {
  const none = { sp: undefined, er: false, root: undefined };
  if (!image.inside(root.extent * BLOCK_SIZE, BLOCK_SIZE)) return none;
  const block = await image.block(root.extent, 'root directory');
  if (block.u8(0) === 0) return none;
  const dot = decodeDirectoryRecord(block, 0);
  const found = findSP(new ByteReader(dot.systemUse, dot.systemUseOffset, image.file));
  if (found === undefined) return none;
  const sp = found.skip;
  const area = new ByteReader(dot.systemUse.subarray(found.at), dot.systemUseOffset + found.at, image.file);
  const entries = await readSystemUse(
    area,
    async (c) => {
      if (!image.inside(c.block * BLOCK_SIZE, BLOCK_SIZE)) {
        throw corruptData('iso-extent-outside', `continuation block ${c.block} lies outside the image`, area.where(0));
      }
      return (await image.block(c.block, 'continuation area')).sub(c.offset, c.length);
    },
    limits.maxContinuations,
    budget,
  );
  const er = entries.some((e) => e.signature === 'ER' && RRIP_IDS.includes(decodeERId(e)));
  return { sp, er, root: decodeRockRidge(entries, limits.maxNameBytes) };
}

function checkLimits(limits: Partial<IsoReadLimits> | undefined): IsoReadLimits {
  const out = { ...DEFAULT_READ_LIMITS, ...limits };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 1) throw invalidInput('iso-bad-option', `limit ${k} must be a positive integer`, { key: k });
  }
  return out;
}

/**
 * Opens an image and reads its whole directory tree. Throws ContextError:
 * `corrupt-data` for anything the image gets wrong (iso-not-iso9660 when it
 * is not ISO 9660 at all), `limit` when it exceeds a read limit.
 */
export async function openIso(input: Uint8Array | IsoRandomAccess, options: IsoReadOptions = {}): Promise<IsoImage> {
  const limits = checkLimits(options.limits);
  const image = new ImageReader(input instanceof Uint8Array ? bufferSource(input) : input, options.name);
  const d = await readDescriptors(image, limits);
  image.bound = Math.min(image.bound, d.primary.volumeBlocks * BLOCK_SIZE);
  const budget = suspBudget(Math.min(limits.maxSuspEntries, Math.floor(image.bound / SUSP.HEADER_LENGTH)));
  const probe = await probeRockRidge(image, d.primary.root, limits, budget);
  const hasRockRidge = probe.sp !== undefined && (probe.er || d.joliet === undefined);
  const wanted = options.namespace ?? 'auto';
  if (wanted === 'joliet' && d.joliet === undefined) throw invalidInput('iso-no-joliet', 'the image has no Joliet tree');
  const namespace: IsoNamespace = wanted !== 'auto' ? wanted : hasRockRidge ? 'rock-ridge' : d.joliet ? 'joliet' : 'iso9660';
  const descriptor = namespace === 'joliet' ? d.joliet! : d.primary;
  const ctx: WalkContext = {
    image,
    namespace,
    limits,
    suspSkip: probe.sp ?? 0,
    metadataEnd: d.end,
    entries: 0,
    budget,
    dirRanges: [],
    fileRanges: [],
  };
  const rootRecord = descriptor.root;
  const rr = namespace === 'rock-ridge' ? probe.root : undefined;
  const root: IsoDirectoryEntry = { kind: 'directory', name: '', path: '', mode: rr?.mode, mtime: rr?.mtime ?? rootRecord.date, children: [] };
  await walkDirectory(ctx, root, rootRecord.extent, rootRecord.dataLength, 1);
  checkFileOverlaps(ctx);
  return new IsoImage(
    image,
    d.primary.volumeId,
    d.joliet?.volumeId,
    namespace,
    hasRockRidge,
    d.joliet !== undefined,
    d.primary.volumeBlocks,
    d.primary.modified,
    root,
  );
}
