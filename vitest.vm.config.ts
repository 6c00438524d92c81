import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** The VM tests (npm run test:vm): real guests under qemu, one at a time; the same module aliases as the unit tests. */
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['test/vm/**/*.vm.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
  },
});
