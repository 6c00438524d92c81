import type { EncodeCloudInitOptions } from '../cloud-init-kv.js';
import { invalidInput } from '../errors.js';
import type { Context, ContextFile } from '../model.js';
import { CLOUD_INIT_TXT, CLOUD_INIT_VOLUME_ID, decodeCloudInitDisk, encodeCloudInitDisk } from './cloud-init-disk.js';
import { CONFIG_DRIVE_VOLUME_ID, META_DATA_JSON, decodeConfigDrive, encodeConfigDrive } from './config-drive.js';
import { EPILOG, HEPIX_VOLUME_ID, PROLOG, decodeHepix, encodeHepix } from './hepix.js';
import { META_DATA_FILE, NOCLOUD_VOLUME_ID, decodeNoCloud, encodeNoCloud } from './nocloud.js';
import { CONTEXT_SH, OPENNEBULA_VOLUME_ID, decodeOpenNebula, encodeOpenNebula } from './opennebula.js';
import type { ContextFiles, DecodeOptions } from './shared.js';

/** Every context format, by the name the commands use. */
export const FORMAT_NAMES = ['cloud-init', 'opennebula', 'hepix', 'nocloud', 'config-drive'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface EncodeOptions extends EncodeCloudInitOptions {}

export interface ContextFormat {
  name: FormatName;
  /** What people call it. */
  title: string;
  /** The volume id its disks carry. */
  volumeId: string;
  encode(ctx: Context, options?: EncodeOptions): ContextFile[];
  decode(files: ContextFiles, options?: DecodeOptions): Context;
}

export const FORMATS: Readonly<Record<FormatName, ContextFormat>> = {
  'cloud-init': { name: 'cloud-init', title: 'cloud-init key-value context', volumeId: CLOUD_INIT_VOLUME_ID, encode: encodeCloudInitDisk, decode: decodeCloudInitDisk },
  opennebula: { name: 'opennebula', title: 'OpenNebula context', volumeId: OPENNEBULA_VOLUME_ID, encode: encodeOpenNebula, decode: decodeOpenNebula },
  hepix: { name: 'hepix', title: 'HEPiX context', volumeId: HEPIX_VOLUME_ID, encode: encodeHepix, decode: decodeHepix },
  nocloud: { name: 'nocloud', title: 'cloud-init NoCloud seed', volumeId: NOCLOUD_VOLUME_ID, encode: encodeNoCloud, decode: decodeNoCloud },
  'config-drive': { name: 'config-drive', title: 'OpenStack config drive v2', volumeId: CONFIG_DRIVE_VOLUME_ID, encode: encodeConfigDrive, decode: decodeConfigDrive },
};

export function formatByName(name: string): ContextFormat {
  // Own properties only: `toString` is not a format.
  const f = Object.hasOwn(FORMATS, name) ? FORMATS[name as FormatName] : undefined;
  if (f === undefined) throw invalidInput('unknown-format', `unknown format "${name}" (known: ${FORMAT_NAMES.join(', ')})`);
  return f;
}

/** A Map, not an object: a disk labelled `constructor` names no format. */
const BY_VOLUME_ID: ReadonlyMap<string, FormatName> = new Map([
  ['CONTEXT', 'opennebula'],
  ['HEPIX', 'hepix'],
  ['cidata', 'nocloud'],
  ['CIDATA', 'nocloud'],
  ['config-2', 'config-drive'],
  ['CONFIG-2', 'config-drive'],
  ['_STRATUSLAB', 'cloud-init'],
]);

/** The format a volume id announces, if any. */
export function formatOfVolumeId(volumeId: string): FormatName | undefined {
  return BY_VOLUME_ID.get(volumeId.trim());
}

/**
 * The format of a set of files: by the volume id when it names one, else by
 * the files present. HEPiX is told from OpenNebula by its prolog/epilog.
 */
export function detectFormat(files: ContextFiles, volumeId?: string): FormatName | undefined {
  const byId = volumeId === undefined ? undefined : formatOfVolumeId(volumeId);
  if (byId !== undefined) return byId;
  if (files.has(META_DATA_JSON)) return 'config-drive';
  if (files.has(META_DATA_FILE)) return 'nocloud';
  if (files.has(CLOUD_INIT_TXT)) return 'cloud-init';
  if (files.has(CONTEXT_SH)) return files.has(PROLOG) || files.has(EPILOG) ? 'hepix' : 'opennebula';
  return undefined;
}

/** What of `ctx` the format cannot carry, as warnings for a conversion. */
export function unrepresented(ctx: Context, format: FormatName): string[] {
  const lost: string[] = [];
  if (format === 'cloud-init') {
    if (ctx.hostname !== undefined) lost.push(`the hostname (${ctx.hostname})`);
    if (ctx.instanceId !== undefined) lost.push(`the instance id (${ctx.instanceId})`);
  }
  if (format === 'nocloud' && Object.keys(ctx.variables).length > 0) {
    lost.push(`the variables ${Object.keys(ctx.variables).sort().join(', ')}`);
  }
  return lost;
}

export type { ContextFiles, DecodeOptions } from './shared.js';
export { derivedInstanceId } from './shared.js';
export { CLOUD_INIT_TXT, CLOUD_INIT_VOLUME_ID, decodeCloudInitDisk, encodeCloudInitDisk } from './cloud-init-disk.js';
export { CONFIG_DRIVE_VOLUME_ID, META_DATA_JSON, USER_DATA_PATH, decodeConfigDrive, encodeConfigDrive } from './config-drive.js';
export { EPILOG, HEPIX_FIELD_VARIABLES, HEPIX_STUB, HEPIX_VOLUME_ID, PROLOG, ROOT_PUBKEY_FILE, decodeHepix, encodeHepix } from './hepix.js';
export { META_DATA_FILE, NOCLOUD_VOLUME_ID, USER_DATA_FILE, decodeNoCloud, encodeNoCloud } from './nocloud.js';
export { CONTEXT_SH, OPENNEBULA_FIELD_VARIABLES, OPENNEBULA_VOLUME_ID, decodeOpenNebula, encodeOpenNebula, openNebulaVariables } from './opennebula.js';
