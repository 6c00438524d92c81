import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildMultipart } from '@stratus-context/core';
import { FIXTURES, REPO, runAgentBundle, tempDir } from './helpers.js';

/**
 * YAML found by fuzzing that crashed the process reading it. A V8 abort
 * (SIGABRT) or an out-of-memory death cannot be caught in-process, so each
 * input is read by the built packages (`npm run build`) in a child process,
 * which must exit cleanly with the typed error.
 */

const READERS = {
  'meta-data': {
    module: join(REPO, 'packages/context-core/dist/index.js'),
    call: "m.decodeNoCloud(new Map([['meta-data', new Uint8Array(Buffer.from(text))]]))",
    code: 'bad-meta-data',
  },
  '#cloud-config': {
    module: join(REPO, 'packages/guest-agent/dist/index.js'),
    call: "m.addCloudConfig(m.emptyCloudConfig(), '#cloud-config\\n' + text, 'part 1')",
    code: 'bad-cloud-config',
  },
} as const;

type Outcome = { outcome: 'value' } | { outcome: 'context-error'; code: string; kind: string } | { outcome: 'other-error'; name: string; message: string };

/** Reads `text` `times` times in one child process with a V8 heap of `heapMb`. */
function readInChild(reader: keyof typeof READERS, text: string, times: number, heapMb = 256) {
  const { module, call } = READERS[reader];
  const script = `
    import { readFileSync } from 'node:fs';
    const m = await import(${JSON.stringify(pathToFileURL(module).href)});
    const text = readFileSync(0, 'utf8');
    for (let i = 0; i < ${times}; i++) {
      let r;
      try { ${call}; r = { outcome: 'value' }; }
      catch (e) { r = e?.name === 'ContextError' ? { outcome: 'context-error', code: e.code, kind: e.kind } : { outcome: 'other-error', name: e?.name, message: String(e?.message).slice(0, 200) }; }
      console.log(JSON.stringify(r));
    }`;
  const res = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, '--input-type=module', '-e', script], {
    input: text,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 16 << 20,
  });
  const outcomes = res.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Outcome);
  return { status: res.status, signal: res.signal, stderr: res.stderr.slice(-500), outcomes };
}

function expectRefused(reader: keyof typeof READERS, text: string, times: number, heapMb?: number): void {
  const r = readInChild(reader, text, times, heapMb);
  expect({ status: r.status, signal: r.signal }, r.stderr).toEqual({ status: 0, signal: null });
  expect(r.outcomes).toEqual(Array.from({ length: times }, () => ({ outcome: 'context-error', code: READERS[reader].code, kind: 'limit' })));
}

const nested = (levels: number) => `${'- '.repeat(levels)}x\n`;

describe('YAML that crashed the process is refused with a typed error', () => {
  for (const reader of Object.keys(READERS) as (keyof typeof READERS)[]) {
    describe(reader, () => {
      it('6 KB of nested `- ` (a RangeError from inside the parser; the agent exited 70, no keys installed)', () => {
        expectRefused(reader, nested(3000), 1);
      });

      it('2 KB of nested `- ` read twice in one process (aborted: RegExpCompiler Allocation failed)', () => {
        expectRefused(reader, nested(1000), 2);
      });

      it('a 1 MB run of `- - -`, 4 KB gzipped, in a 64 MB heap (300 bytes of memory a byte; 947 MB)', () => {
        const text = '- '.repeat(500_000);
        expect(gzipSync(text).length).toBeLessThan(4096);
        expectRefused(reader, text, 1, 64);
      });

      it('nesting over the limit hidden after valid lines, in block and flow style', () => {
        const text = `a: 1\nb: [1, 2]\nc: |\n  text\nd:\n${'  '.repeat(1)}${nested(70)}e: ${'['.repeat(70)}${']'.repeat(70)}\n`;
        expectRefused(reader, text, 2);
      });
    });
  }
});

describe('the agent bundle, as installed in guests', () => {
  it('two parts of 2 KB nested `- ` fail alone; the keys and a valid part with `permissions: 0644` and `append: yes` apply', () => {
    const base = tempDir('stratus-yaml-');
    const root = join(base, 'root');
    for (const d of ['etc', 'root', 'var']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(root, 'etc/motd'), 'old\n');
    const key = readFileSync(join(FIXTURES, 'keys/ed25519.pub'), 'utf8').trim();
    const part = (name: string, text: string) => ({ type: 'text/cloud-config', filename: name, content: new Uint8Array(Buffer.from(`#cloud-config\n${text}`)) });
    const userData = buildMultipart([
      part('deep-1', nested(1000)),
      part('deep-2', nested(1000)),
      part('motd', 'write_files:\n- path: /etc/motd\n  content: "new\\n"\n  permissions: 0644\n  append: yes\n'),
    ]);
    const context = join(base, 'context.sh');
    writeFileSync(context, `SSH_PUBLIC_KEY='${key}'\nUSER_DATA_ENCODING='base64'\nUSER_DATA='${Buffer.from(userData).toString('base64')}'\n`);
    const r = runAgentBundle(['apply', '--root', root, '--source', context, '--json']);
    expect({ status: r.status, signal: r.signal }, r.stderr).toEqual({ status: 3, signal: null });
    const report = JSON.parse(r.stdout) as { failures: { item: string }[] };
    expect(report.failures.map((f) => f.item)).toEqual([expect.stringMatching(/part 1 \(deep-1\)/), expect.stringMatching(/part 2 \(deep-2\)/)]);
    expect(readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8')).toBe(`${key}\n`);
    expect(readFileSync(join(root, 'etc/motd'), 'utf8')).toBe('old\nnew\n');
    expect(statSync(join(root, 'etc/motd')).mode & 0o7777).toBe(0o644);
  });
});
