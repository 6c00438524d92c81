import { CommanderError, type Command } from 'commander';
import { isContextError } from '@stratus-context/core';

/** Exit statuses shared by the commands. */
export const EXIT_OK = 0;
/** The input was refused: a bad pair, a missing file, a corrupt context. */
export const EXIT_REFUSED = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;
/** A fault of ours; the message asks for a report. */
export const EXIT_INTERNAL = 70;

/** Writes one `name: warning: ...` line to stderr. */
export function warn(program: string, message: string): void {
  process.stderr.write(`${program}: warning: ${message}\n`);
}

/**
 * Runs a commander program: usage errors exit 2, refused input exits 1 with
 * one line on stderr and no stack trace, anything else is reported as ours.
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  const name = program.name();
  // A reader that stops early (`| head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  program.exitOverride();
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `${name}: ${s}` : s),
    outputError: (s, write) => write(s),
  });
  for (const sub of program.commands) {
    sub.exitOverride();
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (isContextError(e)) {
      process.stderr.write(`${name}: error: ${e.message}\n`);
      return EXIT_REFUSED;
    }
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code === 'string' && typeof err.syscall === 'string') {
      // An operating-system refusal (EACCES on the output, ENOSPC, EPIPE): the user's to fix.
      process.stderr.write(`${name}: error: ${err.message}\n`);
      return EXIT_REFUSED;
    }
    process.stderr.write(`${name}: internal error (please report it): ${err?.stack ?? String(e)}\n`);
    return EXIT_INTERNAL;
  }
}

/** Parses a non-negative whole number of bytes for an option. */
export function parseByteCount(value: string, option: string): number {
  if (!/^\d+$/.test(value)) {
    throw new CommanderError(EXIT_USAGE, 'commander.invalidArgument', `error: ${option} takes a whole number of bytes, not "${value}"`);
  }
  return Number(value);
}
