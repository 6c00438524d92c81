/**
 * Runs saved inputs in this process, for a finding's diagnosis:
 *
 *     node fuzz/replay.mjs fuzz/findings/context-sh-0123456789abcdef.bin fixtures/fuzz/*
 *
 * The target is the one whose name, and a `-`, start the file's name.
 * Prints each outcome and time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runTarget } from './targets/common.mjs';
import { TARGETS } from './targets/index.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'stratus-fuzz-'));
try {
  for (const file of process.argv.slice(2)) {
    const target = TARGETS.find((t) => basename(file).startsWith(`${t.name}-`));
    if (target === undefined) throw new Error(`${file}: the name starts with no target's name`);
    if (target.prepare !== undefined && !(await target.prepare())) throw new Error(`${target.name}: empty slot`);
    const input = new Uint8Array(readFileSync(file));
    const start = performance.now();
    const { outcome, error } = await runTarget(target, input, scratch);
    const ms = performance.now() - start;
    console.log(`${file}: ${input.length} bytes, ${ms.toFixed(0)} ms, ${outcome}${error === undefined ? '' : `\n  ${error.slice(0, 400).replaceAll('\n', '\n  ')}`}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
