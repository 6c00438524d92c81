/**
 * VFAT long names: up to 20 entries of 13 UTF-16 units each, in reverse
 * order before the short entry they name, each carrying the checksum of
 * that short name. The reader assembles them as Linux does
 * (fs/fat/dir.c, fat_parse_long): a run that is out of sequence, has a
 * different checksum or does not match the short entry that follows is
 * dropped, and the short name is shown instead.
 */
import { putLe16 } from './bytes.js';
import type { FatBytes } from './bytes.js';
import { ATTR, DIR, LFN } from './format.js';

/** The checksum of an 11-byte short name that every LFN entry of it carries. */
export function shortNameChecksum(raw: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + raw[i]!) & 0xff;
  return sum;
}

/** Where each of an entry's 13 units sits. */
const UNIT_OFFSETS: readonly number[] = [
  ...Array.from({ length: LFN.NAME1_UNITS }, (_, i) => LFN.NAME1 + 2 * i),
  ...Array.from({ length: LFN.NAME2_UNITS }, (_, i) => LFN.NAME2 + 2 * i),
  ...Array.from({ length: LFN.NAME3_UNITS }, (_, i) => LFN.NAME3 + 2 * i),
];

export const lfnEntryCount = (name: string) => Math.ceil(name.length / LFN.UNITS_PER_ENTRY);

/** The LFN entries of `name`, in on-disk order (the last piece first). After the name: one 0x0000, then 0xFFFF. */
export function encodeLongName(name: string, checksum: number): Uint8Array {
  const n = lfnEntryCount(name);
  const out = new Uint8Array(n * DIR.ENTRY_BYTES);
  for (let k = 0; k < n; k++) {
    const seq = n - k;
    const e = k * DIR.ENTRY_BYTES;
    out[e + LFN.ORD] = seq | (k === 0 ? LFN.LAST : 0);
    out[e + LFN.ATTR] = ATTR.LONG_NAME;
    out[e + LFN.CHECKSUM] = checksum;
    for (let u = 0; u < LFN.UNITS_PER_ENTRY; u++) {
      const i = (seq - 1) * LFN.UNITS_PER_ENTRY + u;
      putLe16(out, e + UNIT_OFFSETS[u]!, i < name.length ? name.charCodeAt(i) : i === name.length ? 0 : 0xffff);
    }
  }
  return out;
}

/** A long name being assembled from the entries read so far. */
export class LongNameRun {
  private units: number[] | undefined;
  private expected = 0;
  private checksum = 0;

  /** Feeds one LFN entry at `offset` of `dir`. */
  add(dir: FatBytes, offset: number): void {
    const ord = dir.u8(offset + LFN.ORD);
    const seq = ord & LFN.ORD_MASK;
    if (ord & LFN.LAST) {
      if (seq < 1 || seq > LFN.MAX_ENTRIES) {
        this.reset();
        return;
      }
      this.units = new Array<number>(seq * LFN.UNITS_PER_ENTRY).fill(0xffff);
      this.checksum = dir.u8(offset + LFN.CHECKSUM);
    } else if (this.units === undefined || seq !== this.expected || dir.u8(offset + LFN.CHECKSUM) !== this.checksum) {
      this.reset();
      return;
    }
    for (let u = 0; u < LFN.UNITS_PER_ENTRY; u++) this.units[(seq - 1) * LFN.UNITS_PER_ENTRY + u] = dir.le16(offset + UNIT_OFFSETS[u]!);
    this.expected = seq - 1;
  }

  reset(): void {
    this.units = undefined;
    this.expected = 0;
  }

  /**
   * The assembled name if the run is complete and belongs to the short
   * name `raw`; undefined otherwise (the caller shows the short name). The
   * run is reset either way.
   */
  take(raw: Uint8Array): string | undefined {
    const units = this.units;
    const complete = units !== undefined && this.expected === 0 && this.checksum === shortNameChecksum(raw);
    this.reset();
    if (!complete) return undefined;
    const end = units.indexOf(0);
    const used = end < 0 ? units : units.slice(0, end);
    // Units after the terminator are 0xFFFF; a name may not be padding itself.
    while (used.length > 0 && used[used.length - 1] === 0xffff) used.pop();
    if (used.length === 0 || used.length > LFN.MAX_UNITS) return undefined;
    return String.fromCharCode(...used);
  }
}
