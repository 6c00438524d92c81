/**
 * The pure layout step: from a validated tree and options, decide every
 * identifier, record position, System Use split and extent address before a
 * byte is written. The writer then only encodes what is planned here.
 *
 * Image order (ECMA-119 §6.2, §6.8; shared/docs/iso9660.md §1):
 *   0-15 system area | 16 PVD | 17 Joliet SVD | terminator |
 *   ISO L, M path tables | Joliet L, M path tables |
 *   ISO directories (path table order), each followed by the Rock Ridge
 *   continuation blocks of its records | Joliet directories | file data |
 *   optional zero padding.
 * Joliet records point to the same file extents as ISO records. Continuation
 * blocks sit right after their directory as in genisoimage and xorriso
 * images: libarchive reads the image front to back and drops (truncates the
 * names of) continuation areas that lie past the Joliet directories.
 */
import { ContextError, overLimit } from '../errors.js';
import { encodeUcs2be, latin1Bytes } from './bytes.js';
import { directoryRecordLength, systemUseStart } from './directory-record.js';
import {
  BLOCK_SIZE,
  DR,
  DR_FLAG,
  FIRST_DESCRIPTOR_BLOCK,
  RRIP_ER,
  S_IFDIR,
  S_IFREG,
  SUSP,
  SYSTEM_AREA_BLOCKS,
  WRITE_LIMITS,
} from './format.js';
import { assignIsoIdentifiers, assignJolietNames, compareCodeUnits, compareIsoOrderKeys, isoOrderKey, type IsoOrderKey } from './names.js';
import { resolveOptions, type IsoWriteOptions, type ResolvedOptions } from './options.js';
import { pathTableSize } from './path-table.js';
import { encodePX, encodeTF, planSystemUse } from './rock-ridge.js';
import { encodeER, encodeSP } from './susp.js';
import { normaliseTree, type DirNode, type FileNode, type IsoEntryInput } from './tree.js';

export type IsoExtentKind =
  | 'system-area'
  | 'volume-descriptor'
  | 'path-table'
  | 'directory'
  | 'continuation'
  | 'file'
  | 'padding';

/** One planned extent; a plan's extents are in block order and cover the image without gaps. */
export interface IsoExtent {
  kind: IsoExtentKind;
  lba: number;
  blocks: number;
  /** Meaningful bytes in the extent (the rest of its last block is zero). */
  bytes: number;
  /** The file or directory path (`/` for the root), for `file` and `directory` extents. */
  path?: string;
  namespace?: 'iso9660' | 'joliet';
}

/** The result of `planIso`: the public summary of the layout. Pass it to `writeIso`. */
export interface IsoPlan {
  readonly volumeId: string;
  readonly volumeBlocks: number;
  readonly byteLength: number;
  /** Seconds since the epoch used for every date. */
  readonly timestamp: number;
  readonly extents: readonly IsoExtent[];
}

interface Placed {
  lba: number;
  size: number;
}

export interface PlannedArea {
  entries: Uint8Array[];
  length: number;
  block: PlannedCeBlock;
  offset: number;
}

export interface PlannedCeBlock {
  lba: number;
  used: number;
  areas: PlannedArea[];
}

export interface PlannedRecord {
  offset: number;
  identifier: Uint8Array;
  flags: number;
  target: Placed;
  systemUse: Uint8Array[];
  continuation: PlannedArea | undefined;
}

export interface PlannedDir extends Placed {
  node: DirNode;
  /** 1-based path table number. */
  number: number;
  parent: PlannedDir;
  identifier: Uint8Array;
  records: PlannedRecord[];
  /** Continuation blocks of this directory's records, placed right after its extent. */
  ceBlocks: PlannedCeBlock[];
}

export interface PlannedFile extends Placed {
  node: FileNode;
}

export interface PlannedTree {
  dirs: PlannedDir[];
  pathTableSize: number;
  pathTableL: number;
  pathTableM: number;
}

export interface PlanInternals {
  options: ResolvedOptions;
  iso: PlannedTree;
  joliet: PlannedTree | undefined;
  files: PlannedFile[];
}

const internals = new WeakMap<IsoPlan, PlanInternals>();

export function planInternals(plan: IsoPlan): PlanInternals | undefined {
  return internals.get(plan);
}

type Namespace = {
  kind: 'iso9660' | 'joliet';
  /** Identifier bytes of a child, from the per-directory assignment. */
  id(node: FileNode | DirNode): Uint8Array;
  /** Children in record order: §9.3 for ISO identifiers, code units for Joliet names. */
  sorted<T extends FileNode | DirNode>(nodes: readonly T[]): T[];
};

/** A child's identifier in one namespace, encoded once, and its sort key. */
interface Named<K> {
  id: Uint8Array;
  key: K;
}

function namespace<K>(kind: Namespace['kind'], named: Map<FileNode | DirNode, Named<K>>, compare: (a: K, b: K) => number): Namespace {
  const of = (n: FileNode | DirNode) => named.get(n)!;
  return { kind, id: (n) => of(n).id, sorted: (nodes) => [...nodes].sort((a, b) => compare(of(a).key, of(b).key)) };
}

function nlink(d: DirNode): number {
  return 2 + d.children.filter((c) => c.kind === 'directory').length;
}

const blocksOf = (bytes: number) => Math.ceil(bytes / BLOCK_SIZE);

function namespaces(root: DirNode, o: ResolvedOptions): { iso: Namespace; joliet: Namespace } {
  const iso = new Map<FileNode | DirNode, Named<IsoOrderKey>>();
  const joliet = new Map<FileNode | DirNode, Named<string>>();
  const visit = (d: DirNode) => {
    const named = d.children.map((c) => ({ name: c.name, directory: c.kind === 'directory' }));
    const isoIds = assignIsoIdentifiers(named, o.isoLevel);
    const jolietNames = o.joliet ? assignJolietNames(named) : [];
    d.children.forEach((c, i) => {
      const id = isoIds[i]!;
      iso.set(c, { id: latin1Bytes(id), key: isoOrderKey(id) });
      if (o.joliet) {
        const name = jolietNames[i]!;
        joliet.set(c, { id: encodeUcs2be(name), key: name });
      }
      if (c.kind === 'directory') visit(c);
    });
  };
  visit(root);
  return { iso: namespace('iso9660', iso, compareIsoOrderKeys), joliet: namespace('joliet', joliet, compareCodeUnits) };
}

/** Path table order (§9.4): breadth first, each parent's subdirectories by identifier. */
function planDirectories(root: DirNode, ns: Namespace): PlannedDir[] {
  const dirs: PlannedDir[] = [];
  const rootDir = { node: root, number: 1, lba: -1, size: 0, identifier: new Uint8Array([0]), records: [], ceBlocks: [] } as Omit<PlannedDir, 'parent'> & {
    parent?: PlannedDir;
  };
  rootDir.parent = rootDir as PlannedDir;
  dirs.push(rootDir as PlannedDir);
  for (let i = 0; i < dirs.length; i++) {
    const parent = dirs[i]!;
    const subdirs = ns.sorted(parent.node.children.filter((c): c is DirNode => c.kind === 'directory'));
    for (const node of subdirs) {
      dirs.push({ node, number: dirs.length + 1, parent, lba: -1, size: 0, identifier: ns.id(node), records: [], ceBlocks: [] });
    }
  }
  return dirs;
}

interface RecordDraft {
  identifier: Uint8Array;
  flags: number;
  target: Placed;
  fixed: Uint8Array[];
  name: Uint8Array | undefined;
  forced: Uint8Array[];
}

function buildRecords(
  dir: PlannedDir,
  ns: Namespace,
  dirOf: Map<DirNode, PlannedDir>,
  fileOf: Map<FileNode, PlannedFile>,
  o: ResolvedOptions,
): RecordDraft[] {
  const rr = o.rockRidge && ns.kind === 'iso9660';
  const px = (d: DirNode) => encodePX(S_IFDIR | d.mode, nlink(d));
  const tf = encodeTF(o.timestamp);
  const isRoot = dir.parent === dir;
  const drafts: RecordDraft[] = [
    {
      identifier: new Uint8Array([0]),
      flags: DR_FLAG.DIRECTORY,
      target: dir,
      fixed: rr ? (isRoot ? [encodeSP(), px(dir.node), tf] : [px(dir.node), tf]) : [],
      name: undefined,
      forced: rr && isRoot ? [encodeER(RRIP_ER.ID, RRIP_ER.DESCRIPTOR, RRIP_ER.SOURCE, RRIP_ER.VERSION)] : [],
    },
    {
      identifier: new Uint8Array([1]),
      flags: DR_FLAG.DIRECTORY,
      target: dir.parent,
      fixed: rr ? [px(dir.parent.node), tf] : [],
      name: undefined,
      forced: [],
    },
  ];
  for (const child of ns.sorted(dir.node.children)) {
    const isDir = child.kind === 'directory';
    drafts.push({
      identifier: ns.id(child),
      flags: isDir ? DR_FLAG.DIRECTORY : 0,
      target: isDir ? dirOf.get(child)! : fileOf.get(child)!,
      fixed: rr ? [isDir ? px(child) : encodePX(S_IFREG | child.mode, 1), tf] : [],
      name: rr ? child.nameBytes : undefined,
      forced: [],
    });
  }
  return drafts;
}

/** Places records so none crosses a block boundary (§6.8.1.1) and spills System Use into CE areas. */
function placeRecords(dir: PlannedDir, drafts: RecordDraft[]): void {
  const ceBlocks = dir.ceBlocks;
  let offset = 0;
  for (const d of drafts) {
    const room = DR.MAX_LENGTH - systemUseStart(d.identifier.length);
    const su = planSystemUse(d.fixed, d.name, room, d.forced);
    let continuation: PlannedArea | undefined;
    if (su.continuation.length > 0) {
      const length = su.continuation.reduce((n, e) => n + e.length, 0);
      let block = ceBlocks[ceBlocks.length - 1];
      if (block === undefined || block.used + length > BLOCK_SIZE) {
        block = { lba: -1, used: 0, areas: [] };
        ceBlocks.push(block);
      }
      continuation = { entries: su.continuation, length, block, offset: block.used };
      block.used += length;
      block.areas.push(continuation);
    }
    const suLength = su.inline.reduce((n, e) => n + e.length, 0) + (continuation ? SUSP.CE_LENGTH : 0);
    const length = directoryRecordLength(d.identifier.length, suLength);
    if (length > DR.MAX_LENGTH) {
      throw new ContextError('iso-internal', 'internal', `planned a ${length}-byte directory record`, { file: dir.node.path });
    }
    if ((offset % BLOCK_SIZE) + length > BLOCK_SIZE) offset = blocksOf(offset) * BLOCK_SIZE;
    dir.records.push({ offset, identifier: d.identifier, flags: d.flags, target: d.target, systemUse: su.inline, continuation });
    offset += length;
  }
  dir.size = Math.max(1, blocksOf(offset)) * BLOCK_SIZE;
}

function planTree(
  root: DirNode,
  ns: Namespace,
  fileOf: Map<FileNode, PlannedFile>,
  o: ResolvedOptions,
): PlannedTree {
  const dirs = planDirectories(root, ns);
  const dirOf = new Map(dirs.map((d) => [d.node, d]));
  for (const d of dirs) placeRecords(d, buildRecords(d, ns, dirOf, fileOf, o));
  const size = pathTableSize(dirs.map((d) => ({ identifier: d.identifier, extent: 0, parent: 0 })));
  return { dirs, pathTableSize: size, pathTableL: -1, pathTableM: -1 };
}

function collectFiles(root: DirNode, order: 'path' | 'input'): FileNode[] {
  const files: FileNode[] = [];
  const visit = (d: DirNode) => {
    for (const c of d.children) {
      if (c.kind === 'file') files.push(c);
      else visit(c);
    }
  };
  visit(root);
  return order === 'path' ? files.sort((a, b) => compareCodeUnits(a.path, b.path)) : files;
}

/**
 * Plans an image: validates the tree and options (throwing `invalid-input` or
 * `limit` errors), then fixes every extent. Pure: reads no clock, file or
 * environment, and does not read file contents.
 */
export function planIso(entries: readonly IsoEntryInput[], options: IsoWriteOptions): IsoPlan {
  const o = resolveOptions(options);
  const { root } = normaliseTree(entries, o.rootMode);
  const ns = namespaces(root, o);
  const files = collectFiles(root, o.dataOrder).map((node) => ({ node, lba: -1, size: node.size }));
  const fileOf = new Map(files.map((f) => [f.node, f]));
  const iso = planTree(root, ns.iso, fileOf, o);
  const joliet = o.joliet ? planTree(root, ns.joliet, fileOf, o) : undefined;

  const extents: IsoExtent[] = [{ kind: 'system-area', lba: 0, blocks: SYSTEM_AREA_BLOCKS, bytes: 0 }];
  let next = FIRST_DESCRIPTOR_BLOCK;
  const take = (e: Omit<IsoExtent, 'lba'>): number => {
    extents.push({ ...e, lba: next });
    next += e.blocks;
    return next - e.blocks;
  };
  const descriptors = (o.joliet ? 2 : 1) + 1;
  take({ kind: 'volume-descriptor', blocks: descriptors, bytes: descriptors * BLOCK_SIZE });
  for (const t of [iso, joliet]) {
    if (t === undefined) continue;
    const pt = { kind: 'path-table' as const, blocks: blocksOf(t.pathTableSize), bytes: t.pathTableSize };
    t.pathTableL = take({ ...pt, namespace: t === iso ? 'iso9660' : 'joliet' });
    t.pathTableM = take({ ...pt, namespace: t === iso ? 'iso9660' : 'joliet' });
  }
  for (const t of [iso, joliet]) {
    for (const d of t?.dirs ?? []) {
      d.lba = take({ kind: 'directory', blocks: d.size / BLOCK_SIZE, bytes: d.size, path: d.node.path || '/', namespace: t === iso ? 'iso9660' : 'joliet' });
      for (const b of d.ceBlocks) b.lba = take({ kind: 'continuation', blocks: 1, bytes: b.used });
    }
  }
  for (const f of files) {
    // Empty files own no extent; they point at block 0 and readers never read them (§9 of the fact sheet).
    f.lba = f.size === 0 ? 0 : take({ kind: 'file', blocks: blocksOf(f.size), bytes: f.size, path: f.node.path });
  }
  if (o.padBlocks > 0) take({ kind: 'padding', blocks: o.padBlocks, bytes: 0 });
  if (next > WRITE_LIMITS.MAX_VOLUME_BLOCKS) {
    throw overLimit('iso-too-large', `the image would need ${next} blocks, over the 32-bit block address limit`);
  }
  const plan: IsoPlan = Object.freeze({
    volumeId: o.volumeId,
    volumeBlocks: next,
    byteLength: next * BLOCK_SIZE,
    timestamp: o.timestamp,
    extents: Object.freeze(extents),
  });
  internals.set(plan, { options: o, iso, joliet, files });
  return plan;
}
