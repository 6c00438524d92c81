import { nodeCrypto } from '../builtins.js';
import { decodeBase64, encodeBase64 } from '../encoding.js';
import { ContextError, corruptData } from '../errors.js';
import type { Context, ContextFile } from '../model.js';
import { dedupeKeys, formatPublicKey, parsePublicKeyFile } from '../ssh-keys.js';
import { buildUserData, decompressUserData, parseUserData, type DecompressOptions } from '../user-data.js';

/** The files of a context disk or directory, by `/`-separated path. */
export type ContextFiles = ReadonlyMap<string, Uint8Array>;

export interface DecodeOptions extends DecompressOptions {
  /** Where the files came from, for messages. */
  source?: string;
  /** For the one-file formats (cloud-init.txt, context.sh) read alone: that file's name, for messages. */
  file?: string;
}

/** The name of one of the context's files in messages: `file` for a lone file, else `source/name`. */
export function fileLabel(name: string, options: DecodeOptions): string {
  return options.file ?? (options.source !== undefined ? `${options.source}/${name}` : name);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file of the context as UTF-8 text; `corrupt-data` when it is not. */
export function textOf(bytes: Uint8Array, file: string): string {
  try {
    return utf8.decode(bytes);
  } catch (e) {
    throw corruptData('bad-encoding', `${file} is not UTF-8 text`, { file }, e);
  }
}

/** Keys from a text of key lines (as context variables carry them); a bad line is corrupt data. */
export function keysFromText(text: string, where: string): string[] {
  try {
    return dedupeKeys(parsePublicKeyFile(text, where).map(formatPublicKey));
  } catch (e) {
    if (e instanceof ContextError) throw corruptData('bad-public-key', e.message, { ...e.input, file: where }, e);
    throw e;
  }
}

/** Sets the user data of `ctx` from decoded bytes (gunzipped when gzipped, MIME split into parts). */
export function setUserData(ctx: Context, raw: Uint8Array, options: DecodeOptions, file: string): void {
  const parsed = parseUserData(decompressUserData(raw, options, { file }));
  ctx.parts = parsed.parts;
  if (parsed.userData !== undefined) ctx.userData = parsed.userData;
  else delete ctx.userData;
}

/** The user data as base64 (not gzipped), as OpenNebula and HEPiX carry it. */
export function userDataBase64(ctx: Context): string | undefined {
  const raw = buildUserData(ctx);
  return raw === undefined ? undefined : encodeBase64(raw);
}

export function userDataFromBase64(ctx: Context, value: string, options: DecodeOptions, file: string, key: string): void {
  setUserData(ctx, decodeBase64(value, { file, key }), options, file);
}

/**
 * A stable instance id for formats that need one and a context that has
 * none: a hash of what the context holds, so the same context gets the same
 * id and a changed one a new id.
 */
export function derivedInstanceId(ctx: Context): string {
  const h = nodeCrypto().createHash('sha256');
  const add = (s: string | Uint8Array) => h.update(typeof s === 'string' ? Buffer.from(s, 'utf8') : s).update('\0');
  for (const k of ctx.keys) add(k);
  const raw = buildUserData(ctx);
  if (raw !== undefined) add(raw);
  for (const k of Object.keys(ctx.variables).sort()) add(`${k}=${ctx.variables[k]}`);
  add(ctx.hostname ?? '');
  for (const f of ctx.files) {
    add(f.name);
    add(f.content);
  }
  return `iid-${h.digest('hex').slice(0, 16)}`;
}

/** Files that are not part of the format's own set go to `ctx.files`, sorted by path. */
export function extraFiles(files: ContextFiles, own: ReadonlySet<string>): ContextFile[] {
  return [...files.entries()]
    .filter(([name]) => !own.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, content]) => ({ name, content }));
}

/** Refuses extra files that would replace the format's own. */
export function checkExtraFiles(ctx: Context, own: ReadonlySet<string>, format: string): void {
  for (const f of ctx.files) {
    if (own.has(f.name)) {
      throw new ContextError('file-clash', 'invalid-input', `extra file ${f.name} would replace the ${format} file of the same name`, { file: f.name });
    }
  }
}
