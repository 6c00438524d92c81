/**
 * IEEE P1281 System Use Sharing Protocol (SUSP 1.12): the entry framing and
 * the entries that carry no file data — SP (§5.3), CE (§5.1), PD (§5.2),
 * ST (§5.4), ER (§5.5) — and a walker that follows CE continuation areas.
 *
 * Every entry: 2-byte signature, LEN (whole entry, header included), version
 * 1, then data.
 */
import { ContextError, corruptData, overLimit } from '../errors.js';
import { ByteReader, latin1, putBoth32 } from './bytes.js';
import { BLOCK_SIZE, SUSP } from './format.js';

export interface SuspEntry {
  signature: string;
  version: number;
  /** The entry's data after the 4-byte header. */
  data: ByteReader;
}

export interface Continuation {
  block: number;
  offset: number;
  length: number;
}

export function encodeEntry(signature: string, data: Uint8Array): Uint8Array {
  const length = SUSP.HEADER_LENGTH + data.length;
  if (length > 255) {
    throw new ContextError('iso-internal', 'internal', `SUSP entry ${signature} of ${length} bytes (callers split first)`);
  }
  const out = new Uint8Array(length);
  out[0] = signature.charCodeAt(0);
  out[1] = signature.charCodeAt(1);
  out[2] = length;
  out[3] = SUSP.VERSION;
  out.set(data, SUSP.HEADER_LENGTH);
  return out;
}

/** §5.3: first entry of the root `.` record; LEN_SKP 0. */
export function encodeSP(): Uint8Array {
  return encodeEntry('SP', new Uint8Array([SUSP.SP_CHECK[0], SUSP.SP_CHECK[1], 0]));
}

/** §5.1: where this area continues. The whole continuation stays inside one block (Linux requires it). */
export function encodeCE(c: Continuation): Uint8Array {
  const data = new Uint8Array(24);
  putBoth32(data, 0, c.block);
  putBoth32(data, 8, c.offset);
  putBoth32(data, 16, c.length);
  return encodeEntry('CE', data);
}

/** §5.5: declares the extension (Rock Ridge) used in this image. */
export function encodeER(id: string, descriptor: string, source: string, version: number): Uint8Array {
  const data = new Uint8Array(4 + id.length + descriptor.length + source.length);
  data.set([id.length, descriptor.length, source.length, version]);
  let o = 4;
  for (const s of [id, descriptor, source]) {
    for (let i = 0; i < s.length; i++) data[o + i] = s.charCodeAt(i);
    o += s.length;
  }
  return encodeEntry('ER', data);
}

/** The extension identifier of an ER entry. */
export function decodeERId(e: SuspEntry): string {
  const idLength = e.data.u8(0);
  return latin1(e.data.slice(4, idLength));
}

export function decodeCE(e: SuspEntry): Continuation {
  return { block: e.data.both32(0), offset: e.data.both32(8), length: e.data.both32(16) };
}

/**
 * Where the root `.` record's SP entry starts in its System Use field (at 0,
 * or after a CD-XA field) and its LEN_SKP; undefined when there is none.
 * Reads the bytes directly: a CD-XA field does not frame as SUSP entries.
 */
export function findSP(systemUse: ByteReader): { at: number; skip: number } | undefined {
  for (const at of [0, SUSP.XA_LENGTH]) {
    if (systemUse.length < at + SUSP.SP_LENGTH) break;
    const sp = systemUse.u8(at) === 0x53 && systemUse.u8(at + 1) === 0x50 && systemUse.u8(at + 2) === SUSP.SP_LENGTH;
    if (sp && systemUse.u8(at + 4) === SUSP.SP_CHECK[0] && systemUse.u8(at + 5) === SUSP.SP_CHECK[1]) {
      return { at, skip: systemUse.u8(at + 6) };
    }
  }
  return undefined;
}

/**
 * What is left of the image's budget of System Use entries
 * (IsoReadLimits.maxSuspEntries). Shared by every record: a continuation
 * area counts each time a record's chain reads it.
 */
export interface SuspBudget {
  left: number;
  readonly limit: number;
}

export function suspBudget(limit: number): SuspBudget {
  return { left: limit, limit };
}

/**
 * Splits one area into entries. Stops when fewer than 4 bytes remain (a pad
 * byte may trail), at ST, or at zero padding (`00 00 00`, which Linux also
 * takes as the end). A LEN below 4 or past the area is corrupt. Every entry
 * framed (CE, PD and ST too) is charged to `budget`.
 */
export function parseArea(r: ByteReader, budget?: SuspBudget): { entries: SuspEntry[]; next: Continuation | undefined } {
  const entries: SuspEntry[] = [];
  let next: Continuation | undefined;
  let o = 0;
  while (r.length - o >= SUSP.HEADER_LENGTH) {
    const length = r.u8(o + 2);
    if (length === 0 && r.u8(o) === 0 && r.u8(o + 1) === 0) break;
    if (length < SUSP.HEADER_LENGTH || o + length > r.length) {
      throw corruptData('iso-bad-susp', `System Use entry of length ${length} does not fit its area`, r.where(o));
    }
    if (budget !== undefined && --budget.left < 0) {
      throw overLimit('iso-work-budget', `the image makes the reader frame more than ${budget.limit} System Use entries`, r.where(o));
    }
    const entry: SuspEntry = { signature: String.fromCharCode(r.u8(o), r.u8(o + 1)), version: r.u8(o + 3), data: r.sub(o + 4, length - 4) };
    o += length;
    if (entry.signature === 'ST') break;
    if (entry.signature === 'CE' && length >= SUSP.CE_LENGTH) {
      next = decodeCE(entry);
      continue;
    }
    if (entry.signature === 'PD') continue;
    entries.push(entry);
  }
  return { entries, next };
}

/**
 * All entries of one System Use field, following CE hops. `load` returns the
 * continuation area's bytes (the caller checks the block is inside the image).
 * Each hop must stay inside one block; hops are capped and loops rejected.
 */
export async function readSystemUse(
  area: ByteReader,
  load: (c: Continuation) => Promise<ByteReader>,
  maxHops: number,
  budget: SuspBudget,
): Promise<SuspEntry[]> {
  const first = parseArea(area, budget);
  const entries = first.entries;
  let next = first.next;
  const seen = new Set<string>();
  while (next !== undefined) {
    const c: Continuation = next;
    if (seen.size >= maxHops) {
      throw overLimit('iso-ce-chain', `System Use continuation chain longer than ${maxHops} hops`, area.where(0));
    }
    if (c.length === 0) break;
    const key = `${c.block}:${c.offset}`;
    if (seen.has(key)) throw corruptData('iso-ce-loop', `continuation area at block ${c.block} loops`, area.where(0));
    seen.add(key);
    if (c.offset + c.length > BLOCK_SIZE) {
      throw corruptData(
        'iso-bad-ce',
        `continuation area (offset ${c.offset}, length ${c.length}) does not fit one block`,
        area.where(0),
      );
    }
    const more = parseArea(await load(c), budget);
    for (const e of more.entries) entries.push(e);
    next = more.next;
  }
  return entries;
}
