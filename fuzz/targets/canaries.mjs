/**
 * Targets that fail on purpose, one for each kind of finding but a dead
 * thread: `run.mjs --self-test` checks that the harness reports each one as
 * what it is. Not part of TARGETS.
 */
import { ContextError } from '@stratus-context/core';

const base = { maxBytes: 16, timeoutMs: 500, seeds: () => [new Uint8Array([0x78])], tokens: ['x'], generators: [] };

export const CANARIES = [
  { ...base, name: 'canary-context-error', expect: 'context-error', run: () => { throw new ContextError('canary', 'corrupt-data', 'refused on purpose'); } },
  { ...base, name: 'canary-exception', expect: 'exception', run: (input) => input.nothing.length },
  { ...base, name: 'canary-timeout', expect: 'timeout', run: () => { for (;;); } },
  {
    ...base,
    name: 'canary-out-of-memory',
    expect: 'out-of-memory',
    timeoutMs: 60_000,
    run: () => {
      const held = [];
      for (;;) held.push(new Array(1 << 20).fill(held.length));
    },
  },
];
