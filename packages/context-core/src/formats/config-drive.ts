import { corruptData } from '../errors.js';
import { parseInputJson } from '../json.js';
import { emptyContext, type Context, type ContextFile } from '../model.js';
import { buildUserData } from '../user-data.js';
import { checkVariable } from '../variables.js';
import { checkExtraFiles, derivedInstanceId, extraFiles, keysFromText, setUserData, textOf, type ContextFiles, type DecodeOptions } from './shared.js';

/**
 * OpenStack config drive v2 (formats.md section 6), volume id `config-2`:
 * `openstack/latest/meta_data.json` (uuid, hostname, name, public_keys as a
 * name-to-key map, meta for the context's variables) and
 * `openstack/latest/user_data`.
 */

export const CONFIG_DRIVE_VOLUME_ID = 'config-2';
export const META_DATA_JSON = 'openstack/latest/meta_data.json';
export const USER_DATA_PATH = 'openstack/latest/user_data';
const OWN = new Set([META_DATA_JSON, USER_DATA_PATH]);

export function encodeConfigDrive(ctx: Context): ContextFile[] {
  checkExtraFiles(ctx, OWN, 'config-drive');
  const meta: Record<string, unknown> = { uuid: ctx.instanceId ?? derivedInstanceId(ctx) };
  if (ctx.hostname !== undefined) {
    meta['hostname'] = ctx.hostname;
    meta['name'] = ctx.hostname;
  }
  if (ctx.keys.length > 0) meta['public_keys'] = Object.fromEntries(ctx.keys.map((k, i) => [`key-${i}`, k]));
  if (Object.keys(ctx.variables).length > 0) meta['meta'] = { ...ctx.variables };
  const files: ContextFile[] = [{ name: META_DATA_JSON, content: new Uint8Array(Buffer.from(`${JSON.stringify(meta, null, 2)}\n`, 'utf8')) }];
  const userData = buildUserData(ctx);
  if (userData !== undefined) files.push({ name: USER_DATA_PATH, content: userData });
  return [...files, ...ctx.files];
}

export function decodeConfigDrive(files: ContextFiles, options: DecodeOptions = {}): Context {
  const file = options.source !== undefined ? `${options.source}/${META_DATA_JSON}` : META_DATA_JSON;
  const bytes = files.get(META_DATA_JSON);
  if (bytes === undefined) throw corruptData('not-config-drive', `no ${META_DATA_JSON} in ${options.source ?? 'the context'}`, { file });
  const meta = parseInputJson(textOf(bytes, file), file, 'bad-meta-data');
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw corruptData('bad-meta-data', `${file} must hold a JSON object`, { file });
  const m = meta as Record<string, unknown>;
  const ctx = emptyContext();
  const str = (key: string): string | undefined => {
    const v = m[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw corruptData('bad-meta-data', `${file}: ${key} must be a string`, { file, key });
    return checkVariable(key, v, { file });
  };
  const uuid = str('uuid');
  if (uuid !== undefined) ctx.instanceId = uuid;
  const hostname = str('hostname') ?? str('name');
  if (hostname !== undefined) ctx.hostname = hostname;
  const keys = m['public_keys'];
  if (keys !== undefined && keys !== null) {
    if (typeof keys !== 'object' || Array.isArray(keys) || Object.values(keys).some((k) => typeof k !== 'string')) {
      throw corruptData('bad-meta-data', `${file}: public_keys must map names to keys`, { file, key: 'public_keys' });
    }
    ctx.keys = keysFromText(Object.values(keys as Record<string, string>).join('\n'), `${file} public_keys`);
  }
  const vars = m['meta'];
  if (vars !== undefined && vars !== null) {
    if (typeof vars !== 'object' || Array.isArray(vars)) throw corruptData('bad-meta-data', `${file}: meta must be an object`, { file, key: 'meta' });
    for (const [k, v] of Object.entries(vars)) ctx.variables[k] = checkVariable(k, typeof v === 'string' ? v : JSON.stringify(v), { file });
  }
  const userData = files.get(USER_DATA_PATH);
  if (userData !== undefined && userData.length > 0) setUserData(ctx, userData, options, USER_DATA_PATH);
  ctx.files = extraFiles(files, OWN);
  return ctx;
}
