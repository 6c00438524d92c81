/**
 * One error type for everything the library refuses. `code` is stable (tests
 * and programs match on it); `kind` says who is at fault:
 *  - `invalid-input`: the caller or user gave something wrong (a bad pair, a
 *    missing file, a private key);
 *  - `corrupt-data`: bytes read from outside (a context file, a disk) are not
 *    what the format allows;
 *  - `limit`: the input is well-formed but over a documented limit;
 *  - `internal`: a fault of ours.
 * `input` names the offending thing (pair, file, line, byte offset) so a
 * command can print one line without a stack trace.
 */
export type ContextErrorKind = 'invalid-input' | 'corrupt-data' | 'limit' | 'internal';

export interface ContextErrorInput {
  pair?: string;
  file?: string;
  line?: number;
  offset?: number;
  key?: string;
}

export class ContextError extends Error {
  override readonly name = 'ContextError';
  readonly code: string;
  readonly kind: ContextErrorKind;
  readonly input: ContextErrorInput;

  constructor(
    code: string,
    kind: ContextErrorKind,
    message: string,
    input: ContextErrorInput = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.kind = kind;
    this.input = input;
  }
}

export function invalidInput(code: string, message: string, input?: ContextErrorInput, cause?: unknown): ContextError {
  return new ContextError(code, 'invalid-input', message, input, cause === undefined ? undefined : { cause });
}

export function corruptData(code: string, message: string, input?: ContextErrorInput, cause?: unknown): ContextError {
  return new ContextError(code, 'corrupt-data', message, input, cause === undefined ? undefined : { cause });
}

export function overLimit(code: string, message: string, input?: ContextErrorInput): ContextError {
  return new ContextError(code, 'limit', message, input);
}

export function isContextError(e: unknown): e is ContextError {
  return e instanceof ContextError;
}
