/**
 * Runs saved inputs in this process, for a finding's diagnosis:
 *
 *     node fuzz/replay.mjs fuzz/findings/context-sh-0123456789abcdef.bin ...
 *
 * The target is the file name up to its last `-`. Prints each outcome and time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isContextError } from '@stratus-context/core';
import { TARGETS } from './targets/index.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'stratus-fuzz-'));
try {
  for (const file of process.argv.slice(2)) {
    const name = basename(file).replace(/-[^-]*$/, '');
    const target = TARGETS.find((t) => t.name === name);
    if (target === undefined) throw new Error(`${file}: no target ${name}`);
    if (target.prepare !== undefined && !(await target.prepare())) throw new Error(`${name}: empty slot`);
    const input = new Uint8Array(readFileSync(file));
    const start = performance.now();
    let outcome = 'value';
    try {
      await target.run(input, scratch);
    } catch (e) {
      outcome = isContextError(e) ? `ContextError ${e.code}: ${e.message.slice(0, 200)}` : `EXCEPTION ${e?.stack ?? e}`;
    }
    console.log(`${file}: ${input.length} bytes, ${(performance.now() - start).toFixed(0)} ms, ${outcome}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
