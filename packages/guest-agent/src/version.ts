import { readFileSync } from 'node:fs';

declare const __AGENT_VERSION__: string | undefined;

/** The agent's version: inlined into the bundle at build time, else read from package.json. */
export const VERSION: string =
  typeof __AGENT_VERSION__ === 'string'
    ? __AGENT_VERSION__
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
