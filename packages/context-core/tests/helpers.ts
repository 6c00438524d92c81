import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ContextError } from '../src/errors.js';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

export function fixture(path: string): Buffer {
  return readFileSync(`${FIXTURES}${path}`);
}

export function fixtureText(path: string): string {
  return fixture(path).toString('utf8');
}

/** Runs `fn`, expects a ContextError with `code`, returns it for further checks. */
export function expectContextError(fn: () => unknown, code: string): ContextError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ContextError);
    expect((e as ContextError).code).toBe(code);
    return e as ContextError;
  }
  throw new Error(`expected a ContextError with code ${code}, but nothing was thrown`);
}

export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
