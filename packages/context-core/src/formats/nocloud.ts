import { stringify } from 'yaml';
import { corruptData } from '../errors.js';
import { emptyContext, type Context, type ContextFile } from '../model.js';
import { buildUserData } from '../user-data.js';
import { checkVariable } from '../variables.js';
import { checkExtraFiles, derivedInstanceId, extraFiles, keysFromText, setUserData, textOf, type ContextFiles, type DecodeOptions } from './shared.js';
import { loadYaml } from '../yaml-safe.js';

/**
 * cloud-init's NoCloud seed (formats.md section 5), volume id `cidata`:
 * `user-data` (plain), `meta-data` (YAML: instance-id, local-hostname,
 * public-keys), optional `network-config` and `vendor-data` (kept as extra
 * files). What `cloud-localds` writes.
 */

export const NOCLOUD_VOLUME_ID = 'cidata';
export const USER_DATA_FILE = 'user-data';
export const META_DATA_FILE = 'meta-data';
const OWN = new Set([USER_DATA_FILE, META_DATA_FILE]);

export function encodeNoCloud(ctx: Context): ContextFile[] {
  checkExtraFiles(ctx, OWN, 'NoCloud');
  const meta: Record<string, unknown> = { 'instance-id': ctx.instanceId ?? derivedInstanceId(ctx) };
  if (ctx.hostname !== undefined) meta['local-hostname'] = ctx.hostname;
  if (ctx.keys.length > 0) meta['public-keys'] = [...ctx.keys];
  const userData = buildUserData(ctx) ?? new Uint8Array();
  return [
    { name: META_DATA_FILE, content: new Uint8Array(Buffer.from(stringify(meta, { lineWidth: 0 }), 'utf8')) },
    { name: USER_DATA_FILE, content: userData },
    ...ctx.files,
  ];
}

/** cloud-init's normalize_pubkey_data: a string (lines), a list, or a map of strings or lists. */
function keyLines(value: unknown, file: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split('\n');
  if (Array.isArray(value)) return value.flatMap((v) => keyLines(v, file));
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>).flatMap((v) => keyLines(v, file));
  throw corruptData('bad-meta-data', `${file}: public-keys must be a string, a list or a map`, { file, key: 'public-keys' });
}

function scalar(meta: Record<string, unknown>, key: string, file: string): string | undefined {
  const v = meta[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number') return checkVariable(key, String(v), { file });
  throw corruptData('bad-meta-data', `${file}: ${key} must be a string`, { file, key });
}

export function decodeNoCloud(files: ContextFiles, options: DecodeOptions = {}): Context {
  const where = (f: string) => (options.source !== undefined ? `${options.source}/${f}` : f);
  const metaBytes = files.get(META_DATA_FILE);
  if (metaBytes === undefined) throw corruptData('not-nocloud', `no ${META_DATA_FILE} in ${options.source ?? 'the context'}`, { file: where(META_DATA_FILE) });
  const file = where(META_DATA_FILE);
  // Read as cloud-init's yaml.safe_load reads it (YAML 1.1), within yaml-safe.ts's bounds.
  let meta = loadYaml(textOf(metaBytes, file), { file, code: 'bad-meta-data' });
  if (meta === null || meta === undefined) meta = {};
  if (typeof meta !== 'object' || Array.isArray(meta)) {
    throw corruptData('bad-meta-data', `${where(META_DATA_FILE)} must be a YAML mapping`, { file: where(META_DATA_FILE) });
  }
  const m = meta as Record<string, unknown>;
  const ctx = emptyContext();
  const iid = scalar(m, 'instance-id', where(META_DATA_FILE));
  if (iid !== undefined) ctx.instanceId = iid;
  const hostname = scalar(m, 'local-hostname', where(META_DATA_FILE)) ?? scalar(m, 'hostname', where(META_DATA_FILE));
  if (hostname !== undefined) ctx.hostname = hostname;
  ctx.keys = keysFromText(keyLines(m['public-keys'], where(META_DATA_FILE)).join('\n'), `${where(META_DATA_FILE)} public-keys`);
  const userData = files.get(USER_DATA_FILE);
  if (userData !== undefined && userData.length > 0) setUserData(ctx, userData, options, where(USER_DATA_FILE));
  ctx.files = extraFiles(files, OWN);
  return ctx;
}
