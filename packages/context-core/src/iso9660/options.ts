/**
 * Writer options: everything that would otherwise come from the host (clock,
 * host name, tool version) is an input here, so the same tree and options give
 * the same bytes.
 */
import { invalidInput } from '../errors.js';
import { toSeconds } from './dates.js';
import { DEFAULT_APPLICATION_ID, DEFAULT_DIR_MODE, DEFAULT_PAD_BLOCKS, DEFAULT_TIMESTAMP, VD } from './format.js';
import type { IsoLevel } from './names.js';

export interface IsoWriteOptions {
  /**
   * Volume id, written verbatim as genisoimage and xorriso do (`cidata`,
   * `config-2`, `CONTEXT`, `_STRATUSLAB`): printable ASCII, 1-32 bytes. The
   * Joliet descriptor gets its first 16 characters.
   */
  volumeId: string;
  /**
   * Every date in the image (descriptors, records, Rock Ridge TF): a Date or
   * whole seconds since the epoch, 1900-2155. Pass SOURCE_DATE_EPOCH here.
   * Default: DEFAULT_TIMESTAMP (0, the epoch).
   */
  timestamp?: number | Date;
  /** ISO 9660 interchange level of the plain names: 1 (8.3, default, as both tools) or 2 (30 characters). */
  isoLevel?: IsoLevel;
  /** Write a Joliet tree (default true). */
  joliet?: boolean;
  /** Write Rock Ridge entries (default true). */
  rockRidge?: boolean;
  /** Order of file data: `path` (full path order, as xorriso; default) or `input` (the tree's own order, depth first). */
  dataOrder?: 'path' | 'input';
  /** Zero blocks appended after the data; default DEFAULT_PAD_BLOCKS (150, genisoimage's `-pad`), 0 for none. */
  padBlocks?: number;
  /** Permission bits of the root directory (default 0o755). */
  rootMode?: number;
  systemId?: string;
  volumeSetId?: string;
  publisherId?: string;
  preparerId?: string;
  /** Default `STRATUS-CONTEXT`. */
  applicationId?: string;
}

export interface ResolvedOptions {
  volumeId: string;
  timestamp: number;
  isoLevel: IsoLevel;
  joliet: boolean;
  rockRidge: boolean;
  dataOrder: 'path' | 'input';
  padBlocks: number;
  rootMode: number;
  systemId: string;
  volumeSetId: string;
  publisherId: string;
  preparerId: string;
  applicationId: string;
}

function text(value: unknown, fallback: string, max: number, field: string, required = false): string {
  if (value === undefined && !required) return fallback;
  if (typeof value !== 'string' || !/^[\x20-\x7e]*$/u.test(value) || value.length > max || (required && value === '')) {
    throw invalidInput('iso-bad-option', `${field} must be printable ASCII of ${required ? 1 : 0}-${max} characters`, { key: field });
  }
  return value;
}

function oneOf<T>(value: unknown, allowed: readonly T[], fallback: T, field: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw invalidInput('iso-bad-option', `${field} must be one of ${allowed.map(String).join(', ')}`, { key: field });
  }
  return value as T;
}

export function resolveOptions(o: IsoWriteOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw invalidInput('iso-bad-option', 'options must be an object', { key: 'options' });
  const padBlocks = o.padBlocks ?? DEFAULT_PAD_BLOCKS;
  if (!Number.isInteger(padBlocks) || padBlocks < 0 || padBlocks > 1_000_000) {
    throw invalidInput('iso-bad-option', 'padBlocks must be a whole number of blocks, 0-1000000', { key: 'padBlocks' });
  }
  return {
    volumeId: text(o.volumeId, '', VD.VOLUME_ID_LEN, 'volumeId', true),
    timestamp: toSeconds(o.timestamp ?? DEFAULT_TIMESTAMP),
    isoLevel: oneOf(o.isoLevel, [1, 2] as const, 1, 'isoLevel'),
    joliet: oneOf(o.joliet, [true, false], true, 'joliet'),
    rockRidge: oneOf(o.rockRidge, [true, false], true, 'rockRidge'),
    dataOrder: oneOf(o.dataOrder, ['path', 'input'] as const, 'path', 'dataOrder'),
    padBlocks,
    rootMode: o.rootMode ?? DEFAULT_DIR_MODE,
    systemId: text(o.systemId, '', VD.SYSTEM_ID_LEN, 'systemId'),
    volumeSetId: text(o.volumeSetId, '', VD.LONG_ID_LEN, 'volumeSetId'),
    publisherId: text(o.publisherId, '', VD.LONG_ID_LEN, 'publisherId'),
    preparerId: text(o.preparerId, '', VD.LONG_ID_LEN, 'preparerId'),
    applicationId: text(o.applicationId, DEFAULT_APPLICATION_ID, VD.LONG_ID_LEN, 'applicationId'),
  };
}
