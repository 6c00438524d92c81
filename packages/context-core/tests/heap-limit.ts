import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';

export type HeapLimitedOutcome = { outcome: 'value' | 'context-error' | 'other-error' | 'out-of-memory'; code?: string; message?: string };

const RUNNER = `
import { parentPort, workerData } from 'node:worker_threads';
const m = await import(workerData.module);
try {
  await m[workerData.fn](...workerData.args);
  parentPort.postMessage({ outcome: 'value' });
} catch (e) {
  parentPort.postMessage({ outcome: e?.name === 'ContextError' ? 'context-error' : 'other-error', code: e?.code, message: String(e?.message).slice(0, 300) });
}
`;

/**
 * Calls `fn` of the source module `entry` (bundled with esbuild, so that a
 * worker can load it) in a worker thread whose V8 heap is capped at
 * `heapMb`: a decoder that holds its input as millions of small objects or
 * string pieces dies there with out-of-memory, which the outcome reports.
 */
export async function runWithHeapLimit(entry: string, fn: string, args: unknown[], heapMb: number): Promise<HeapLimitedOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'heap-limit-'));
  try {
    const module = join(dir, 'module.mjs');
    const bundle = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    writeFileSync(module, bundle.outputFiles[0]!.contents);
    const runner = join(dir, 'runner.mjs');
    writeFileSync(runner, RUNNER);
    return await new Promise<HeapLimitedOutcome>((resolve, reject) => {
      const worker = new Worker(runner, {
        workerData: { module: pathToFileURL(module).href, fn, args },
        resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 },
      });
      worker.once('message', (m: HeapLimitedOutcome) => {
        resolve(m);
        void worker.terminate();
      });
      worker.once('error', (e: Error & { code?: string }) => (e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? resolve({ outcome: 'out-of-memory' }) : reject(e)));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
