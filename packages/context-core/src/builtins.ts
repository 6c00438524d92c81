import { createRequire } from 'node:module';

/**
 * Node built-ins that not every use of the library needs, loaded on first
 * use. The guest agent runs at every boot and most contexts need neither
 * gzip nor a hash: loading `node:crypto` and `node:zlib` up front costs
 * several milliseconds of its start.
 */
const load = createRequire(import.meta.url);

export const nodeZlib = (): typeof import('node:zlib') => load('node:zlib') as typeof import('node:zlib');
export const nodeCrypto = (): typeof import('node:crypto') => load('node:crypto') as typeof import('node:crypto');
export const nodeChildProcess = (): typeof import('node:child_process') => load('node:child_process') as typeof import('node:child_process');

