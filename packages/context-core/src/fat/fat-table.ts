/**
 * The file allocation table (fatgen103 §4): 12- or 16-bit entries, one per
 * cluster, each naming the next cluster of its chain or ending it. Entry 0
 * holds the media byte, entry 1 the end-of-chain mark. The writer lays
 * every chain out contiguously; the reader follows chains with a bitmap of
 * the clusters already claimed, so a loop or two chains sharing a cluster
 * cannot make it read forever or twice.
 */
import { corruptData } from '../errors.js';
import { putLe16 } from './bytes.js';
import { BAD_CLUSTER, EOC, EOC_MIN, FIRST_CLUSTER, MEDIA_FIXED, type FatType } from './format.js';
import type { FatGeometry } from './boot-sector.js';

export function setEntry(fat: Uint8Array, type: FatType, cluster: number, value: number): void {
  if (type === 'fat16') {
    putLe16(fat, cluster * 2, value);
    return;
  }
  const at = cluster + (cluster >> 1);
  if (cluster & 1) {
    fat[at] = (fat[at]! & 0x0f) | ((value & 0x0f) << 4);
    fat[at + 1] = (value >> 4) & 0xff;
  } else {
    fat[at] = value & 0xff;
    fat[at + 1] = (fat[at + 1]! & 0xf0) | ((value >> 8) & 0x0f);
  }
}

export function getEntry(fat: Uint8Array, type: FatType, cluster: number): number {
  if (type === 'fat16') return fat[cluster * 2]! | (fat[cluster * 2 + 1]! << 8);
  const at = cluster + (cluster >> 1);
  const v = fat[at]! | (fat[at + 1]! << 8);
  return cluster & 1 ? v >> 4 : v & 0x0fff;
}

/** One FAT (`fatSectors` long) mapping the runs [first, first + count) as chains. */
export function encodeTable(g: FatGeometry, runs: readonly { first: number; count: number }[]): Uint8Array {
  const fat = new Uint8Array(g.fatSectors * g.sectorBytes);
  const eoc = EOC[g.type];
  setEntry(fat, g.type, 0, (eoc & ~0xff) | MEDIA_FIXED);
  setEntry(fat, g.type, 1, eoc);
  for (const { first, count } of runs) {
    for (let k = 0; k < count; k++) setEntry(fat, g.type, first + k, k === count - 1 ? eoc : first + k + 1);
  }
  return fat;
}

/** Clusters claimed so far, over the whole volume. */
export class ClusterClaims {
  private readonly owner: Uint8Array;

  constructor(
    private readonly fat: Uint8Array,
    private readonly g: FatGeometry,
    private readonly where: (cluster: number) => { offset: number; file?: string },
  ) {
    this.owner = new Uint8Array(g.clusters + FIRST_CLUSTER);
  }

  /**
   * The chain starting at `first`, each cluster checked to be a data
   * cluster, in use and not yet claimed (fat-chain-loop when it repeats
   * within the chain, fat-cross-linked when another chain has it). As no
   * cluster is claimed twice, all chains together are at most the volume's
   * cluster count long.
   */
  chain(first: number, what: string): number[] {
    const out: number[] = [];
    const last = this.g.clusters + FIRST_CLUSTER - 1;
    const eocMin = EOC_MIN[this.g.type];
    let c = first;
    for (;;) {
      if (c < FIRST_CLUSTER || c > last) {
        throw corruptData('fat-bad-chain', `${what}: cluster ${c} is not a data cluster (2..${last})`, this.where(first));
      }
      if (this.owner[c] === 2) throw corruptData('fat-chain-loop', `${what}: the chain returns to cluster ${c}`, this.where(c));
      if (this.owner[c] === 1) throw corruptData('fat-cross-linked', `${what}: cluster ${c} belongs to another chain`, this.where(c));
      this.owner[c] = 2;
      out.push(c);
      const next = getEntry(this.fat, this.g.type, c);
      if (next >= eocMin) break;
      if (next === 0 || next === BAD_CLUSTER[this.g.type]) {
        throw corruptData('fat-bad-chain', `${what}: cluster ${c} leads to a ${next === 0 ? 'free' : 'bad'} cluster`, this.where(c));
      }
      c = next;
    }
    for (const k of out) this.owner[k] = 1;
    return out;
  }
}
