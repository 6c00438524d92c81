import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextError } from '../src/errors.js';
import { decodeNoCloud } from '../src/formats/nocloud.js';
import { DEFAULT_YAML_LIMITS, loadYaml } from '../src/yaml-safe.js';
import { bytes, expectContextError } from './helpers.js';

const load = (text: string) => loadYaml(text, { file: 'test.yaml', code: 'bad-yaml' });
const refused = (text: string) => expectContextError(() => load(text), 'bad-yaml');
const metaData = (text: string) => decodeNoCloud(new Map([['meta-data', bytes(text)]]));

describe('loadYaml reads YAML as PyYAML safe_load does', () => {
  it.each([
    ['0644', 0o644],
    ['0755', 0o755],
    ['-017', -15],
    ['012_3', 0o123],
    ['0x1F', 31],
    ['0b101', 5],
    ['+12', 12],
    ['1_000', 1000],
    ['1:30', 90],
    ['1:30.5', 90.5],
    ['3.5e+2', 350],
    ['.inf', Infinity],
    ['yes', true],
    ['No', false],
    ['ON', true],
    ['off', false],
    ['~', null],
    ['0o17', '0o17'],
    ['08', '08'],
    ['3.5e2', '3.5e2'],
    ['+.5', '+.5'],
    ['y', 'y'],
    ['n', 'n'],
    ['2001-12-14', '2001-12-14'],
    ["'0644'", '0644'],
  ])('%s is %s', (scalar, value) => {
    expect(load(`v: ${scalar}\n`)).toEqual({ v: value });
  });

  it('keeps y and n as keys, and makes yes a key "true"', () => {
    expect(load('y: 1\nn: 2\nyes: 3\n')).toEqual({ y: 1, n: 2, true: 3 });
  });

  it('merges << keys, the explicit key winning', () => {
    expect(load('base: &b {a: 1, b: 2}\nx:\n  b: 3\n  <<: *b\n')).toEqual({ base: { a: 1, b: 2 }, x: { a: 1, b: 3 } });
  });

  it('reads !!binary as bytes', () => {
    const { v } = load('v: !!binary aGVsbG8=\n') as { v: Uint8Array };
    expect(v).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(v).toString()).toBe('hello');
  });

  it('refuses, as PyYAML does: tabs between tokens, two documents, list keys, control characters, unknown tags', () => {
    for (const text of ['a:\tb\n', 'a: 1\n---\nb: 2\n', '[a]: 1\n', 'a: \u0007\n', 'a: !thing b\n', 'a: <<\n', 'a: =\n', 'a: 0b_\n']) {
      expect(refused(text).kind, text).toBe('corrupt-data');
    }
  });

  it('refuses the Python-only values PyYAML makes (!!set, !!omap, !!timestamp): no key the project reads takes them', () => {
    for (const text of ['a: !!set {x}\n', 'a: !!omap [{x: 1}]\n', 'a: !!timestamp 2001-12-14\n']) refused(text);
  });

  it('names the file and line of a problem', () => {
    const e = refused('a: 1\nb: [1, 2\nc: 3\n');
    expect(e.input.file).toBe('test.yaml');
    expect(e.message).toMatch(/^test\.yaml: not valid YAML: /);
    expect(e.input.line).toBeGreaterThan(1);
  });
});

/** Nested block sequences, block maps, flow sequences and flow maps, `levels` deep, and the value they make. */
type Level = 'seq' | 'seq-inline' | 'map' | 'flow-seq' | 'flow-map';
function nestedDocument(levels: Level[]): { text: string; value: unknown } {
  let text = '';
  let column = 0;
  let midLine = false;
  let i = 0;
  for (; i < levels.length && !levels[i]!.startsWith('flow'); i++) {
    const pad = midLine ? '' : ' '.repeat(column);
    text += levels[i] === 'seq-inline' ? `${pad}- ` : levels[i] === 'seq' ? `${pad}-\n` : `${pad}k:\n`;
    midLine = levels[i] === 'seq-inline';
    column += 2;
  }
  const flow = levels.slice(i);
  text += `${midLine ? '' : ' '.repeat(column)}${flow.map((l) => (l === 'flow-seq' ? '[' : '{k: ')).join('')}x${flow.map((l) => (l === 'flow-seq' ? ']' : '}')).reverse().join('')}\n`;
  const value = levels.reduceRight<unknown>((inner, l) => (l.endsWith('map') ? { k: inner } : [inner]), 'x');
  return { text, value };
}
/** Block levels first, then flow ones: a block collection cannot sit inside a flow one. */
const nesting = (maxLength: number) =>
  fc
    .tuple(fc.array(fc.constantFrom<Level>('seq', 'seq-inline', 'map'), { maxLength }), fc.array(fc.constantFrom<Level>('flow-seq', 'flow-map'), { maxLength }))
    .map(([block, flow]) => [...block, ...flow]);

describe('the bounds of loadYaml', () => {
  const { maxDepth, maxBytes, maxTokens, maxAliases } = DEFAULT_YAML_LIMITS;

  it(`reads nesting up to ${maxDepth} levels, in block and flow style, and refuses deeper`, () => {
    fc.assert(
      fc.property(nesting(90), (levels) => {
        const { text, value } = nestedDocument(levels);
        if (levels.length <= maxDepth) expect(load(text)).toEqual(value);
        else expect(refused(text).kind).toBe('limit');
      }),
      { numRuns: 300 },
    );
    const at = (n: number, l: Level) => nestedDocument(Array.from({ length: n }, () => l)).text;
    for (const l of ['seq', 'seq-inline', 'map', 'flow-seq', 'flow-map'] as const) {
      expect(() => load(at(maxDepth, l)), l).not.toThrow();
      expect(refused(at(maxDepth + 1, l)).kind, l).toBe('limit');
    }
  });

  it('does not count what is inside quoted and block scalars, or comments', () => {
    const deep = '- '.repeat(200);
    const text = `a: '${deep}[[[['\nb: "${deep}{{{{"\nc: |\n  ${deep}\n  [[[[[[\nd: >\n  ${deep}\n# ${deep}\n`;
    expect(load(text)).toMatchObject({ a: `${deep}[[[[`, b: `${deep}{{{{`, c: `${deep}\n[[[[[[\n` });
  });

  it(`refuses more than ${maxBytes} bytes and more than ${maxTokens} tokens`, () => {
    expect(refused(`a: ${'x'.repeat(maxBytes)}\n`).kind).toBe('limit');
    expect(refused(`a: ${'é'.repeat(maxBytes / 2)}\n`).kind).toBe('limit');
    expect(load(`a: |\n${'  some text\n'.repeat(80_000)}`)).toMatchObject({});
    expect(refused('- a\n'.repeat(maxTokens / 4 + 1)).kind).toBe('limit');
  });

  it(`refuses more than ${maxAliases} aliases, and expansions over ${maxAliases} (billion laughs)`, () => {
    // The `yaml` package counts the anchor itself as one use.
    expect(load(`a: &a x\nb: [${'*a, '.repeat(maxAliases - 2)}*a]\n`)).toMatchObject({ a: 'x' });
    expect(refused(`a: &a x\nb: [${'*a, '.repeat(maxAliases - 1)}*a]\n`).kind).toBe('limit');
    expect(refused(`a: &a x\nb: [${'*a, '.repeat(maxAliases)}*a]\n`).kind).toBe('limit');
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) laughs.push(`${'b'.repeat(i)}: &${'b'.repeat(i)} [${`*${i === 1 ? 'a' : 'b'.repeat(i - 1)}, `.repeat(9).slice(0, -2)}]`);
    expect(refused(laughs.join('\n')).kind).toBe('limit');
  });

  it('takes its limits from the caller', () => {
    expect(expectContextError(() => loadYaml('[[[x]]]', { file: 'f', code: 'c', limits: { maxDepth: 2 } }), 'c').kind).toBe('limit');
  });
});

function timed<T>(fn: () => T): number {
  const start = performance.now();
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
  }
  return performance.now() - start;
}

describe('NoCloud meta-data through loadYaml', () => {
  it('reads it as cloud-init does: YAML 1.1 ints, y and n strings', () => {
    const ctx = metaData('instance-id: 010\nlocal-hostname: n\n');
    expect(ctx.instanceId).toBe('8');
    expect(ctx.hostname).toBe('n');
  });

  // Each was quadratic: 4.6 s at 60 KB, and 8 inputs of 140-180 KB took over 15 s.
  for (const size of [60_000, 180_000]) {
    it(`a run of ${size / 1000} KB of unmatched ] is refused in linear time`, () => {
      const ms = timed(() => expectContextError(() => metaData(']'.repeat(size)), 'bad-meta-data'));
      expect(ms).toBeLessThan(1500);
    });
  }
  it('unmatched ] under the token limit, with valid lines around them', () => {
    const ms = timed(() => expectContextError(() => metaData(`instance-id: i-1\n${'] '.repeat(20_000)}\n`), 'bad-meta-data'));
    expect(ms).toBeLessThan(1500);
  });
});

/** Hostile texts: runs of brackets and entries, alias chains, random YAML fragments. */
const hostile = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom('[', ']', '{', '}', '- ', ', ', ': ', '? ', '\n', '  ', '*a ', '&a ', '!!str ', '"', "'", '|\n', '#'), fc.nat(3000)), { maxLength: 6 }).map((runs) =>
    runs.map(([s, n]) => s.repeat(n)).join(''),
  ),
  fc.array(fc.constantFrom('[', ']', '{', '}', '- ', ',', ':', ' ', '\n', '\t', 'k: ', 'x', '&a ', '*a', '<<: ', "'", '"', '|', '>', '#', '---\n', '!!binary '), { maxLength: 4000 }).map((a) => a.join('')),
  fc.tuple(fc.integer({ min: 1, max: 400 }), fc.boolean()).map(([n, merge]) => {
    const lines = ['a0: &a0 {k: x}'];
    for (let i = 1; i <= n; i++) lines.push(merge ? `a${i}: &a${i} {<<: *a${i - 1}, k${i}: ${i}}` : `a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
    return lines.join('\n');
  }),
  nesting(400).map((levels) => nestedDocument(levels).text),
  // Anchors nested to the limit, each holding an alias of the one before: expanded, deeper than the limit.
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 63 }), fc.boolean()).map(([n, depth, flow]) => {
    const wrap = (inner: string) => (flow ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `\n  ${'- '.repeat(depth)}${inner}`);
    return Array.from({ length: n + 1 }, (_, i) => `a${i}: &a${i} ${wrap(i === 0 ? 'x' : `*a${i - 1}`)}`).join('\n');
  }),
);

describe('any text gives a value or a ContextError, in bounded time', () => {
  it('on hostile texts', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(timed(() => load(text))).toBeLessThan(2000);
      }),
      { numRuns: 300 },
    );
  });
});
