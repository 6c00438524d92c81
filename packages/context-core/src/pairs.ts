import { normalizePartType } from './content-types.js';
import { invalidInput } from './errors.js';

/** A `mimetype,file` pair after splitting, before the file is read. */
export interface Pair {
  /** `ssh`, `none`, or a full MIME type such as `text/x-shellscript`. */
  type: string;
  /** The path as written, before expansion. */
  path: string;
  /** The pair as the user wrote it (trimmed), for messages. */
  text: string;
}

export interface SplitPairsOptions {
  /** Accept part types cloud-init does not know. */
  allowUnknownTypes?: boolean;
}

/**
 * Splits pair arguments (each may hold several pairs joined by `#`) into
 * pairs. A pair splits at its FIRST comma, since a path may hold commas;
 * blanks around either side are trimmed; empty pairs (`a##b`, a trailing
 * `#`) are skipped.
 */
export function splitPairs(args: readonly string[], options: SplitPairsOptions = {}): Pair[] {
  const pairs: Pair[] = [];
  for (const arg of args) {
    for (const raw of arg.split('#')) {
      const text = raw.trim();
      if (text === '') continue;
      const comma = text.indexOf(',');
      if (comma === -1) {
        throw invalidInput('bad-pair', `pair "${text}" has no comma: expected TYPE,FILE (for example ssh,~/.ssh/id_ed25519.pub)`, { pair: text });
      }
      const given = text.slice(0, comma).trim();
      const path = text.slice(comma + 1).trim();
      if (given === '' || path === '') {
        throw invalidInput('bad-pair', `pair "${text}" has an empty ${given === '' ? 'type' : 'file'}: expected TYPE,FILE`, { pair: text });
      }
      const lower = given.toLowerCase();
      const type = lower === 'ssh' || lower === 'none' ? lower : normalizePartType(given, text, { allowUnknown: options.allowUnknownTypes });
      pairs.push({ type, path, text });
    }
  }
  return pairs;
}

export interface ExpandEnv {
  /** The variables `$VAR` and `${VAR}` read. */
  env: Readonly<Record<string, string | undefined>>;
  /** What `~` stands for; when absent, `$HOME` from `env`. */
  home?: string;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Expands a leading `~` (or `~/`), `$VAR` and `${VAR}` in a path, as a shell
 * would had the user not quoted it. An unset variable is an error, not an
 * empty string: a key silently read from `/.ssh/id_rsa.pub` is worse than a
 * refusal. A `$` not followed by a name stays literal. `~user` is refused.
 */
export function expandPath(path: string, vars: ExpandEnv, pair = path): string {
  let out = '';
  let i = 0;
  if (path.startsWith('~')) {
    if (path.length > 1 && path[1] !== '/') {
      throw invalidInput('bad-path', `"${path}" in pair "${pair}": only ~ and ~/ are expanded, not ~user`, { pair });
    }
    const home = vars.home ?? vars.env['HOME'];
    if (home === undefined || home === '') {
      throw invalidInput('unset-variable', `cannot expand ~ in pair "${pair}": HOME is not set`, { pair });
    }
    out = home;
    i = 1;
  }
  // Literal text is copied by slices, from `from` up to the next expansion.
  let from = i;
  for (let dollar = path.indexOf('$', i); dollar !== -1; dollar = path.indexOf('$', i)) {
    let name: string;
    let end: number;
    if (path[dollar + 1] === '{') {
      const close = path.indexOf('}', dollar + 2);
      if (close === -1) {
        throw invalidInput('bad-path', `unclosed \${ in pair "${pair}"`, { pair });
      }
      name = path.slice(dollar + 2, close);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw invalidInput('bad-path', `"\${${name}}" in pair "${pair}" is not a variable name`, { pair });
      }
      end = close + 1;
    } else {
      end = dollar + 1;
      if (end >= path.length || !NAME_START.test(path[end] as string)) {
        i = dollar + 1;
        continue;
      }
      while (end < path.length && NAME_CHAR.test(path[end] as string)) end += 1;
      name = path.slice(dollar + 1, end);
    }
    // Own properties only: `$constructor` must not read Object.prototype.
    const value = Object.hasOwn(vars.env, name) ? vars.env[name] : undefined;
    if (typeof value !== 'string') {
      throw invalidInput('unset-variable', `variable ${name} in pair "${pair}" is not set`, { pair });
    }
    out += path.slice(from, dollar) + value;
    i = from = end;
  }
  out += path.slice(from);
  return out;
}
