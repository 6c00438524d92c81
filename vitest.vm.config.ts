import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The VM tests (npm run test:vm): real guests under qemu, one at a time. */
export default defineConfig({
  resolve: {
    alias: {
      '@stratus-context/core/node': src('./packages/context-core/src/node/index.ts'),
      '@stratus-context/core': src('./packages/context-core/src/index.ts'),
    },
  },
  test: {
    include: ['test/vm/**/*.vm.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
  },
});
