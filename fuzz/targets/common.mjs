import { isContextError } from '@stratus-context/core';
import { bytes, nested } from '../mutate.mjs';

export const MiB = 1024 * 1024;

const utf8Decoder = new TextDecoder('utf-8');
/** Text as a tolerant reader sees bytes: invalid UTF-8 becomes U+FFFD. */
export const utf8 = (input) => utf8Decoder.decode(input);
export const latin1 = (input) => Buffer.from(input.buffer, input.byteOffset, input.length).toString('latin1');

/** Calls and ContextErrors of `tolerant` for the current input: all refused counts as a context-error outcome. */
export const calls = { made: 0, refused: 0, first: undefined };

function refused(e) {
  if (!isContextError(e)) throw e;
  calls.refused += 1;
  calls.first ??= `${e.code}: ${e.message}`;
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

/** What a finding's report shows of an exception: its name, message and first frames. */
function describe(e) {
  if (!(e instanceof Error)) return `thrown non-Error: ${String(e).slice(0, 200)}`;
  return (e.stack ?? `${e.name}: ${e.message}`).split('\n').slice(0, 6).join('\n');
}

/**
 * Runs one input: `value`, `context-error` (thrown, or every tolerant call
 * refused it) with the first message, or `exception` (a finding) with the
 * stack.
 */
export async function runTarget(target, input, scratch) {
  calls.made = 0;
  calls.refused = 0;
  calls.first = undefined;
  try {
    await target.run(input, scratch);
    return calls.made > 0 && calls.refused === calls.made ? { outcome: 'context-error', error: calls.first } : { outcome: 'value' };
  } catch (e) {
    return isContextError(e) ? { outcome: 'context-error', error: `${e.code}: ${e.message}` } : { outcome: 'exception', error: describe(e) };
  }
}
