import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@stratus-context/core/node': src('./packages/context-core/src/node/index.ts'),
      '@stratus-context/core': src('./packages/context-core/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/tests/**/*.test.ts', 'test/**/*.test.ts'],
    // The VM tests have their own command and configuration (npm run test:vm).
    exclude: ['test/vm/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
