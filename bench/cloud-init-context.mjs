// Contexts per second: one public key plus one 20-line script to
// cloud-init.txt, by this library in-process versus Python's email.mime +
// gzip + base64 (what the original tool and cloud-init use), in-process too,
// measured alternately in the same run. Target: at least 5x the Python rate.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFromPairs, encodeCloudInitKeyValues, splitPairs } from '../packages/context-core/dist/index.js';
import { peerPython, report, rounds, SECONDS } from './lib.mjs';

const repo = new URL('..', import.meta.url).pathname;
const keyFile = join(repo, 'fixtures/keys/ed25519.pub');
const dir = mkdtempSync(join(tmpdir(), 'bench-ctx-'));
const scriptFile = join(dir, 'run.sh');
const lines = ['#!/bin/sh', ...Array.from({ length: 19 }, (_, i) => `echo "step ${i + 1}: configuring the web server" >> /var/log/ctx.log`)];
writeFileSync(scriptFile, `${lines.join('\n')}\n`);

const key = new Uint8Array(readFileSync(keyFile));
const script = new Uint8Array(readFileSync(scriptFile));
const pairs = splitPairs([`ssh,${keyFile}`, `x-shellscript,${scriptFile}`]);

function ours(seconds) {
  let n = 0;
  const start = performance.now();
  for (;;) {
    for (let i = 0; i < 100; i++) {
      const { context } = contextFromPairs([
        { pair: pairs[0], path: keyFile, content: key },
        { pair: pairs[1], path: scriptFile, content: script },
      ]);
      encodeCloudInitKeyValues(context);
    }
    n += 100;
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) return n / elapsed;
  }
}

function python(seconds) {
  return Number(execFileSync(peerPython(), [join(repo, 'bench/context_encode.py'), keyFile, scriptFile, String(seconds)], { encoding: 'utf8' }).trim());
}

try {
  ours(0.3); // warm up the JIT
  const results = rounds(3, { 'stratus-context (contexts/s)': () => ours(SECONDS), 'python email.mime+gzip+base64 (contexts/s)': () => python(SECONDS) });
  report('cloud-init.txt encoding: 1 key + 20-line script', results, 'stratus-context (contexts/s)', 'python email.mime+gzip+base64 (contexts/s)', 5);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
