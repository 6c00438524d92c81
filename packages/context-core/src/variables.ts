import { corruptData, type ContextErrorInput } from './errors.js';

/**
 * Context variables as decoders read them. A guest hands them to scripts in
 * a process environment, where `=` ends a name and NUL ends a string (Node
 * refuses to spawn a process whose environment holds one), so every decoder
 * checks each name and value here. Errors name the key, never the value: a
 * value may be a password.
 */

/** Longest variable name read: OpenStack's metadata key limit. */
export const MAX_VARIABLE_NAME = 255;

/**
 * A letter or `_`, then letters, digits, `_`, `-` or `.`. Shell names (all
 * that `context.sh` and `cloud-init.txt` can hold) and the metadata keys
 * OpenStack users write (`monitoring-enabled`, `app.version`); nothing that
 * an environment, a shell or a log line would take apart.
 */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A name shown in a message: quoted, escaped, cut at 64 characters. */
export function shownName(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}...` : key);
}

/** Refuses a variable whose name is not VARIABLE_NAME or whose value holds NUL; returns the value. */
export function checkVariable(key: string, value: string, where: ContextErrorInput = {}): string {
  const at = `${where.file ?? 'context'}${where.line !== undefined ? ` line ${where.line}` : ''}`;
  if (key.length > MAX_VARIABLE_NAME || !VARIABLE_NAME.test(key)) {
    throw corruptData(
      'bad-variable-name',
      `${at}: variable name ${shownName(key)} is not a letter or _ followed by letters, digits, _, - or . (at most ${MAX_VARIABLE_NAME})`,
      { ...where, key },
    );
  }
  if (value.includes('\0')) {
    throw corruptData('bad-variable-value', `${at}: the value of ${key} holds a NUL byte, which no environment variable can carry`, { ...where, key });
  }
  return value;
}

/**
 * An empty record for variables read from input. It has no prototype, so
 * `__proto__`, `constructor` and `toString` are keys like any other: on a
 * plain object, assigning `__proto__` would set the prototype instead and
 * the variable would vanish.
 */
export function variableRecord(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
