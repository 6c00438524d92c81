import { corruptData, overLimit } from './errors.js';

/**
 * JSON read from a context disk. `JSON.parse` alone will not do for input:
 * it recurses once per nesting level (10 000 brackets overflow the stack)
 * and its error messages quote the text around the fault, which may be a
 * password. So a linear, non-recursive syntax check (RFC 8259) runs first:
 * it bounds the depth and reports a fault by position only; `JSON.parse`
 * then builds the value of text known to be valid.
 */

/** Deepest nesting of arrays and objects read. Metadata is 2-3 levels deep; bounds the recursion of `JSON.parse`. */
export const MAX_JSON_DEPTH = 64;

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The characters allowed after `\` (`u` takes four hex digits). */
const ESCAPES = new Set([...'"\\/bfnrtu'].map((c) => c.charCodeAt(0)));

const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

/** Where a fault is: a byte offset into the UTF-8 file and a 1-based line. */
function position(text: string, at: number): { offset: number; line: number } {
  const before = text.slice(0, at);
  let line = 1;
  for (let k = before.indexOf('\n'); k !== -1; k = before.indexOf('\n', k + 1)) line += 1;
  return { offset: Buffer.byteLength(before, 'utf8'), line };
}

class Scanner {
  i = 0;
  constructor(
    readonly text: string,
    readonly fail: (why: string, at: number) => Error,
  ) {}

  peek(): number {
    return this.text.charCodeAt(this.i);
  }

  blanks(): void {
    while (isBlank(this.peek())) this.i += 1;
  }

  expect(c: number, what: string): void {
    this.blanks();
    if (this.peek() !== c) throw this.fail(`expected ${what}`, this.i);
    this.i += 1;
  }

  digits(): void {
    const from = this.i;
    while (isDigit(this.peek())) this.i += 1;
    if (this.i === from) throw this.fail('expected a digit', this.i);
  }

  string(): void {
    this.expect(QUOTE, 'a string');
    for (;;) {
      const c = this.peek();
      if (Number.isNaN(c)) throw this.fail('unterminated string', this.i);
      this.i += 1;
      if (c === QUOTE) return;
      if (c < 0x20) throw this.fail('control character in a string', this.i - 1);
      if (c !== BACKSLASH) continue;
      const e = this.peek();
      if (!ESCAPES.has(e)) throw this.fail('bad escape in a string', this.i);
      this.i += 1;
      if (e === 0x75) {
        for (let k = 0; k < 4; k++, this.i++) if (!isHex(this.peek())) throw this.fail('bad \\u escape', this.i);
      }
    }
  }

  number(): void {
    if (this.peek() === 0x2d) this.i += 1;
    if (this.peek() === 0x30) this.i += 1;
    else this.digits();
    if (this.peek() === 0x2e) {
      this.i += 1;
      this.digits();
    }
    if ((this.peek() | 0x20) === 0x65) {
      this.i += 1;
      if (this.peek() === 0x2b || this.peek() === 0x2d) this.i += 1;
      this.digits();
    }
  }

  /** A scalar value, or the opening bracket of a container (returned, not consumed past). */
  scalarOrOpen(): number | undefined {
    this.blanks();
    const c = this.peek();
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      this.i += 1;
      return c;
    }
    if (c === QUOTE) this.string();
    else if (c === 0x2d || isDigit(c)) this.number();
    else {
      const word = ['true', 'false', 'null'].find((w) => this.text.startsWith(w, this.i));
      if (word === undefined) throw this.fail('expected a value', this.i);
      this.i += word.length;
    }
    return undefined;
  }
}

/** Checks that `text` is one JSON value nested at most `maxDepth` deep, without recursion. */
function checkJson(s: Scanner, maxDepth: number, tooDeep: () => Error): void {
  const open: number[] = [];
  let expectValue = true;
  for (;;) {
    if (expectValue) {
      const c = s.scalarOrOpen();
      expectValue = false;
      if (c !== undefined) {
        if (open.length >= maxDepth) throw tooDeep();
        open.push(c);
        s.blanks();
        if (s.peek() === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          s.i += 1;
          open.pop();
        } else {
          if (c === OPEN_OBJECT) {
            s.string();
            s.expect(0x3a, '":"');
          }
          expectValue = true;
          continue;
        }
      }
    }
    s.blanks();
    const top = open.at(-1);
    if (top === undefined) {
      if (s.i !== s.text.length) throw s.fail('unexpected text after the value', s.i);
      return;
    }
    const c = s.peek();
    s.i += 1;
    if (c === (top === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) open.pop();
    else if (c === 0x2c) {
      if (top === OPEN_OBJECT) {
        s.string();
        s.expect(0x3a, '":"');
      }
      expectValue = true;
    } else throw s.fail(top === OPEN_OBJECT ? 'expected "," or "}"' : 'expected "," or "]"', s.i - 1);
  }
}

/**
 * Parses JSON read from `file`. A syntax fault is `corrupt-data` with
 * `code`, its message naming the line and byte offset and never the text;
 * nesting deeper than MAX_JSON_DEPTH is the limit `json-too-deep`.
 */
export function parseInputJson(text: string, file: string, code: string): unknown {
  const fail = (why: string, at: number) => {
    const where = position(text, at);
    return corruptData(code, `${file} is not valid JSON: ${why} at line ${where.line} (byte ${where.offset})`, { file, ...where });
  };
  const tooDeep = () => overLimit('json-too-deep', `${file} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, { file });
  checkJson(new Scanner(text, fail), MAX_JSON_DEPTH, tooDeep);
  try {
    return JSON.parse(text);
  } catch {
    // Not reached for checked text. The error of JSON.parse quotes the input, so it is not kept as the cause.
    throw corruptData(code, `${file} is not valid JSON`, { file });
  }
}
