/**
 * Runs one target's inputs, one message at a time, and answers each with
 * its outcome: `value`, `context-error`, or `exception` (a finding). The
 * parent's watchdog and this thread's heap limit catch the rest.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isContextError } from '@stratus-context/core';
import { CANARIES } from './targets/canaries.mjs';
import { calls } from './targets/common.mjs';
import { TARGETS } from './targets/index.mjs';

const target = [...TARGETS, ...CANARIES].find((t) => t.name === workerData.target);
const ready = target.prepare === undefined || (await target.prepare());
parentPort.postMessage({ ready });

/** What a finding's report shows of an exception: its name, message and first frames. */
function describe(e) {
  if (!(e instanceof Error)) return `thrown non-Error: ${String(e).slice(0, 200)}`;
  return (e.stack ?? `${e.name}: ${e.message}`).split('\n').slice(0, 6).join('\n');
}

parentPort.on('message', async ({ id, input }) => {
  const start = performance.now();
  let outcome = 'value';
  let error;
  calls.made = 0;
  calls.refused = 0;
  try {
    await target.run(input, workerData.scratch);
    if (calls.made > 0 && calls.refused === calls.made) outcome = 'context-error';
  } catch (e) {
    if (isContextError(e)) outcome = 'context-error';
    else {
      outcome = 'exception';
      error = describe(e);
    }
  }
  parentPort.postMessage({ id, outcome, error, ms: performance.now() - start });
});
