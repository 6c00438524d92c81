/**
 * DOS dates and times (fatgen103 §6 "Date and Time Formats"): a 16-bit date
 * (years from 1980, month, day) and a 16-bit time in two-second steps. FAT
 * stores local time with no zone; we write UTC, which Linux shows unchanged
 * when the guest's clock zone is UTC (the usual for a VM) or with `tz=UTC`.
 */
import { invalidInput } from '../errors.js';
import { DOS_EPOCH, DOS_LAST } from './format.js';

export interface DosDateTime {
  date: number;
  time: number;
}

/**
 * Seconds since the Unix epoch as a DOS date and time. Times before 1980
 * (SOURCE_DATE_EPOCH=0 is common) become 1980-01-01 00:00:00 and times
 * after 2107 its last second, as reproducible-builds advises for formats
 * with a narrow range; odd seconds round down.
 */
export function dosDateTime(seconds: number): DosDateTime {
  const t = Math.min(Math.max(seconds, DOS_EPOCH), DOS_LAST);
  const d = new Date(t * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** A DOS date and time as seconds since the Unix epoch (UTC); undefined when a field is out of range. */
export function fromDosDateTime(date: number, time: number): number | undefined {
  const year = 1980 + (date >> 9);
  const month = (date >> 5) & 0x0f;
  const day = date & 0x1f;
  const hours = time >> 11;
  const minutes = (time >> 5) & 0x3f;
  const seconds = (time & 0x1f) * 2;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 59) return undefined;
  return Date.UTC(year, month - 1, day, hours, minutes, seconds) / 1000;
}

/** The writer's `sourceDateEpoch` option: whole seconds since the epoch, or a Date. */
export function toEpochSeconds(value: number | Date): number {
  const s = value instanceof Date ? value.getTime() / 1000 : value;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 2 ** 40) {
    throw invalidInput('fat-bad-option', 'sourceDateEpoch must be seconds since the epoch (a non-negative number) or a Date', { key: 'sourceDateEpoch' });
  }
  return Math.floor(s);
}
