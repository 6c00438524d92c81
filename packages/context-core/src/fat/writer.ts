/**
 * Encodes a plan as the bytes of the volume: boot sector, two identical
 * FATs, the root directory, then every directory and file in its clusters.
 * The volume serial (BS_VolID) is a hash of the volume written with a zero
 * serial, so it changes with the content and nothing else.
 */
import { encodeBootSector } from './boot-sector.js';
import { putLe32 } from './bytes.js';
import { encodeDotEntries, encodeShortEntry } from './directory-entry.js';
import { encodeTable } from './fat-table.js';
import { ATTR, BS, DIR, FIRST_CLUSTER } from './format.js';
import { planFat, type FatPlan, type PlannedDirectory } from './layout.js';
import { encodeLongName, shortNameChecksum } from './long-name.js';
import type { FatWriteOptions } from './options.js';
import type { FatEntryInput } from './tree.js';

/** FNV-1a, 32 bits: enough to tell volumes apart, and no dependency. */
function fnv1a(bytes: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

const asciiBytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The entries of one directory from `at` (after its dot entries or label entry). */
function encodeEntries(out: Uint8Array, at: number, dir: PlannedDirectory, plan: FatPlan): void {
  let o = at;
  for (const e of dir.entries) {
    if (e.short.lfn) {
      const lfn = encodeLongName(e.node.kind === 'file' ? e.node.name : e.node.node.name, shortNameChecksum(asciiBytes(e.short.raw)));
      out.set(lfn, o);
      o += lfn.length;
    }
    encodeShortEntry(out, o, {
      raw: e.short.raw,
      attr: e.node.kind === 'directory' ? ATTR.DIRECTORY : ATTR.ARCHIVE,
      cluster: e.first,
      size: e.node.kind === 'directory' ? 0 : e.node.content.length,
      when: plan.when,
    });
    o += DIR.ENTRY_BYTES;
  }
}

function clusterOffset(plan: FatPlan, cluster: number): number {
  const g = plan.geometry;
  return (g.dataStart + (cluster - FIRST_CLUSTER) * g.sectorsPerCluster) * g.sectorBytes;
}

/** File data and subdirectories below `dir`, whose own first cluster is `self` (0 for the root, as `..` records it). */
function encodeTree(out: Uint8Array, dir: PlannedDirectory, self: number, plan: FatPlan): void {
  for (const e of dir.entries) {
    if (e.node.kind === 'file') {
      if (e.clusters > 0) out.set(e.node.content, clusterOffset(plan, e.first));
      continue;
    }
    const at = clusterOffset(plan, e.first);
    encodeDotEntries(out, at, e.first, self, plan.when);
    encodeEntries(out, at + 2 * DIR.ENTRY_BYTES, e.node, plan);
    encodeTree(out, e.node, e.first, plan);
  }
}

/** The bytes of a planned volume. */
export function encodeFatPlan(plan: FatPlan): Uint8Array {
  const g = plan.geometry;
  const out = new Uint8Array(g.totalSectors * g.sectorBytes);
  out.set(encodeBootSector(g, plan.label, 0), 0);
  const fat = encodeTable(g, plan.runs);
  for (let k = 0; k < g.numFats; k++) out.set(fat, (g.reservedSectors + k * g.fatSectors) * g.sectorBytes);
  const rootAt = (g.reservedSectors + g.numFats * g.fatSectors) * g.sectorBytes;
  let entriesAt = rootAt;
  if (plan.label !== '') {
    encodeShortEntry(out, rootAt, { raw: plan.label, attr: ATTR.VOLUME_ID, cluster: 0, size: 0, when: plan.when });
    entriesAt += DIR.ENTRY_BYTES;
  }
  encodeEntries(out, entriesAt, plan.root, plan);
  encodeTree(out, plan.root, 0, plan);
  const last = plan.runs.reduce((m, r) => Math.max(m, r.first + r.count), FIRST_CLUSTER);
  putLe32(out, BS.VOLUME_ID, fnv1a(out, Math.min(out.length, clusterOffset(plan, last))));
  return out;
}

/**
 * A FAT12 or FAT16 volume holding `tree`, as one Uint8Array. Throws
 * ContextError: invalid-input for a bad tree or options, limit when the
 * tree does not fit the size.
 */
export function writeFat(tree: readonly FatEntryInput[], options: FatWriteOptions): Uint8Array {
  return encodeFatPlan(planFat(tree, options));
}
