import { corruptData, invalidInput } from './errors.js';
import { checkVariable } from './variables.js';

/**
 * `KEY=value` files as the StratusLab tools wrote and read them. Output is
 * strict (`KEY=value`, one `\n` a line); input is tolerant: `KEY="value"`,
 * `KEY = value`, `export KEY=value`, CRLF, blank lines and `#` comments.
 */

export interface KeyValueEntry {
  key: string;
  value: string;
  /** 1-based line number, for messages. */
  line: number;
}

/**
 * The start of an entry, up to its `=`. The value is the rest of the line,
 * cut by hand: a pattern that also matched the value and its trailing blanks
 * backtracks over every blank of a long run (quadratic time).
 */
const ENTRY_START = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=/;
/** Line breaks that may not appear inside a value (`\n` already split the lines). */
const INNER_BREAK = /[\r\u2028\u2029]/;
/** Keys we write: the shell's variable names, upper case by convention. */
export const OUTPUT_KEY = /^[A-Z_][A-Z0-9_]*$/;

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}

/** Parses a key-value text; anything that is not an entry, a comment or blank is an error naming its line. */
export function parseKeyValues(text: string, file?: string): KeyValueEntry[] {
  const entries: KeyValueEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = ENTRY_START.exec(trimmed);
    // The line is not shown: it may hold a secret.
    if (!m) throw corruptData('bad-line', `${file ?? 'context'} line ${i + 1}: expected KEY=VALUE`, { file, line: i + 1 });
    const key = m[1] as string;
    let start = m[0].length;
    while (trimmed[start] === ' ' || trimmed[start] === '\t') start += 1;
    const raw = trimmed.slice(start);
    if (INNER_BREAK.test(raw)) throw corruptData('bad-line', `${file ?? 'context'} line ${i + 1}: the value of ${key} holds a line break`, { file, line: i + 1, key });
    entries.push({ key, value: checkVariable(key, unquote(raw), { file, line: i + 1 }), line: i + 1 });
  }
  return entries;
}

/** One `KEY=value` line; values that would not read back as they are get double quotes. */
export function formatKeyValue(key: string, value: string): string {
  if (!OUTPUT_KEY.test(key)) {
    throw invalidInput('bad-key', `"${key}" is not a valid variable name (upper-case letters, digits and _, not starting with a digit)`, { key });
  }
  if (/[\r\n\0]/.test(value)) {
    throw invalidInput('bad-value', `the value of ${key} holds a line break or NUL, which this format cannot carry`, { key });
  }
  const plain = value === '' || (/^[^\s"'#]/.test(value) && !/\s$/.test(value));
  return plain ? `${key}=${value}` : `${key}="${value.replace(/(["\\$`])/g, '\\$1')}"`;
}
