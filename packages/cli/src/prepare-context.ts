import { Command, Option } from 'commander';
import { CLOUD_INIT_PART_SUBTYPES, DEFAULT_MAX_USER_DATA_BYTES, encodeCloudInitKeyValues } from '@stratus-context/core';
import { readPairs, writeFileAtomic } from '@stratus-context/core/node';
import { parseByteCount, warn } from './run.js';
import { VERSION } from './version.js';

const NAME = 'stratus-prepare-context';

const TYPES_HELP = `
Pair types:
  ssh            the file holds OpenSSH public keys, one a line (RFC 4716
                 blocks are converted); they become the authorized keys.
                 Several ssh pairs add up. A private key is refused.
  none           the file is the whole user data, included literally (no
                 multipart). With several, the last one is used.
  anything else  a cloud-init part type, as a subtype or full type:
                 ${CLOUD_INIT_PART_SUBTYPES.join(', ')}.

Paths may use ~, $VAR and \${VAR} (expanded here, so quoting the whole
argument is fine); an unset variable is an error. Pairs may be given as
separate arguments or joined with '#'.

The output is CONTEXT_METHOD=cloud-init, CLOUD_INIT_AUTHORIZED_KEYS (base64
of the keys) and CLOUD_INIT_USER_DATA (base64 of the gzipped user data).
Nothing is written when any error occurs.

Examples:
  stratus-prepare-context ssh,$HOME/.ssh/id_rsa.pub x-shellscript,run-http.sh
  stratus-prepare-context 'ssh,$HOME/.ssh/id_rsa.pub#none,run-http.sh'
  stratus-prepare-context -o - ssh,~/.ssh/id_ed25519.pub | less
  stratus-context inspect cloud-init.txt
`;

interface PrepareOptions {
  output: string;
  force: boolean;
  maxUserData: number;
  sizeLimit: boolean;
}

export function prepareContextProgram(): Command {
  return new Command(NAME)
    .description('Prepare a cloud-init context file (cloud-init.txt) from TYPE,FILE pairs.')
    .version(VERSION, '-V, --version')
    .argument('<pair...>', 'TYPE,FILE pairs (see below)')
    .option('-o, --output <file>', "where to write; '-' writes to standard output", 'cloud-init.txt')
    .option('-f, --force', 'accept part types cloud-init does not know', false)
    .addOption(
      new Option('--max-user-data <bytes>', 'largest gzipped user data accepted')
        .default(DEFAULT_MAX_USER_DATA_BYTES)
        .argParser((v) => parseByteCount(v, '--max-user-data')),
    )
    .option('--no-size-limit', 'accept user data of any size')
    .addHelpText('after', TYPES_HELP)
    .action((pairs: string[], opts: PrepareOptions) => {
      const { context, warnings } = readPairs(pairs, { allowUnknownTypes: opts.force });
      for (const w of warnings) warn(NAME, w);
      const text = encodeCloudInitKeyValues(context, { maxBytes: opts.sizeLimit ? opts.maxUserData : Infinity });
      if (opts.output === '-') process.stdout.write(text);
      else writeFileAtomic(opts.output, text);
    });
}
