/**
 * The pure layout step: short names and long-name slots of every
 * directory, the volume's size and geometry, and the clusters of every
 * directory and file, planned before the writer emits a byte. Clusters
 * are given depth first in the tree's order (an entry, and right after a
 * subdirectory its contents), every chain contiguous.
 */
import { overLimit } from '../errors.js';
import { planGeometry, type FatGeometry } from './boot-sector.js';
import { dosDateTime, type DosDateTime } from './dates.js';
import { DIR, FAT_WRITE_LIMITS, FIRST_CLUSTER, SECTOR_BYTES } from './format.js';
import { lfnEntryCount } from './long-name.js';
import { resolveFatOptions, type FatWriteOptions } from './options.js';
import { assignShortNames, type ShortName } from './short-name.js';
import { normaliseFatTree, type FatDirNode, type FatEntryInput, type FatFileNode } from './tree.js';

export interface PlannedEntry {
  node: FatFileNode | PlannedDirectory;
  short: ShortName;
  /** 32-byte slots: the LFN entries and the short entry. */
  slots: number;
  /** First cluster; 0 for an empty file. */
  first: number;
  clusters: number;
}

export interface PlannedDirectory {
  kind: 'directory';
  node: FatDirNode;
  entries: PlannedEntry[];
  /** Slots the directory needs, its dot entries (or the root's label entry) included. */
  slots: number;
}

export interface FatPlan {
  geometry: FatGeometry;
  label: string;
  when: DosDateTime;
  root: PlannedDirectory;
  /** Every chain, for the FAT: contiguous runs of clusters. */
  runs: { first: number; count: number }[];
}

function planDirectory(node: FatDirNode, isRoot: boolean, hasLabel: boolean): PlannedDirectory {
  const shorts = assignShortNames(node.children.map((c) => c.name));
  const entries = node.children.map((c, i): PlannedEntry => {
    const short = shorts[i]!;
    const slots = 1 + (short.lfn ? lfnEntryCount(c.name) : 0);
    return { node: c.kind === 'file' ? c : planDirectory(c, false, false), short, slots, first: 0, clusters: 0 };
  });
  const slots = entries.reduce((n, e) => n + e.slots, isRoot ? (hasLabel ? 1 : 0) : 2);
  if (slots > FAT_WRITE_LIMITS.MAX_DIR_SLOTS) {
    throw overLimit('fat-directory-too-large', `${node.path || '/'} needs ${slots} directory slots, over ${FAT_WRITE_LIMITS.MAX_DIR_SLOTS}`, { file: node.path });
  }
  return { kind: 'directory', node, entries, slots };
}

/** Clusters of the whole tree below the root for clusters of `clusterBytes`. */
function clustersNeeded(dir: PlannedDirectory, clusterBytes: number, isRoot: boolean): number {
  let n = isRoot ? 0 : Math.ceil((dir.slots * DIR.ENTRY_BYTES) / clusterBytes);
  for (const e of dir.entries) {
    n += e.node.kind === 'file' ? Math.ceil(e.node.content.length / clusterBytes) : clustersNeeded(e.node, clusterBytes, false);
  }
  return n;
}

function assignClusters(dir: PlannedDirectory, g: FatGeometry, next: { cluster: number }, runs: FatPlan['runs']): void {
  for (const e of dir.entries) {
    const bytes = e.node.kind === 'file' ? e.node.content.length : e.node.slots * DIR.ENTRY_BYTES;
    e.clusters = Math.ceil(bytes / g.clusterBytes);
    e.first = e.clusters === 0 ? 0 : next.cluster;
    next.cluster += e.clusters;
    if (e.clusters > 0) runs.push({ first: e.first, count: e.clusters });
    if (e.node.kind === 'directory') assignClusters(e.node, g, next, runs);
  }
}

/** The geometry for the tree: at the size given, or the smallest multiple of 64 KiB that fits. */
function chooseGeometry(root: PlannedDirectory, rootEntries: number, sizeBytes: number | undefined): FatGeometry {
  const step = FAT_WRITE_LIMITS.DEFAULT_SIZE_STEP;
  let size = sizeBytes ?? FAT_WRITE_LIMITS.MIN_VOLUME_BYTES;
  for (;;) {
    const g = planGeometry(size / SECTOR_BYTES, rootEntries);
    const need = clustersNeeded(root, g?.clusterBytes ?? 4 * SECTOR_BYTES, true);
    if (g !== undefined && g.clusters >= need) return g;
    if (sizeBytes !== undefined) {
      const has = g === undefined ? 'cannot hold the FAT metadata' : `has ${g.clusters} clusters of ${g.clusterBytes} bytes, the tree needs ${need}`;
      throw overLimit('fat-no-space', `a ${size}-byte volume ${has}`, { key: 'sizeBytes' });
    }
    // Metadata (a FAT16 FAT as the upper bound) plus the data at this cluster size, then round to the step.
    const spc = (g?.clusterBytes ?? 4 * SECTOR_BYTES) / SECTOR_BYTES;
    const sectors = 1 + Math.ceil((rootEntries * DIR.ENTRY_BYTES) / SECTOR_BYTES) + 2 * Math.ceil(((need + 2) * 2) / SECTOR_BYTES) + need * spc;
    const next = Math.max(size + step, Math.ceil((sectors * SECTOR_BYTES) / step) * step);
    if (next > FAT_WRITE_LIMITS.MAX_VOLUME_BYTES) {
      throw overLimit('fat-no-space', `the tree needs more than the ${FAT_WRITE_LIMITS.MAX_VOLUME_BYTES}-byte maximum of a FAT16 volume we write`, { key: 'sizeBytes' });
    }
    size = next;
  }
}

/** Plans the volume; throws invalid-input for a bad tree or options, limit when it does not fit. */
export function planFat(tree: readonly FatEntryInput[], options: FatWriteOptions): FatPlan {
  const o = resolveFatOptions(options);
  const root = planDirectory(normaliseFatTree(tree), true, o.label !== '');
  if (root.slots > FAT_WRITE_LIMITS.MAX_ROOT_ENTRIES) {
    throw overLimit('fat-directory-too-large', `the root needs ${root.slots} slots, over ${FAT_WRITE_LIMITS.MAX_ROOT_ENTRIES}`, { file: '/' });
  }
  const rootEntries = Math.max(FAT_WRITE_LIMITS.ROOT_ENTRIES, Math.ceil(root.slots / 16) * 16);
  const geometry = chooseGeometry(root, rootEntries, o.sizeBytes);
  const runs: FatPlan['runs'] = [];
  assignClusters(root, geometry, { cluster: FIRST_CLUSTER }, runs);
  return { geometry, label: o.label, when: dosDateTime(o.timestamp), root, runs };
}
