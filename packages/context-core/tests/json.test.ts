import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextError } from '../src/errors.js';
import { decodeConfigDrive, META_DATA_JSON } from '../src/formats/config-drive.js';
import { MAX_JSON_DEPTH, parseInputJson } from '../src/json.js';
import { bytes, expectContextError, fixture } from './helpers.js';

const metaData = (json: string) => new Map([[META_DATA_JSON, bytes(json)]]);

/** What parseInputJson makes of `text`: the value, or the ContextError's code. */
function outcome(text: string): { value: unknown } | { code: string } {
  try {
    return { value: parseInputJson(text, 'f.json', 'bad-json') };
  } catch (e) {
    if (e instanceof ContextError) return { code: e.code };
    throw e;
  }
}

describe('JSON read from a disk', () => {
  it('10 000 nested arrays in meta: json-too-deep, not a stack overflow', () => {
    const json = fixture('fuzz/config-drive-deep-meta.json').toString('utf8');
    const e = expectContextError(() => decodeConfigDrive(metaData(json)), 'json-too-deep');
    expect(e.kind).toBe('limit');
    expect(e.input.file).toBe(META_DATA_JSON);
  });

  it(`nesting up to ${MAX_JSON_DEPTH} levels is read, one more is refused`, () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(outcome(nested(MAX_JSON_DEPTH))).toEqual({ value: JSON.parse(nested(MAX_JSON_DEPTH)) });
    expect(outcome(nested(MAX_JSON_DEPTH + 1))).toEqual({ code: 'json-too-deep' });
    expect(outcome(`{"a":${'{"b":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}}`)).toEqual({ code: 'json-too-deep' });
  });

  it('a syntax error names the line and byte offset, never the text around it', () => {
    const e = expectContextError(() => decodeConfigDrive(metaData('{\n  "admin_pass": "hunter2",\n  "uuid": hunter3\n}')), 'bad-meta-data');
    expect(e.message).not.toMatch(/hunter/);
    expect(e.input).toMatchObject({ file: META_DATA_JSON, line: 3, offset: 39 });
    expect(e.cause).toBeUndefined();
    const utf8 = expectContextError(() => decodeConfigDrive(metaData('{"é": x}')), 'bad-meta-data');
    expect(utf8.input.offset).toBe(7);
  });

  it('accepts exactly what JSON.parse accepts (differential, random and mutated text)', () => {
    const agree = (text: string) => {
      let expected: { value: unknown } | { code: string };
      try {
        expected = { value: JSON.parse(text) };
      } catch {
        expected = { code: 'bad-json' };
      }
      expect(outcome(text), text).toEqual(expected);
    };
    const tokens = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\\u00e9', '\\x', '-', '0', '01', '1.', '.5', '1e', '1E+2', 'true', 'nul', ' ', '\n', '\t', '\u0001', 'é');
    fc.assert(fc.property(fc.json({ maxDepth: 5 }), agree), { numRuns: 2000 });
    fc.assert(fc.property(fc.array(tokens, { maxLength: 20 }).map((t) => t.join('')), agree), { numRuns: 5000 });
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), fc.nat(), tokens, (json, at, token) => {
        const i = at % (json.length + 1);
        agree(json.slice(0, i) + token + json.slice(i + 1));
      }),
      { numRuns: 5000 },
    );
  });
});
