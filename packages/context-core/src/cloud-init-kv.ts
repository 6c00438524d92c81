import { decodeBase64, encodeBase64 } from './encoding.js';
import { ContextError, corruptData } from './errors.js';
import { formatKeyValue, parseKeyValues } from './key-values.js';
import { emptyContext, type Context } from './model.js';
import { shownName } from './variables.js';
import { dedupeKeys, formatAuthorizedKeys, formatPublicKey, parsePublicKeyFile } from './ssh-keys.js';
import { buildUserData, compressUserData, decompressUserData, parseUserData, type CompressOptions, type DecompressOptions } from './user-data.js';

/**
 * The cloud-init key-value context, `cloud-init.txt` (formats.md section 2):
 *
 *     CONTEXT_METHOD=cloud-init
 *     CLOUD_INIT_AUTHORIZED_KEYS=<base64 of the keys, one a line>
 *     CLOUD_INIT_USER_DATA=<base64 of the gzipped user data>
 *
 * Other variables of the context follow, sorted.
 */

export const CONTEXT_METHOD = 'CONTEXT_METHOD';
export const AUTHORIZED_KEYS = 'CLOUD_INIT_AUTHORIZED_KEYS';
export const USER_DATA = 'CLOUD_INIT_USER_DATA';
const RESERVED = new Set([CONTEXT_METHOD, AUTHORIZED_KEYS, USER_DATA]);

export interface EncodeCloudInitOptions extends CompressOptions {}

export function encodeCloudInitKeyValues(ctx: Context, options: EncodeCloudInitOptions = {}): string {
  const lines = [`${CONTEXT_METHOD}=cloud-init`];
  if (ctx.keys.length > 0) {
    lines.push(`${AUTHORIZED_KEYS}=${encodeBase64(Buffer.from(formatAuthorizedKeys(dedupeKeys(ctx.keys)), 'utf8'))}`);
  }
  const userData = buildUserData(ctx);
  if (userData !== undefined) lines.push(`${USER_DATA}=${encodeBase64(compressUserData(userData, options))}`);
  for (const key of Object.keys(ctx.variables).sort()) {
    if (RESERVED.has(key)) continue;
    lines.push(formatKeyValue(key, ctx.variables[key] as string));
  }
  return `${lines.join('\n')}\n`;
}

export interface DecodeCloudInitOptions extends DecompressOptions {
  /** The file name, for messages. */
  file?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes `cloud-init.txt` (text or bytes) back into the model. */
export function decodeCloudInitKeyValues(input: string | Uint8Array, options: DecodeCloudInitOptions = {}): Context {
  const { file } = options;
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = utf8.decode(input);
    } catch (e) {
      throw corruptData('bad-encoding', `${file ?? 'context'} is not UTF-8 text`, { file }, e);
    }
  }
  const values = new Map<string, { value: string; line: number }>();
  for (const e of parseKeyValues(text, file)) values.set(e.key, e);

  const method = values.get(CONTEXT_METHOD);
  if (method !== undefined && method.value !== 'cloud-init') {
    throw corruptData('bad-context-method', `${file ?? 'context'} line ${method.line}: CONTEXT_METHOD is ${shownName(method.value)}, expected "cloud-init"`, {
      file,
      line: method.line,
      key: CONTEXT_METHOD,
    });
  }
  if (method === undefined && !values.has(AUTHORIZED_KEYS) && !values.has(USER_DATA)) {
    throw corruptData('not-cloud-init', `${file ?? 'context'} is not a cloud-init context: no CONTEXT_METHOD, ${AUTHORIZED_KEYS} or ${USER_DATA}`, { file });
  }

  const ctx = emptyContext();
  const keys = values.get(AUTHORIZED_KEYS);
  if (keys !== undefined) {
    const where = { file, line: keys.line, key: AUTHORIZED_KEYS };
    const bytes = decodeBase64(keys.value, where);
    let keyText: string;
    try {
      keyText = utf8.decode(bytes);
      ctx.keys = dedupeKeys(parsePublicKeyFile(keyText, AUTHORIZED_KEYS).map(formatPublicKey));
    } catch (e) {
      const why = e instanceof ContextError ? e.message : 'not UTF-8 text';
      throw corruptData('bad-authorized-keys', `${file ?? 'context'} line ${keys.line}: ${why}`, where, e);
    }
  }
  const userData = values.get(USER_DATA);
  if (userData !== undefined) {
    const where = { file, line: userData.line, key: USER_DATA };
    const raw = decompressUserData(decodeBase64(userData.value, where), options, where);
    Object.assign(ctx, parseUserData(raw));
  }
  for (const [key, { value }] of values) {
    if (!RESERVED.has(key)) ctx.variables[key] = value;
  }
  return ctx;
}
