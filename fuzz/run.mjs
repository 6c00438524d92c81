/**
 * The fuzzer of every parser of outside input (fuzz/README.md):
 *
 *     npm run fuzz -- --seconds 60 [--target iso9660,loader] [--seed 42]
 *
 * The time is split evenly between the targets. Each replays its corpus
 * (fixtures/fuzz/<target>-*), then runs generated inputs in a worker thread
 * with a watchdog and a heap limit. The rule: every input gives a value or
 * a ContextError, within the target's time bound and the heap. Anything
 * else (another exception, a timeout, out-of-memory, a dead thread) is a
 * finding, saved as fuzz/findings/<target>-<hash>.bin; the exit code is 1
 * when there is one. `--keep-slowest` also saves the slowest input of each
 * target as fuzz/findings/slowest/<target>-slowest.bin and prints how its
 * time grows from a quarter of it to all of it (4x is linear, a quadratic
 * scan shows 16x; a prefix refused early, as a cut image is, shows more
 * for no fault). `--self-test` checks instead that the harness reports
 * each kind of failure (targets/canaries.mjs).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nextInput, random } from './mutate.mjs';
import { corpus } from './samples.mjs';
import { HEAP_MB, TargetWorker } from './target-worker.mjs';
import { CANARIES } from './targets/canaries.mjs';
import { TARGETS } from './targets/index.mjs';

const FINDINGS = fileURLToPath(new URL('./findings/', import.meta.url));
/** Inputs saved per distinct failure (the same exception at the same place). */
const SAVED_PER_SIGNATURE = 3;
/** Inputs warmed through a fresh thread before a timed-out input is tried once more. */
const WARM_UP = 10;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    target: { type: 'string' },
    seed: { type: 'string' },
    'self-test': { type: 'boolean' },
    'keep-slowest': { type: 'boolean' },
  },
});
if (args['self-test']) process.exit(await selfTest());

/** Runs each canary once: the harness must report the kind of failure each one stages. */
async function selfTest() {
  let failed = 0;
  for (const canary of CANARIES) {
    const worker = new TargetWorker(canary, tmpdir());
    await worker.start();
    const result = await worker.run(canary.seeds()[0], canary.timeoutMs);
    worker.stop();
    const ok = result.outcome === canary.expect;
    if (!ok) failed += 1;
    console.log(`self-test ${canary.name}: ${result.outcome}${ok ? '' : `, expected ${canary.expect}`}`);
  }
  return failed === 0 ? 0 : 1;
}
const seconds = Number(args.seconds);
if (!(seconds > 0)) throw new Error(`--seconds takes a positive number, not ${args.seconds}`);
const wanted = args.target?.split(',');
const unknown = wanted?.filter((n) => !TARGETS.some((t) => t.name === n)) ?? [];
if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')} (known: ${TARGETS.map((t) => t.name).join(', ')})`);
const targets = TARGETS.filter((t) => wanted === undefined || wanted.includes(t.name));
const seed = args.seed !== undefined ? Number(args.seed) : Date.now() % 2 ** 31;
const rng = random(seed);
const scratch = mkdtempSync(join(tmpdir(), 'stratus-fuzz-'));
const signatures = new Map();
let findings = 0;

function report(target, input, result) {
  const error = result.error ?? `${result.outcome} (bound ${target.timeoutMs} ms, heap ${HEAP_MB} MiB)`;
  const signature = `${target.name} ${result.outcome} ${error.split('\n').slice(0, 2).join(' ')}`;
  const seen = signatures.get(signature) ?? 0;
  signatures.set(signature, seen + 1);
  findings += 1;
  if (seen >= SAVED_PER_SIGNATURE) return;
  mkdirSync(FINDINGS, { recursive: true });
  const file = join(FINDINGS, `${target.name}-${createHash('sha256').update(input).digest('hex').slice(0, 16)}.bin`);
  writeFileSync(file, input);
  console.log(`FINDING ${target.name}: ${result.outcome}, ${input.length} bytes, saved as ${file}\n  ${error.replaceAll('\n', '\n  ')}`);
}

/** One input; a timeout is tried again once in a fresh, warmed thread before it counts (a loaded machine stalls). */
async function runOne(worker, prepared, input) {
  const result = await worker.run(input, prepared.timeoutMs);
  if (result.outcome !== 'timeout') return result;
  for (const s of prepared.seeds.slice(0, WARM_UP)) await worker.run(s, prepared.timeoutMs);
  return worker.run(input, prepared.timeoutMs);
}

/** Saves the slowest input, and prints its best-of-3 time for a quarter of it and for all of it. */
async function keepSlowest(worker, prepared, input) {
  mkdirSync(join(FINDINGS, 'slowest'), { recursive: true });
  writeFileSync(join(FINDINGS, 'slowest', `${prepared.name}-slowest.bin`), input);
  const best = async (bytes) => {
    let ms = Infinity;
    for (let k = 0; k < 3; k++) ms = Math.min(ms, (await worker.run(bytes, prepared.timeoutMs)).ms ?? Infinity);
    return ms;
  };
  const quarter = await best(input.subarray(0, input.length >> 2));
  const all = await best(input);
  console.log(`slowest ${prepared.name}: ${input.length} bytes, ${all.toFixed(0)} ms; a quarter of it ${quarter.toFixed(0)} ms (${(all / Math.max(quarter, 0.1)).toFixed(1)}x)`);
}

async function fuzz(target, budgetMs) {
  const start = performance.now();
  const stats = { inputs: 0, value: 0, 'context-error': 0, findings: 0, maxMs: 0 };
  const worker = new TargetWorker(target, scratch);
  if (!(await worker.start())) {
    worker.stop();
    return { ...stats, empty: true, ms: performance.now() - start };
  }
  const prepared = {
    ...target,
    seeds: [...target.seeds(), ...corpus(target.name).map((c) => c.input)],
    generators: typeof target.generators === 'function' ? target.generators() : (target.generators ?? []),
  };
  const replay = corpus(target.name).map((c) => c.input);
  // The budget starts once the seeds are made (the disk seeds take a second).
  const from = performance.now();
  while (replay.length > 0 || performance.now() - from < budgetMs) {
    const input = replay.shift() ?? nextInput(rng, prepared);
    const result = await runOne(worker, prepared, input);
    stats.inputs += 1;
    if (result.outcome === 'value' || result.outcome === 'context-error') {
      stats[result.outcome] += 1;
      if (result.ms > stats.maxMs) {
        stats.maxMs = result.ms;
        stats.slowest = input;
      }
    } else {
      stats.findings += 1;
      report(target, input, result);
    }
  }
  if (args['keep-slowest'] && stats.slowest !== undefined) await keepSlowest(worker, prepared, stats.slowest);
  worker.stop();
  return { ...stats, ms: performance.now() - start };
}

console.log(`fuzz: ${targets.length} targets, ${seconds} s, seed ${seed}`);
const rows = [];
try {
  for (const target of targets) {
    const s = await fuzz(target, (seconds * 1000) / targets.length);
    const row = s.empty
      ? `${target.name.padEnd(20)} empty slot: ${target.about} is not built`
      : `${target.name.padEnd(20)}${String(s.inputs).padStart(8)}${String(s.value).padStart(8)}${String(s['context-error']).padStart(8)}${String(s.findings).padStart(9)}${s.maxMs.toFixed(0).padStart(8)}${(s.ms / 1000).toFixed(1).padStart(7)} s   bound ${target.timeoutMs} ms`;
    rows.push(row);
    console.log(row);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`\n${'target'.padEnd(20)}  inputs  values  errors findings  max ms   time`);
for (const row of rows) console.log(row);
console.log(findings === 0 ? '\nno findings' : `\n${findings} findings (${signatures.size} distinct), inputs in ${FINDINGS}`);
process.exitCode = findings === 0 ? 0 : 1;
