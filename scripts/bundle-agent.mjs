// Bundles the guest agent into one file that needs only `node` in the guest:
// packages/guest-agent/dist/stratus-context-agent.mjs. Targets Node 18, the
// nodejs of Debian 12 images.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = new URL('../packages/guest-agent/', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', pkg), 'utf8'));

const lazyShim = new URL('agent-yaml-lazy.cjs', import.meta.url).pathname;

/** Our imports of `yaml` go through a shim that evaluates the library on first use. */
const lazyYaml = {
  name: 'lazy-yaml',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, (args) => (args.importer === lazyShim ? undefined : { path: lazyShim }));
  },
};

await build({
  entryPoints: [new URL('src/main.ts', pkg).pathname],
  outfile: new URL('dist/stratus-context-agent.mjs', pkg).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  minify: true,
  legalComments: 'none',
  define: { __AGENT_VERSION__: JSON.stringify(version) },
  // The YAML library require()s Node built-ins: give the ES module bundle a require.
  banner: { js: `#!/usr/bin/env node\nimport { createRequire as __stratusRequire } from 'node:module';\nconst require = __stratusRequire(import.meta.url);` },
  plugins: [lazyYaml],
  logLevel: 'warning',
});
