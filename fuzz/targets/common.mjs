import { isContextError } from '@stratus-context/core';
import { bytes, nested } from '../mutate.mjs';

export const MiB = 1024 * 1024;

const utf8Decoder = new TextDecoder('utf-8');
/** Text as a tolerant reader sees bytes: invalid UTF-8 becomes U+FFFD. */
export const utf8 = (input) => utf8Decoder.decode(input);
export const latin1 = (input) => Buffer.from(input.buffer, input.byteOffset, input.length).toString('latin1');

/** Calls and ContextErrors of `tolerant` for the current input: all refused counts as a context-error outcome. */
export const calls = { made: 0, refused: 0 };

function refused(e) {
  if (!isContextError(e)) throw e;
  calls.refused += 1;
  return undefined;
}

/** Runs one of several calls on an input: a ContextError ends only that call; anything else is a finding. */
export function tolerant(fn) {
  calls.made += 1;
  try {
    return fn();
  } catch (e) {
    return refused(e);
  }
}

/** The same, for a call that returns a promise. */
export async function tolerantAsync(fn) {
  calls.made += 1;
  try {
    return await fn();
  } catch (e) {
    return refused(e);
  }
}

/** A generator of `open` n times then `close` n times, as long as the input allows. */
export const deep = (open, close, middle = '') => (rng, max) => nested(open, middle, close, rng.size(Math.floor(max / (bytes(open).length + bytes(close).length))));
