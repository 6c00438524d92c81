/**
 * Inputs found by fuzzing that took quadratic time or memory out of
 * proportion to their size. Each size is one where the old code took many
 * seconds (or hundreds of MiB) and a linear one takes milliseconds, so the
 * bounds are loose enough for a loaded machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCloudInitKeyValues } from '../src/cloud-init-kv.js';
import { contextFromPairs } from '../src/context-from-pairs.js';
import { parseKeyValues } from '../src/key-values.js';
import { loadContext } from '../src/node/load-context.js';
import { parseShellVariables } from '../src/shell-vars.js';
import { parsePublicKeyFile } from '../src/ssh-keys.js';
import { runWithHeapLimit } from './heap-limit.js';
import { fixture, fixtureText } from './helpers.js';

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe('linear time on hostile runs', () => {
  it('cloud-init.txt: a value with a 100 KB run of blanks inside (was 15 s)', () => {
    const { value, ms } = timed(() => parseKeyValues(fixtureText('fuzz/cloud-init-txt-blank-run.txt')));
    expect(value[1]?.value).toBe(`x${' \t'.repeat(50_000)}y`);
    expect(ms).toBeLessThan(1000);
  });

  it('RFC 4716 keys: 80 000 blocks in one file (was 7 s)', () => {
    const block = fixtureText('keys/ed25519.rfc4716.pub');
    const { value, ms } = timed(() => parsePublicKeyFile(block.repeat(80_000)));
    expect(value).toHaveLength(80_000);
    // Linear: under a second on a quiet machine (80 000 keys decoded), several on a loaded one.
    expect(ms).toBeLessThan(4000);
  });

  it('context.sh: a word of 250 000 quoted pieces (was 4 s: each piece scanned to the end for line breaks)', () => {
    const word = fixture('fuzz/context-sh-quote-runs.sh').toString('latin1').trim().repeat(10);
    const { value, ms } = timed(() => parseShellVariables(`${word}\nB='\n'\nC=1\n`));
    expect(value.map((v) => [v.key, v.line])).toEqual([['A', 1], ['B', 2], ['C', 4]]);
    expect(value[0]?.value).toBe("A=''".repeat(250_000 - 1).replaceAll("'", ''));
    expect(ms).toBeLessThan(1000);
  });

  it('the path of a part: 100 000 slashes before its base name (was 5 s)', () => {
    const path = fixtureText('fuzz/pairs-slash-run.txt').trim().replace(/^x-shellscript,/, '');
    const { value, ms } = timed(() => contextFromPairs([{ pair: { type: 'text/x-shellscript', path, text: 'x' }, path, content: new Uint8Array() }]));
    expect(value.context.parts[0]?.filename).toBe('run.sh');
    expect(ms).toBeLessThan(1000);
  });

  it('the format sniff of a single file: 64 KiB of newlines (was 2.3 s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sniff-'));
    try {
      const file = join(dir, 'context');
      writeFileSync(file, fixture('fuzz/loader-newline-run.txt'));
      const start = performance.now();
      const loaded = await loadContext(file);
      expect(performance.now() - start).toBeLessThan(1000);
      expect(loaded.format).toBe('opennebula');
      writeFileSync(file, `${'\n'.repeat(1000)}  export CONTEXT_METHOD = cloud-init\n`);
      expect((await loadContext(file)).format).toBe('cloud-init');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const src = (p: string) => fileURLToPath(new URL(`../src/${p}`, import.meta.url));
/** Old-generation heap the decoders below run in: several times their input, far below what the old code took. */
const HEAP_MB = 256;

describe('memory in proportion to the input', () => {
  it('a quoted-printable part of 30 MB inside a 40 KB cloud-init.txt (was 1.3 GiB)', async () => {
    const userData = `MIME-Version: 1.0\nContent-Type: text/x-shellscript\nContent-Transfer-Encoding: quoted-printable\n\n=41${'A'.repeat(30_000_000)}\n`;
    const txt = `CONTEXT_METHOD=cloud-init\nCLOUD_INIT_USER_DATA=${gzipSync(userData, { level: 9 }).toString('base64')}\n`;
    expect(txt.length).toBeLessThan(64 * 1024);
    expect(decodeCloudInitKeyValues(txt).parts[0]?.content.length).toBe(30_000_002);
    const r = await runWithHeapLimit(src('cloud-init-kv.ts'), 'decodeCloudInitKeyValues', [txt], HEAP_MB);
    expect(r, r.message).toEqual({ outcome: 'value' });
  });

  it('a pair path of 3 million literal dollars (a string piece for each)', async () => {
    const path = fixtureText('fuzz/pairs-dollar-run.txt').trim().replace(/^x-shellscript,/, '').repeat(4);
    const r = await runWithHeapLimit(src('pairs.ts'), 'expandPath', [path, { env: {} }], 48);
    expect(r, r.message).toEqual({ outcome: 'value' });
  });

  for (const [what, value] of [
    ['double-quoted', (s: string) => `"${s}"`],
    ['bare', (s: string) => s],
  ] as const) {
    it(`a ${what} context.sh value of 16 MiB (was 669 MiB)`, async () => {
      const text = `A=${value('x'.repeat(16 * 1024 * 1024))}\n`;
      const r = await runWithHeapLimit(src('shell-vars.ts'), 'parseShellVariables', [text], HEAP_MB);
      expect(r, r.message).toEqual({ outcome: 'value' });
    });
  }
});
