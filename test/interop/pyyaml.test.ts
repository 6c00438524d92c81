import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextError, decodeNoCloud, loadYaml } from '@stratus-context/core';
import { writeContextDir } from '@stratus-context/core/node';
import { addCloudConfig, emptyCloudConfig } from '../../packages/guest-agent/src/cloud-config.js';
import { cloudInitDatasource, CLOUD_INIT_PYTHONPATH, DEBIAN_PYTHON, REPO, tempDir } from '../helpers.js';

type Answer = { value: unknown } | { error: string };

/** test/interop/pyyaml_probe.py over many texts at once (one interpreter start). */
function probe(kind: 'load' | 'cloud-config', texts: string[]): Answer[] {
  const out = execFileSync(DEBIAN_PYTHON, [join(REPO, 'test/interop/pyyaml_probe.py'), kind], {
    input: JSON.stringify(texts),
    env: { ...process.env, PYTHONPATH: CLOUD_INIT_PYTHONPATH },
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as Answer[];
}

/** Our value in the probe's JSON: what JSON lacks spelled out as the probe does. */
function asProbeJson(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return { float: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
  if (v instanceof Uint8Array) return { binary: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(asProbeJson);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asProbeJson(x)]));
  return v;
}

/** PyYAML's dates are our strings; everything else must be equal. */
function sameValue(ours: unknown, theirs: unknown): boolean {
  if (typeof theirs === 'object' && theirs !== null && 'date' in theirs) return typeof ours === 'string';
  if (Array.isArray(theirs)) return Array.isArray(ours) && ours.length === theirs.length && theirs.every((t, i) => sameValue(ours[i], t));
  if (typeof theirs === 'object' && theirs !== null) {
    if (typeof ours !== 'object' || ours === null || Array.isArray(ours)) return false;
    const [a, b] = [Object.keys(ours).sort(), Object.keys(theirs).sort()];
    return a.length === b.length && a.every((k, i) => k === b[i] && sameValue((ours as Record<string, unknown>)[k], (theirs as Record<string, unknown>)[k]));
  }
  return Object.is(ours, theirs) || (ours === 0 && theirs === 0);
}

function ours(text: string): Answer {
  try {
    return { value: asProbeJson(loadYaml(text, { file: 'test', code: 'bad-yaml' })) };
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
    return { error: e.message };
  }
}

/** Both read the same value, or both refuse the text. */
function agree(text: string, theirs: Answer): void {
  const mine = ours(text);
  const same = 'value' in theirs ? 'value' in mine && sameValue(mine.value, theirs.value) : 'error' in mine;
  expect(same, `${JSON.stringify(text)}: ours ${JSON.stringify(mine)}, PyYAML ${JSON.stringify(theirs)}`).toBe(true);
}

/** The scalars where YAML 1.1 and 1.2, and PyYAML and the `yaml` package, part ways. */
const NOTABLE = [
  '0644', '0755', '0o17', '0o644', '012_3', '0x1F', '0x_1', '0b101', '-0b11', '0b_', '08', '09', '00', '0_', '-0', '+0', '-017', '+12', '1_000', '1__0',
  '1:30', '190:20:30', '0:30', '1:60', '-1:30', '1:30.5', '.inf', '-.inf', '+.inf', '.Inf', '.INF', '.nan', '.NaN', '.NAN', '-.nan', '3.5e2', '3.5e+2',
  '3.5E-2', '1e3', '1.e+3', '.5', '+.5', '-.5', '1.', '._', '.', '1_0.5', '1._5', 'yes', 'Yes', 'YES', 'yEs', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off',
  'Off', 'OFF', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE', 'y', 'Y', 'n', 'N', '~', 'null', 'Null', 'NULL', 'nULL', '', '2001-12-14',
  '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2002-12-14', 'root:root', '33:33', '1000:1000', '<<', '=', '0.1', '123456789012',
];

/** Number-like scalars built from the pieces PyYAML's int and float regexes are made of. */
const numberLike = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    fc.constantFrom('', '0', '0b', '0x', '0o', '1', '.'),
    fc.stringMatching(/^[0-9a-fA-F_]{0,5}$/),
    fc.constantFrom('', ':30', ':5:07', ':61'),
    fc.constantFrom('', '.', '.5', '._5', '.25_0'),
    fc.constantFrom('', 'e3', 'e+3', 'E-2', 'e'),
  )
  .map((parts) => parts.join(''))
  // The parsers themselves (not their scalars) differ on a plain `-` or `:x` in a flow collection.
  .filter((s) => s !== '-' && !s.startsWith(':'));
const wordLike = fc.constantFrom('yes', 'no', 'on', 'off', 'true', 'false', 'null', 'y', 'n', 'inf', 'nan').chain((w) => fc.mixedCase(fc.constant(w)));
const dotWord = fc.tuple(fc.constantFrom('', '-', '+'), fc.constantFrom('.'), fc.mixedCase(fc.constantFrom('inf', 'nan'))).map((p) => p.join(''));
const scalar = fc.oneof(fc.constantFrom(...NOTABLE), numberLike, wordLike, dotWord);

/**
 * Each scalar as a map value, a list entry, a flow entry, quoted (always a
 * string) and as a key. Not as a key when a float (every PyYAML float has a
 * dot), a date or null: those keys are named as JavaScript prints them
 * (`350`, ``), not as Python does (`350.0`, `None`).
 */
function documents(s: string): string[] {
  const docs = [`k: ${s}\n`, `- ${s}\n`, `[${s}, x]\n`, `k: '${s}'\n`, `k: "${s}"\n`, `k: !!str ${s}\n`];
  const value = ours(`- ${s}`);
  if (!s.includes('.') && !/^\d{4}-/.test(s) && !('value' in value && (value.value as unknown[])[0] === null)) docs.push(`${s}: v\n`);
  return docs;
}

describe('YAML is read as cloud-init reads it: PyYAML (yaml.safe_load) agrees with loadYaml', () => {
  it('on the scalars where YAML 1.1 and 1.2 part ways', () => {
    const texts = NOTABLE.flatMap(documents);
    const theirs = probe('load', texts);
    texts.forEach((t, i) => agree(t, theirs[i]!));
  });

  it('on generated number-like and word-like scalars', () => {
    const seed = Date.now();
    const samples = fc.sample(scalar, { seed, numRuns: 400 }).flatMap(documents);
    const known = new Map(samples.map((t, i) => [t, i]));
    const answers = probe('load', samples);
    // Shrinking makes texts not asked yet: those go to PyYAML one at a time.
    const theirs = (t: string) => (known.has(t) ? answers[known.get(t)!]! : probe('load', [t])[0]!);
    fc.assert(
      fc.property(scalar, (s) => documents(s).forEach((t) => agree(t, theirs(t)))),
      { seed, numRuns: 400 },
    );
  });

  it('on documents of every kind cloud-init users write', () => {
    const texts = [
      'a: &x {b: 1, c: [2, 3]}\nd: *x\ne:\n  <<: *x\n  b: 4\n',
      'a: {b: 1}\nc:\n  <<: [{x: 1}, {x: 2, y: 3}]\n  y: 4\n',
      'a: 1\na: 2\n',
      '- !!binary aGVsbG8K\n- !!str 0644\n- !!int "0644"\n- !!float "1.5"\n',
      'text: |\n  line 1\n   line 2\nfolded: >-\n  a\n  b\n',
      '"double \\x41 \\u00e9 \\t": \'single \'\'q\'\'\'\n',
      'plain: multi\n  line\n  # not a comment? it is\n',
      '%YAML 1.1\n---\nk: 0644\n',
      '---\nk: v\n...\n',
      '',
      '# only a comment\n',
      '~\n',
      '[1, 2, {a: b}]\n',
      '? complex key\n: value\n',
      'tab:\tvalue\n',
      'k: [a, b\n',
      'k: v\n---\nk: w\n',
      'k: !unknown v\n',
      'k: *undefined\n',
      '[a]: 1\n',
      'k: \u0001\n',
      '\ufeffk: bom\n',
    ];
    const theirs = probe('load', texts);
    texts.forEach((t, i) => agree(t, theirs[i]!));
  });
});

describe("a #cloud-config is applied as cloud-init 22.4's write_files and runcmd apply it", () => {
  const forms = [
    'write_files:\n- path: /etc/a\n  content: hi\n  permissions: 0644\n',
    "write_files:\n- path: /etc/a\n  content: hi\n  permissions: '0644'\n",
    'write_files:\n- path: /etc/a\n  content: hi\n  permissions: 0o644\n',
    "write_files:\n- path: /etc/a\n  content: hi\n  permissions: '0o755'\n",
    'write_files:\n- path: /etc/a\n  content: hi\n  permissions: 644\n',
    'write_files:\n- path: /etc/a\n  content: hi\n  permissions: 0755\n  owner: root:root\n',
    'write_files:\n- path: /etc/a\n  content: hi\n  append: yes\n',
    'write_files:\n- path: /etc/a\n  content: hi\n  append: true\n',
    "write_files:\n- path: /etc/a\n  content: hi\n  append: 'true'\n",
    'write_files:\n- path: /etc/a\n  content: hi\n  append: on\n',
    'write_files:\n- path: /etc/a\n  content: hi\n  append: y\n',
    'write_files:\n- path: /etc/a\n  content: hi\n  append: 1\n',
    'write_files:\n- path: /etc/a\n  content: hi\n  append: no\n',
    'write_files:\n- path: /etc/a\n  content: aGkK\n  encoding: b64\n',
    'write_files:\n- path: /etc/a\n  content: !!binary aGkK\n',
    `write_files:\n- path: /etc/a\n  content: ${gzipSync('hi\n').toString('base64')}\n  encoding: gz+b64\n`,
    'write_files:\n- path: /etc/a\n  content: café\n  encoding: text/plain\n',
    'runcmd:\n- [ls, -l, /]\n- [sh, -xc, "echo $(date) \': hello world!\'"]\n- ls -l /root\n- [chmod, 0755, /x]\n- [echo, yes, no, ~, 1:30, 1.5]\n',
  ];

  it('modes, append, contents and commands agree', () => {
    const theirs = probe('cloud-config', forms.map((f) => `#cloud-config\n${f}`));
    forms.forEach((form, i) => {
      const answer = theirs[i]!;
      expect('value' in answer, `${form}: ${JSON.stringify(answer)}`).toBe(true);
      const expected = (answer as { value: { files: { path: string; mode: number; append: boolean; owner: string; content: string }[]; runcmd: string } }).value;
      const cfg = emptyCloudConfig();
      addCloudConfig(cfg, `#cloud-config\n${form}`, 'part 1');
      expect(
        cfg.writeFiles.map((f) => ({ path: f.path, mode: f.mode, append: f.append, owner: f.owner, content: Buffer.from(f.content).toString('base64') })),
        form,
      ).toEqual(expected.files);
      expect(cfg.runcmd.map((l) => `${l}\n`).join(''), form).toBe(expected.runcmd);
    });
  });
});

describe("NoCloud meta-data is read as cloud-init's NoCloud datasource reads it", () => {
  const dir = tempDir();
  for (const [name, meta] of [
    ['an octal-looking instance id', 'instance-id: 010\nlocal-hostname: web-1\n'],
    ['a sexagesimal instance id, y and n', 'instance-id: 1:30\nlocal-hostname: y\n'],
  ] as const) {
    it(name, () => {
      const tree = join(dir, name.replaceAll(' ', '-'));
      const files = [
        { name: 'meta-data', content: new Uint8Array(Buffer.from(meta)) },
        { name: 'user-data', content: new Uint8Array() },
      ];
      writeContextDir(tree, files);
      const ds = cloudInitDatasource('nocloud', tree);
      const ctx = decodeNoCloud(new Map(files.map((f) => [f.name, f.content])));
      expect(ds.found).toBe(true);
      expect([ctx.instanceId, ctx.hostname]).toEqual([ds.instance_id, ds.hostname]);
    });
  }
});
