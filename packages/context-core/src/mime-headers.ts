import { decodeHexEscapes } from './encoding.js';

/**
 * The small part of RFC 2045/2231/5322 header syntax that user data needs:
 * header blocks with folded lines, and `type; name=value` parameters with
 * quoted strings and RFC 2231 extended (`name*=utf-8''...`) values.
 */

export type Headers = Map<string, string>;

/**
 * Splits an entity (latin1 string, one char a byte) into its headers and
 * body. The header block ends at the first empty line; a line that is not a
 * header ends it too (as Python's email parser does), and starts the body.
 */
export function splitEntity(text: string): { headers: Headers; body: string } {
  const headers: Headers = new Map();
  let pos = 0;
  let last: string | undefined;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    const line = text.slice(pos, end).replace(/\r$/, '');
    const next = nl === -1 ? text.length : nl + 1;
    if (line === '') return { headers, body: text.slice(next) };
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
    } else {
      const m = /^([!-9;-~]+)[ \t]*:(.*)$/.exec(line);
      if (!m) return { headers, body: text.slice(pos) };
      last = (m[1] as string).toLowerCase();
      // The first occurrence wins, as with Python's Message.get().
      if (!headers.has(last)) headers.set(last, (m[2] as string).trim());
      else last = undefined;
    }
    pos = next;
  }
  return { headers, body: '' };
}

export interface ParsedHeaderValue {
  /** The value before the first `;`, trimmed and lower-cased. */
  value: string;
  /** Parameters by lower-case name, RFC 2231 values decoded. */
  params: Map<string, string>;
}

/** Parses `text/plain; charset="us-ascii"; name*=utf-8''%C3%A9`. */
export function parseHeaderValue(header: string): ParsedHeaderValue {
  const params = new Map<string, string>();
  const extended = new Map<string, { index: number; value: string; encoded: boolean }[]>();
  let i = header.indexOf(';');
  const value = (i === -1 ? header : header.slice(0, i)).trim().toLowerCase();
  while (i !== -1 && i < header.length) {
    i += 1;
    const eq = header.indexOf('=', i);
    if (eq === -1) break;
    const name = header.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (header[j] === ' ' || header[j] === '\t') j += 1;
    let raw = '';
    if (header[j] === '"') {
      // A quoted string, gathered by slices between its `\` escapes.
      j += 1;
      const runs: string[] = [];
      let from = j;
      while (j < header.length && header[j] !== '"') {
        if (header[j] === '\\' && j + 1 < header.length) {
          runs.push(header.slice(from, j));
          from = j + 1;
          j += 2;
        } else j += 1;
      }
      runs.push(header.slice(from, j));
      raw = runs.join('');
      const semi = header.indexOf(';', j);
      i = semi;
    } else {
      const semi = header.indexOf(';', j);
      raw = (semi === -1 ? header.slice(j) : header.slice(j, semi)).trim();
      i = semi;
    }
    const ext = /^(.+?)(?:\*(\d+))?(\*)?$/.exec(name);
    if (ext && (ext[2] !== undefined || ext[3] !== undefined)) {
      const base = ext[1] as string;
      const list = extended.get(base) ?? [];
      list.push({ index: ext[2] === undefined ? 0 : Number(ext[2]), value: raw, encoded: ext[3] !== undefined });
      extended.set(base, list);
    } else if (name !== '' && !params.has(name)) {
      params.set(name, raw);
    }
  }
  for (const [name, pieces] of extended) {
    pieces.sort((a, b) => a.index - b.index);
    let charset = 'us-ascii';
    const bytes = pieces.map((p, n) => {
      let v = p.value;
      if (p.encoded && n === 0) {
        const m = /^([^']*)'[^']*'(.*)$/s.exec(v);
        if (m) {
          charset = (m[1] as string).toLowerCase() || charset;
          v = m[2] as string;
        }
      }
      return p.encoded ? decodeHexEscapes(v, '%') : Buffer.from(v, 'latin1');
    });
    const joined = Buffer.concat(bytes);
    const decoded = charset === 'utf-8' || charset === 'utf8' ? joined.toString('utf8') : joined.toString('latin1');
    params.set(name, decoded);
  }
  return { value, params };
}

/**
 * A `name="value"` parameter, or RFC 2231 `name*=utf-8''...` when the value
 * holds anything but printable ASCII, a quote or a backslash (which readers
 * unescape inconsistently).
 */
export function formatParam(name: string, value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && !/["\\]/.test(value)) return `${name}="${value}"`;
  const pct = Array.from(Buffer.from(value, 'utf8'), (b) =>
    /[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
  return `${name}*=utf-8''${pct}`;
}
