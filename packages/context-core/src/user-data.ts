import { DEFAULT_MAX_DECODED_BYTES, gunzipCapped, gzipDeterministic, isGzip } from './encoding.js';
import { overLimit, type ContextErrorInput } from './errors.js';
import type { Context, UserDataPart } from './model.js';
import { buildMultipart, isMimeUserData, parseMultipart, type BuildMultipartOptions } from './multipart.js';

/** The gzipped user-data limit of the original tool and of EC2. */
export const DEFAULT_MAX_USER_DATA_BYTES = 16384;

/**
 * The user data a context carries, as the guest sees it once decoded: the
 * literal `none` data, or a multipart message of the parts; undefined when
 * there is none.
 */
export function buildUserData(ctx: Pick<Context, 'parts' | 'userData'>, options: BuildMultipartOptions = {}): Uint8Array | undefined {
  if (ctx.userData !== undefined) return ctx.userData;
  if (ctx.parts.length === 0) return undefined;
  return buildMultipart(ctx.parts, options);
}

export type ParsedUserData = { parts: UserDataPart[]; userData?: undefined } | { parts: []; userData: Uint8Array };

/**
 * Splits decoded user data back into the model: MIME (as cloud-init decides:
 * `MIME-Version:` in the first 4096 bytes) gives parts, anything else is
 * literal user data.
 */
export function parseUserData(data: Uint8Array): ParsedUserData {
  return isMimeUserData(data) ? { parts: parseMultipart(data) } : { parts: [], userData: data };
}

export interface CompressOptions {
  /** Largest gzipped size allowed, in bytes; `Infinity` for none. Default 16384. */
  maxBytes?: number;
}

/** gzip user data, enforcing the size limit (the error gives both sizes). */
export function compressUserData(data: Uint8Array, options: CompressOptions = {}): Uint8Array {
  const limit = options.maxBytes ?? DEFAULT_MAX_USER_DATA_BYTES;
  const gz = gzipDeterministic(data);
  if (gz.length > limit) {
    throw overLimit(
      'user-data-too-large',
      `user data is ${gz.length} bytes gzipped (${data.length} bytes plain), over the limit of ${limit} bytes`,
    );
  }
  return gz;
}

export interface DecompressOptions {
  /** Largest decompressed size accepted (gzip bomb guard). */
  maxDecodedBytes?: number;
}

/** Gunzips user data when it is gzipped (sniffed by magic), else returns it as is. */
export function decompressUserData(data: Uint8Array, options: DecompressOptions = {}, input: ContextErrorInput = {}): Uint8Array {
  const max = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  if (isGzip(data)) return gunzipCapped(data, max, input);
  if (data.length > max) throw overLimit('decoded-too-large', `user data is ${data.length} bytes, over the limit of ${max}`, input);
  return data;
}
