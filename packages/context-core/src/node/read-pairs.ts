import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { contextFromPairs, type BuiltContext, type PairInput } from '../context-from-pairs.js';
import { invalidInput } from '../errors.js';
import { expandPath, splitPairs } from '../pairs.js';

export interface ReadPairsOptions {
  /** Variables for `$VAR` expansion; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** What `~` stands for; default `$HOME`, else the user's home directory. */
  home?: string;
  /** Relative paths are resolved against this; default `process.cwd()`. */
  cwd?: string;
  /** Accept part types cloud-init does not know. */
  allowUnknownTypes?: boolean;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

/** Splits pair arguments, expands their paths, reads their files and builds the context. */
export function readPairs(args: readonly string[], options: ReadPairsOptions = {}): BuiltContext {
  const env = options.env ?? process.env;
  const home = options.home ?? env['HOME'] ?? homedir();
  const cwd = options.cwd ?? process.cwd();
  const pairs = splitPairs(args, { allowUnknownTypes: options.allowUnknownTypes });
  const inputs: PairInput[] = pairs.map((pair) => {
    const path = expandPath(pair.path, { env, home }, pair.text);
    try {
      return { pair, path, content: new Uint8Array(readFileSync(resolve(cwd, path))) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const why = REASONS[code] ?? (e as Error).message;
      throw invalidInput('unreadable-file', `cannot read ${path} (pair "${pair.text}"): ${why}`, { pair: pair.text, file: path }, e);
    }
  });
  return contextFromPairs(inputs);
}
