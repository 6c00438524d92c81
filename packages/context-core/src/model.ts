import { variableRecord } from './variables.js';

/**
 * The one in-memory model of a context. Every format is a codec around it.
 * Byte payloads are `Uint8Array` so that nothing is re-encoded on the way
 * through: what the user gave is what the guest gets.
 */

/** One part of a multipart user-data message. */
export interface UserDataPart {
  /** The full MIME type, lower case, e.g. `text/x-shellscript`. */
  type: string;
  /** The file name carried in `Content-Disposition` (a base name). */
  filename: string;
  /** The exact bytes of the part, before any transfer encoding. */
  content: Uint8Array;
}

/** A file placed on a context disk beside the context itself. */
export interface ContextFile {
  /** Path on the disk, `/`-separated, relative to the disk's root. */
  name: string;
  content: Uint8Array;
}

export interface Context {
  /** OpenSSH public keys, one line each, de-duplicated, in order of appearance. */
  keys: string[];
  /** Multipart user-data parts. Empty when `userData` is set. */
  parts: UserDataPart[];
  /** Literal user data (the `none` pseudo-type), used as it is. */
  userData?: Uint8Array;
  /** Other `KEY=VALUE` variables of the context. */
  variables: Record<string, string>;
  /** Extra files for the context disk. */
  files: ContextFile[];
  hostname?: string;
  instanceId?: string;
}

/** `variables` has no prototype (see variableRecord): decoders fill it from input. */
export function emptyContext(): Context {
  return { keys: [], parts: [], variables: variableRecord(), files: [] };
}

/** True when the context carries user data of either kind. */
export function hasUserData(ctx: Context): boolean {
  return ctx.userData !== undefined || ctx.parts.length > 0;
}
