import { decodeCloudInitKeyValues, encodeCloudInitKeyValues, type EncodeCloudInitOptions } from '../cloud-init-kv.js';
import { corruptData } from '../errors.js';
import type { Context, ContextFile } from '../model.js';
import { checkExtraFiles, fileLabel, extraFiles, type ContextFiles, type DecodeOptions } from './shared.js';

/** The cloud-init key-value context on a disk: `cloud-init.txt`, volume id `_STRATUSLAB`. */
export const CLOUD_INIT_VOLUME_ID = '_STRATUSLAB';
export const CLOUD_INIT_TXT = 'cloud-init.txt';
const OWN = new Set([CLOUD_INIT_TXT]);

export function encodeCloudInitDisk(ctx: Context, options: EncodeCloudInitOptions = {}): ContextFile[] {
  checkExtraFiles(ctx, OWN, 'cloud-init');
  return [{ name: CLOUD_INIT_TXT, content: new Uint8Array(Buffer.from(encodeCloudInitKeyValues(ctx, options), 'utf8')) }, ...ctx.files];
}

export function decodeCloudInitDisk(files: ContextFiles, options: DecodeOptions = {}): Context {
  const file = fileLabel(CLOUD_INIT_TXT, options);
  const bytes = files.get(CLOUD_INIT_TXT);
  if (bytes === undefined) throw corruptData('not-cloud-init', `no ${CLOUD_INIT_TXT} in ${options.source ?? 'the context'}`, { file });
  const ctx = decodeCloudInitKeyValues(bytes, { ...options, file });
  ctx.files = extraFiles(files, OWN);
  return ctx;
}
