import type { Context, UserDataPart } from './model.js';
import { emptyContext } from './model.js';
import type { Pair } from './pairs.js';
import { dedupeKeys, formatPublicKey, parsePublicKeyFile } from './ssh-keys.js';
import { invalidInput } from './errors.js';

/** A pair with its file read. */
export interface PairInput {
  pair: Pair;
  /** The path after expansion, as shown in messages. */
  path: string;
  content: Uint8Array;
}

export interface BuiltContext {
  context: Context;
  /** Things the user should know that are not errors (dropped `none` files, ...). */
  warnings: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The last component of a path, trailing slashes ignored (a loop: `/\/+$/` backtracks over every slash of a run). */
function baseName(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end -= 1;
  return path.slice(path.lastIndexOf('/', end - 1) + 1, end);
}

/**
 * Builds a context from pairs whose files have been read (formats.md
 * section 1): `ssh` files add keys, the LAST `none` file is the literal user
 * data (earlier ones and all parts are then dropped, with warnings), any
 * other type adds a multipart part named after the file.
 */
export function contextFromPairs(inputs: readonly PairInput[]): BuiltContext {
  const ctx = emptyContext();
  const warnings: string[] = [];
  const keys: string[] = [];
  const parts: UserDataPart[] = [];
  const literal: PairInput[] = [];
  for (const input of inputs) {
    const { pair, path, content } = input;
    if (pair.type === 'ssh') {
      let text: string;
      try {
        text = utf8.decode(content);
      } catch (e) {
        throw invalidInput('bad-public-key', `${path} (pair "${pair.text}") is not a text file of public keys`, { pair: pair.text, file: path }, e);
      }
      const found = parsePublicKeyFile(text, path);
      if (found.length === 0) warnings.push(`${path} (pair "${pair.text}") holds no public key`);
      keys.push(...found.map(formatPublicKey));
    } else if (pair.type === 'none') {
      literal.push(input);
    } else {
      parts.push({ type: pair.type, filename: baseName(path), content });
    }
  }
  ctx.keys = dedupeKeys(keys);
  const chosen = literal.at(-1);
  if (chosen !== undefined) {
    ctx.userData = chosen.content;
    for (const dropped of literal.slice(0, -1)) {
      warnings.push(`pair "${dropped.pair.text}" dropped: only the last none file is used as user data ("${chosen.pair.text}")`);
    }
    for (const dropped of parts) {
      warnings.push(`part ${dropped.filename} (${dropped.type}) dropped: the none file "${chosen.pair.text}" is the whole user data`);
    }
  } else {
    ctx.parts = parts;
  }
  return { context: ctx, warnings };
}
