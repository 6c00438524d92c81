/**
 * The parent's side of one worker thread: sends an input, and turns the
 * answer, the watchdog or the thread's death into an outcome.
 */
import { Worker } from 'node:worker_threads';

/** V8 old-generation heap of a worker: several times what a 1 MiB input (32 MiB once gunzipped) needs. */
export const HEAP_MB = 256;

export class TargetWorker {
  constructor(target, scratch) {
    this.target = target;
    this.scratch = scratch;
    this.worker = undefined;
    this.pending = undefined;
    this.nextId = 0;
  }

  /** Starts the thread; resolves to false when the target's slot is empty (its code is not built). */
  start() {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { target: this.target.name, scratch: this.scratch },
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 32 },
    });
    this.worker = worker;
    // Events of a thread already given up (after a timeout) are ignored.
    const dead = (outcome) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.settle(outcome);
    };
    worker.on('message', (m) => this.worker === worker && this.settle(m));
    worker.on('error', (e) => dead(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { outcome: 'out-of-memory' } : { outcome: 'crash', error: String(e?.stack ?? e) }));
    worker.on('exit', (code) => dead({ outcome: 'crash', error: `worker exited with code ${code}` }));
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve: (m) => (m.ready !== undefined ? resolve(m.ready) : reject(new Error(`${this.target.name}: worker failed to start: ${m.error ?? m.outcome}`))),
        timer: undefined,
      };
    });
  }

  settle(message) {
    const p = this.pending;
    if (p === undefined || (message.id !== undefined && message.id !== p.id)) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(message);
  }

  /** Runs one input: resolves to `{ outcome, error?, ms? }`; after a timeout, an OOM or a crash the thread is gone. */
  async run(input, timeoutMs) {
    if (this.worker === undefined) await this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stop();
        this.settle({ id, outcome: 'timeout' });
      }, timeoutMs);
      this.pending = { id, resolve, timer };
      this.worker.postMessage({ id, input });
    });
  }

  stop() {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) void w.terminate();
  }
}
