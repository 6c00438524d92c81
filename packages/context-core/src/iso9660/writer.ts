/**
 * The writer: encodes what `planIso` planned, in block order, as a stream of
 * chunks. Metadata is encoded block by block; file contents are passed through
 * from their sources and never held whole, so files of gigabytes stream in
 * constant memory.
 */
import { ContextError, invalidInput } from '../errors.js';
import { concatBytes } from './bytes.js';
import { encodeDirectoryRecord } from './directory-record.js';
import { BLOCK_SIZE, SYSTEM_AREA_BLOCKS } from './format.js';
import { planInternals, planIso, type IsoPlan, type PlanInternals, type PlannedCeBlock, type PlannedDir, type PlannedFile, type PlannedTree } from './layout.js';
import type { IsoWriteOptions } from './options.js';
import { encodePathTable } from './path-table.js';
import { encodeCE } from './susp.js';
import type { IsoEntryInput } from './tree.js';
import { encodeTerminator, encodeVolumeDescriptor } from './volume-descriptor.js';

/** A piece of the image: encoded metadata, a file's data (to pad to a block), or a run of zero bytes. */
export type ImagePiece = Uint8Array | PlannedFile | { zeros: number };

function padToBlock(bytes: Uint8Array): Uint8Array {
  const size = Math.ceil(bytes.length / BLOCK_SIZE) * BLOCK_SIZE;
  if (size === bytes.length) return bytes;
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

function encodeDirectory(d: PlannedDir, date: number): Uint8Array {
  const buf = new Uint8Array(d.size);
  for (const r of d.records) {
    const c = r.continuation;
    const systemUse = c ? r.systemUse.concat(encodeCE({ block: c.block.lba, offset: c.offset, length: c.length })) : r.systemUse;
    encodeDirectoryRecord({ extent: r.target.lba, dataLength: r.target.size, date, flags: r.flags, identifier: r.identifier, systemUse }, buf, r.offset);
  }
  return buf;
}

function encodeContinuationBlock(b: PlannedCeBlock): Uint8Array {
  const buf = new Uint8Array(BLOCK_SIZE);
  for (const a of b.areas) buf.set(concatBytes(a.entries), a.offset);
  return buf;
}

function pathTables(t: PlannedTree): Uint8Array[] {
  const entries = t.dirs.map((d) => ({ identifier: d.identifier, extent: d.lba, parent: d.parent.number }));
  return [padToBlock(encodePathTable(entries, 'L')), padToBlock(encodePathTable(entries, 'M'))];
}

function descriptor(p: PlanInternals, t: PlannedTree, kind: 'primary' | 'joliet', volumeBlocks: number): Uint8Array {
  const o = p.options;
  const root = t.dirs[0]!;
  return encodeVolumeDescriptor({
    kind,
    volumeId: kind === 'joliet' ? o.volumeId.slice(0, 16) : o.volumeId,
    systemId: o.systemId,
    volumeSetId: o.volumeSetId,
    publisherId: o.publisherId,
    preparerId: o.preparerId,
    applicationId: o.applicationId,
    volumeBlocks,
    pathTableSize: t.pathTableSize,
    pathTableL: t.pathTableL,
    pathTableM: t.pathTableM,
    rootExtent: root.lba,
    rootDataLength: root.size,
    date: o.timestamp,
  });
}

/** Every piece of the image in block order. Metadata is encoded lazily, one extent at a time. */
function* pieces(plan: IsoPlan, p: PlanInternals): Generator<ImagePiece> {
  const ts = p.options.timestamp;
  yield { zeros: SYSTEM_AREA_BLOCKS * BLOCK_SIZE };
  yield descriptor(p, p.iso, 'primary', plan.volumeBlocks);
  if (p.joliet) yield descriptor(p, p.joliet, 'joliet', plan.volumeBlocks);
  yield encodeTerminator();
  for (const t of [p.iso, p.joliet]) if (t) yield* pathTables(t);
  for (const t of [p.iso, p.joliet]) {
    for (const d of t?.dirs ?? []) {
      yield encodeDirectory(d, ts);
      for (const b of d.ceBlocks) yield encodeContinuationBlock(b);
    }
  }
  for (const f of p.files) if (f.size > 0) yield f;
  if (p.options.padBlocks > 0) yield { zeros: p.options.padBlocks * BLOCK_SIZE };
}

function internalsOf(plan: IsoPlan): PlanInternals {
  const p = planInternals(plan);
  if (p === undefined) throw invalidInput('iso-bad-plan', 'not a plan made by planIso');
  return p;
}

/**
 * The pieces of a plan in block order, for writers that place them
 * themselves (see `file-writer.ts`). Refuses a plan not made by `planIso`
 * at once, before anything is written.
 */
export function imagePieces(plan: IsoPlan): Generator<ImagePiece> {
  return pieces(plan, internalsOf(plan));
}

/** Zero bytes after `bytes` of file data up to the end of its last block. */
export function paddingAfter(bytes: number): number {
  const tail = bytes % BLOCK_SIZE;
  return tail === 0 ? 0 : BLOCK_SIZE - tail;
}

/** Fails with iso-internal unless the file's data starts at image offset `offset`, where the plan put it. */
export function checkPlaced(f: PlannedFile, offset: number): void {
  if (offset !== f.lba * BLOCK_SIZE) throw new ContextError('iso-internal', 'internal', `${f.node.path} misplaced`);
}

/** Fails with iso-internal unless `written` bytes are the whole planned image. */
export function checkComplete(plan: IsoPlan, written: number): void {
  if (written !== plan.byteLength) throw new ContextError('iso-internal', 'internal', `wrote ${written} of ${plan.byteLength} bytes`);
}

/** Checks one chunk from a content source: bytes, and not past the declared size. */
export function checkChunk(chunk: unknown, f: PlannedFile, seen: number): Uint8Array {
  if (!(chunk instanceof Uint8Array)) {
    throw invalidInput('iso-bad-content', `${f.node.path}: content source yielded a non-byte chunk`, { file: f.node.path });
  }
  if (seen + chunk.length > f.size) throw contentTooLong(f);
  return chunk;
}

export function contentTooLong(f: PlannedFile): ContextError {
  return invalidInput('iso-content-size', `${f.node.path}: content is longer than its declared ${f.size} bytes`, { file: f.node.path });
}

/** Fails with iso-content-size unless a source ended after exactly its declared size. */
export function checkEnd(f: PlannedFile, seen: number): void {
  if (seen !== f.size) {
    throw invalidInput('iso-content-size', `${f.node.path}: content ended after ${seen} of ${f.size} bytes`, { file: f.node.path });
  }
}

const ZERO_CHUNK = 1 << 20;

function* zeros(n: number): Generator<Uint8Array> {
  for (let left = n; left > 0; left -= ZERO_CHUNK) yield new Uint8Array(Math.min(left, ZERO_CHUNK));
}

/**
 * Streams the planned image as chunks (for a Node stream:
 * `Readable.from(writeIso(plan))`). File sources are opened one at a time, in
 * data order; a source that yields more or fewer bytes than its declared size
 * fails with iso-content-size.
 */
export async function* writeIso(plan: IsoPlan): AsyncGenerator<Uint8Array, void, undefined> {
  let written = 0;
  for (const piece of imagePieces(plan)) {
    if (piece instanceof Uint8Array) {
      written += piece.length;
      yield piece;
    } else if ('zeros' in piece) {
      written += piece.zeros;
      yield* zeros(piece.zeros);
    } else {
      checkPlaced(piece, written);
      const content = piece.node.content;
      let seen = 0;
      const chunks = content instanceof Uint8Array ? [content] : content.open();
      for await (const chunk of chunks) {
        seen += checkChunk(chunk, piece, seen).length;
        if (chunk.length > 0) yield chunk;
      }
      checkEnd(piece, seen);
      const pad = paddingAfter(seen);
      written += seen + pad;
      if (pad > 0) yield new Uint8Array(pad);
    }
  }
  checkComplete(plan, written);
}

/** Plans and writes a whole image into memory. For small trees; use `writeIso` for large ones. */
export async function writeIsoToBuffer(entries: readonly IsoEntryInput[], options: IsoWriteOptions): Promise<Uint8Array> {
  const plan = planIso(entries, options);
  const out = new Uint8Array(plan.byteLength);
  let o = 0;
  for await (const chunk of writeIso(plan)) {
    out.set(chunk, o);
    o += chunk.length;
  }
  return out;
}

/**
 * Synchronous variant of `writeIsoToBuffer` for trees whose contents are all
 * Uint8Arrays or sources with a synchronous `open()`.
 */
export function encodeIso(entries: readonly IsoEntryInput[], options: IsoWriteOptions): Uint8Array {
  const plan = planIso(entries, options);
  const out = new Uint8Array(plan.byteLength);
  let o = 0;
  for (const piece of imagePieces(plan)) {
    if (piece instanceof Uint8Array) {
      out.set(piece, o);
      o += piece.length;
    } else if ('zeros' in piece) {
      o += piece.zeros;
    } else {
      const content = piece.node.content;
      const chunks = content instanceof Uint8Array ? [content] : content.open();
      if (!(Symbol.iterator in chunks)) {
        throw invalidInput('iso-async-content', `${piece.node.path}: asynchronous source; use writeIsoToBuffer`, { file: piece.node.path });
      }
      let seen = 0;
      for (const chunk of chunks) {
        out.set(checkChunk(chunk, piece, seen), o + seen);
        seen += chunk.length;
      }
      checkEnd(piece, seen);
      o += seen + paddingAfter(seen);
    }
  }
  return out;
}
