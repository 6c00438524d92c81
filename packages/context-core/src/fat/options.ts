/**
 * Writer options: the label, the size, and the one date every entry gets.
 * Nothing comes from the host, so the same tree and options give the same
 * bytes.
 */
import { invalidInput } from '../errors.js';
import { toEpochSeconds } from './dates.js';
import { DEFAULT_FAT_TIMESTAMP, FAT_WRITE_LIMITS, SECTOR_BYTES } from './format.js';

export interface FatWriteOptions {
  /**
   * Written to BS_VolLab and as the root's volume-label entry, verbatim as
   * mkfs.fat -n does (`_CLOUD_INIT`, `cidata`, `config-2`): 0-11 printable
   * ASCII characters, none of `"*+,./:;<=>?[\]|`, no leading or trailing
   * space. Lower case is kept (blkid reports it so; mkfs.fat warns that
   * DOS would not). '' writes `NO NAME` and no label entry.
   */
  volumeLabel: string;
  /**
   * The volume's size in bytes, a multiple of 512 from 64 KiB to 2 GiB
   * (StratusLab made 1,024,000). Default: the smallest multiple of 64 KiB
   * that holds the tree.
   */
  sizeBytes?: number;
  /** Every entry's date: seconds since the epoch or a Date; pass SOURCE_DATE_EPOCH here. Default 1980-01-01. */
  sourceDateEpoch?: number | Date;
}

export interface ResolvedFatOptions {
  label: string;
  sizeBytes: number | undefined;
  timestamp: number;
}

/** mkfs.fat 4.2 refuses these in a label, and DOS cannot type them. */
const BAD_LABEL = /[^\x20-\x7e]|["*+,./:;<=>?[\\\]|]|^ | $/u;

export function resolveFatOptions(o: FatWriteOptions): ResolvedFatOptions {
  if (o === null || typeof o !== 'object') throw invalidInput('fat-bad-option', 'options must be an object', { key: 'options' });
  const label = o.volumeLabel;
  if (typeof label !== 'string' || label.length > 11 || BAD_LABEL.test(label)) {
    throw invalidInput('fat-bad-option', 'volumeLabel must be 0-11 printable ASCII characters, none of "*+,./:;<=>?[\\]|, no edge spaces', { key: 'volumeLabel' });
  }
  const size = o.sizeBytes;
  if (size !== undefined && (!Number.isSafeInteger(size) || size % SECTOR_BYTES !== 0 || size < FAT_WRITE_LIMITS.MIN_VOLUME_BYTES || size > FAT_WRITE_LIMITS.MAX_VOLUME_BYTES)) {
    throw invalidInput('fat-bad-option', 'sizeBytes must be a multiple of 512 from 64 KiB to 2 GiB', { key: 'sizeBytes' });
  }
  return { label, sizeBytes: size, timestamp: toEpochSeconds(o.sourceDateEpoch ?? DEFAULT_FAT_TIMESTAMP) };
}
