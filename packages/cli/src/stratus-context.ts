import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { decodeCloudInitKeyValues, invalidInput } from '@stratus-context/core';
import { describeContext, renderReport } from './report.js';
import { VERSION } from './version.js';

const NAME = 'stratus-context';

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(path === '-' ? readFileSync(0) : readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw invalidInput('unreadable-file', `cannot read ${path}: ${why}`, { file: path }, e);
  }
}

export function stratusContextProgram(): Command {
  const program = new Command(NAME)
    .description('Prepare, inspect and convert virtual machine contexts.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(add --help for usage)');

  program
    .command('inspect')
    .description('Decode a context and show what a guest would get: keys, each user-data part, variables.')
    .argument('<file>', "the context file ('-' reads standard input)")
    .option('--json', 'print one JSON document instead of text', false)
    .addHelpText(
      'after',
      `
Formats: the cloud-init key-value context (cloud-init.txt).
Parts that are text are shown as text; others as base64 in --json.

Example:
  stratus-context inspect cloud-init.txt
  stratus-context inspect --json cloud-init.txt | jq .keys`,
    )
    .action((file: string, opts: { json: boolean }) => {
      const name = file === '-' ? '(stdin)' : file;
      const ctx = decodeCloudInitKeyValues(readInput(file), { file: name });
      const report = describeContext(ctx, name, 'cloud-init key-value context');
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    });
  return program;
}
