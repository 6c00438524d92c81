import { Composer, CST, isAlias, isCollection, Lexer, Parser, visit, type Document } from 'yaml';
import { ContextError, type ContextErrorInput, type ContextErrorKind } from './errors.js';
import { pyyamlTags } from './yaml-schema.js';

/**
 * Every YAML the project reads (a `#cloud-config` part, NoCloud `meta-data`)
 * goes through `loadYaml`: one document, read as cloud-init's
 * `yaml.safe_load` reads it (yaml-schema.ts), within bounds. Any text gives a
 * value or a ContextError, in time and memory bounded by `YamlLimits`.
 *
 * The bounds are checked by a linear pass over the `yaml` package's Lexer
 * before its Parser and Composer see the text. The Lexer is a flat state
 * machine; the Parser keeps a CST of about 700 bytes per byte of `- - -`, and
 * the Composer recurses once per level: about a thousand levels overflow the
 * stack, and near the limit V8 can abort the process (`RegExpCompiler
 * Allocation failed`), which no `catch` sees.
 */

export interface YamlLimits {
  /**
   * UTF-8 bytes of text. cloud-init's user data is at most 16 KiB gzipped
   * (EC2, OpenNebula), which decodes to far more; 1 MiB leaves room for large
   * `write_files` contents, which cost little (one token each).
   */
  maxBytes: number;
  /**
   * Nesting of collections: block collections (by column) plus open flow
   * brackets. A real cloud-config nests less than 10 deep; the Composer
   * overflows the stack at about 1000. A flow pair (`[a: [b: ...]]`) makes
   * two levels of one bracket, still far below.
   */
  maxDepth: number;
  /**
   * Lexer tokens, blanks and comments included (a scalar of any length is
   * one). The `yaml` package spends up to 2.5 KB and 20 us on a token, about
   * 4 us on a blank line; the worst texts of 50000 tokens take under a second
   * and fit a 48 MB heap. A `write_files` entry is some 25 tokens.
   */
  maxTokens: number;
  /**
   * Aliases (`*name`) in the text, and `maxAliasCount` for their expansion
   * (billion laughs). The `yaml` package counts aliases inside an anchor by
   * walking the whole document for each, so chains of aliases cost time
   * quadratic in their number before the expansion limit is reached.
   */
  maxAliases: number;
}

export const DEFAULT_YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({
  maxBytes: 1 << 20,
  maxDepth: 64,
  maxTokens: 50_000,
  maxAliases: 100,
});

export interface LoadYamlOptions {
  /** The file or part, for messages and `input.file`. */
  file: string;
  /** The ContextError code for any refusal (e.g. `bad-cloud-config`). */
  code: string;
  limits?: Partial<YamlLimits>;
}

/** PyYAML's Reader: characters outside these are refused ("unacceptable character"). */
const NON_PRINTABLE = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** cloud-init's YAML: 1.1 as PyYAML reads it, duplicate keys allowed (the last wins). */
const COMPOSE_OPTIONS = {
  version: '1.1',
  schema: 'yaml-1.1',
  customTags: pyyamlTags,
  resolveKnownTags: false,
  merge: true,
  uniqueKeys: false,
  logLevel: 'silent',
} as const;

type Refuse = (kind: ContextErrorKind, why: string, offset?: number, cause?: unknown) => ContextError;

/** Errors for `text`: `file: why (line n)`, with the file, line and offset as input. */
function refusal(text: string, { file, code }: LoadYamlOptions): Refuse {
  return (kind, why, offset, cause) => {
    const input: ContextErrorInput = { file };
    let where = '';
    if (offset !== undefined) {
      input.line = lineOf(text, offset);
      input.offset = offset;
      where = ` (line ${input.line})`;
    }
    return new ContextError(code, kind, `${file}: ${why}${where}`, input, cause === undefined ? undefined : { cause });
  };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

interface Block {
  column: number;
  kind: 'seq' | 'map';
}

/**
 * Checks depth, tokens and aliases in one pass over the Lexer's tokens.
 * Block nesting is tracked as a stack of (column, kind): an entry `-` or a
 * key opens a collection unless one of that kind is open at that column; a
 * sequence may sit at its parent key's column. Scalars of any style are one
 * token each, so nothing in a quoted or block scalar counts.
 */
function checkShape(text: string, limits: YamlLimits, refuse: Refuse): void {
  const blocks: Block[] = [];
  let flow = 0;
  let tokens = 0;
  let aliases = 0;
  let offset = 0;
  let lineStart = 0;
  /** Column of the first node of the current line or entry: where a key would start. */
  let keyColumn = -1;
  /** The next token is a scalar's text; `block` when after a `|` or `>` header. */
  let scalarNext = false;
  let block = false;
  // PyYAML's scanner skips spaces only: a tab anywhere but inside a quoted or
  // block scalar or a comment "cannot start any token", and ends a plain scalar.
  const tab = (at: number) => refuse('corrupt-data', 'not valid YAML: a tab outside a quoted or block scalar', at);

  const open = (column: number, kind: Block['kind']): void => {
    while (blocks.length > 0 && blocks[blocks.length - 1]!.column > column) blocks.pop();
    const top = blocks[blocks.length - 1];
    if (top?.column === column && top.kind === kind) return;
    if (top?.column === column && top.kind === 'seq') {
      blocks.pop();
      const parent = blocks[blocks.length - 1];
      if (parent?.column === column && parent.kind === kind) return;
    }
    blocks.push({ column, kind });
  };
  const node = (): void => {
    if (keyColumn < 0) keyColumn = offset - lineStart;
  };

  for (const token of new Lexer().lex(text)) {
    const start = offset;
    if (scalarNext) {
      scalarNext = false;
      if (!block && token.includes('\t')) throw tab(start + token.indexOf('\t'));
      block = false;
    } else {
      switch (CST.tokenType(token)) {
        case 'scalar':
          node();
          scalarNext = true;
          tokens += 1;
          continue; // a marker, not in the text
        case 'doc-mode':
          continue;
        case 'flow-error-end':
          flow = 0;
          tokens += 1;
          continue;
        case 'space':
          if (token.includes('\t')) throw tab(start + token.indexOf('\t'));
          tokens += 1;
          break;
        case 'newline':
        case 'comment':
        case 'byte-order-mark':
          tokens += 1;
          break;
        case 'block-scalar-header':
          node();
          block = true;
          tokens += 1;
          break;
        case 'doc-start':
        case 'doc-end':
          blocks.length = 0;
          flow = 0;
          keyColumn = -1;
          tokens += 1;
          break;
        case 'seq-item-ind':
        case 'explicit-key-ind':
          if (flow === 0) open(offset - lineStart, token === '-' ? 'seq' : 'map');
          keyColumn = -1;
          tokens += 1;
          break;
        case 'map-value-ind':
          if (flow === 0) open(keyColumn >= 0 ? keyColumn : offset - lineStart, 'map');
          keyColumn = -1;
          tokens += 1;
          break;
        case 'flow-map-start':
        case 'flow-seq-start':
          node();
          flow += 1;
          tokens += 1;
          break;
        case 'flow-map-end':
        case 'flow-seq-end':
          if (flow > 0) flow -= 1;
          tokens += 1;
          break;
        case 'alias':
          node();
          aliases += 1;
          tokens += 1;
          if (aliases > limits.maxAliases) throw refuse('limit', `more than ${limits.maxAliases} YAML aliases`, start);
          break;
        default:
          node();
          tokens += 1;
      }
    }
    offset += token.length;
    const nl = token.lastIndexOf('\n');
    if (nl !== -1) {
      lineStart = start + nl + 1;
      keyColumn = -1;
    }
    if (blocks.length + flow > limits.maxDepth) throw refuse('limit', `YAML nested deeper than ${limits.maxDepth} levels`, start);
    if (tokens > limits.maxTokens) throw refuse('limit', `more than ${limits.maxTokens} YAML tokens`, start);
  }
}

/** The one document of `text`; the first error or warning refuses it (unknown tags, as by safe_load). */
function compose(text: string, refuse: Refuse): Document.Parsed {
  let doc: Document.Parsed | undefined;
  // The Composer makes an Error for every problem and goes on to the end;
  // the stacks of 50000 of them (a run of `]`) would take seconds to capture.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const next of new Composer(COMPOSE_OPTIONS).compose(new Parser().parse(text), true, text.length)) {
      if (doc !== undefined) throw refuse('corrupt-data', 'more than one YAML document', next.range[0]);
      doc = next;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const problem = doc!.errors[0] ?? doc!.warnings[0];
  if (problem !== undefined) {
    throw refuse('corrupt-data', `not valid YAML: ${problem.message.split('\n')[0]}`, problem.pos[0], problem);
  }
  // PyYAML refuses a list or map as a key (unhashable); `yaml` would make a string of it.
  visit(doc!, {
    Pair(_, pair) {
      const key = isAlias(pair.key) ? pair.key.resolve(doc!) : pair.key;
      if (isCollection(key)) throw refuse('corrupt-data', 'not valid YAML: a list or map as a key', key.range?.[0]);
    },
  });
  return doc!;
}

/**
 * Reads one YAML document as cloud-init does: the value (null for an empty
 * document; maps as plain objects, `!!binary` as bytes, dates as strings), or
 * a ContextError with `options.code`, of kind `limit` over a bound of
 * `YamlLimits` and `corrupt-data` otherwise.
 */
export function loadYaml(text: string, options: LoadYamlOptions): unknown {
  const limits = { ...DEFAULT_YAML_LIMITS, ...options.limits };
  const refuse = refusal(text, options);
  if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    throw refuse('limit', `YAML text larger than ${limits.maxBytes} bytes`);
  }
  const bad = NON_PRINTABLE.exec(text);
  if (bad !== null) throw refuse('corrupt-data', `not valid YAML: unacceptable character U+${bad[0].codePointAt(0)!.toString(16).padStart(4, '0')}`, bad.index);
  checkShape(text, limits, refuse);
  const doc = compose(text, refuse);
  try {
    return doc.toJS({ maxAliasCount: limits.maxAliases });
  } catch (e) {
    const message = (e as Error).message;
    if (/^Excessive alias count/.test(message)) throw refuse('limit', `YAML aliases expanded more than ${limits.maxAliases} times`, undefined, e);
    throw refuse('corrupt-data', `not valid YAML: ${message}`, undefined, e);
  }
}
