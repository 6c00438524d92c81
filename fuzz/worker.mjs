/**
 * Runs one target's inputs, one message at a time, and answers each with
 * its outcome: `value`, `context-error`, or `exception` (a finding). The
 * parent's watchdog and this thread's heap limit catch the rest.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CANARIES } from './targets/canaries.mjs';
import { runTarget } from './targets/common.mjs';
import { TARGETS } from './targets/index.mjs';

const target = [...TARGETS, ...CANARIES].find((t) => t.name === workerData.target);
const ready = target.prepare === undefined || (await target.prepare());
parentPort.postMessage({ ready });

parentPort.on('message', async ({ id, input }) => {
  const start = performance.now();
  const { outcome, error } = await runTarget(target, input, workerData.scratch);
  parentPort.postMessage({ id, outcome, error: outcome === 'exception' ? error : undefined, ms: performance.now() - start });
});
