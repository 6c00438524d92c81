import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  DEFAULT_MAX_USER_DATA_BYTES,
  FORMAT_NAMES,
  FORMATS,
  HEPIX_FIELD_VARIABLES,
  OPENNEBULA_FIELD_VARIABLES,
  emptyContext,
  invalidInput,
  isValidHostname,
  isValidUserName,
  unrepresented,
  type Context,
  type FormatName,
} from '@stratus-context/core';
import { loadContext, readPairs } from '@stratus-context/core/node';
import { writeAgentBundle } from './agent-bundle.js';
import { writeOutput, type OutputOptions } from './output.js';
import { describeContext, renderReport } from './report.js';
import { parseByteCount, warn } from './run.js';
import { VERSION } from './version.js';

const NAME = 'stratus-context';

const collect = (value: string, previous: string[]) => [...previous, value];

interface PrepareOptions extends OutputOptions {
  format: FormatName;
  var: string[];
  file: string[];
  hostname?: string;
  instanceId?: string;
  force: boolean;
  maxUserData: number;
  sizeLimit: boolean;
}

function formatOption(flag: string, description: string): Option {
  return new Option(flag, description).choices([...FORMAT_NAMES]);
}

function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('--iso <file>', 'write the context disk: an ISO 9660 image (Rock Ridge and Joliet)')
    .option('--dir <dir>', "write the disk's files into a new directory instead of an image")
    .option('-o, --output <file>', "write the one context file (cloud-init.txt or context.sh); '-' for standard output")
    .option('--volume-id <id>', "the disk's volume id (default: the format's own: _STRATUSLAB, CONTEXT, HEPIX, cidata, config-2)")
    .addOption(new Option('--max-user-data <bytes>', 'largest gzipped user data accepted (cloud-init format)').default(DEFAULT_MAX_USER_DATA_BYTES).argParser((v) => parseByteCount(v, '--max-user-data')))
    .option('--no-size-limit', 'accept user data of any size');
}

/** `--var K=V` into the context's variables; variables the format derives from the context are refused. */
function applyVars(ctx: Context, vars: string[], format: FormatName): void {
  const owned = new Set([...OPENNEBULA_FIELD_VARIABLES, ...(format === 'hepix' ? HEPIX_FIELD_VARIABLES : []), 'CONTEXT_METHOD', 'CLOUD_INIT_AUTHORIZED_KEYS', 'CLOUD_INIT_USER_DATA']);
  for (const kv of vars) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw invalidInput('bad-var', `--var takes KEY=VALUE, not "${kv}"`);
    const key = kv.slice(0, eq);
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw invalidInput('bad-var', `--var ${key}: names are upper-case letters, digits and _, not starting with a digit`, { key });
    if (owned.has(key)) throw invalidInput('bad-var', `--var ${key}: this variable is made from the pairs and options (ssh keys, user data, --hostname, --instance-id)`, { key });
    ctx.variables[key] = kv.slice(eq + 1);
  }
}

/** `--file SRC[:NAME]`: a file put on the disk, named NAME (default: its base name). */
function readExtraFile(spec: string): { name: string; content: Uint8Array } {
  const colon = spec.lastIndexOf(':');
  const [src, name] = colon > 0 && colon < spec.length - 1 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, basename(spec)];
  try {
    return { name, content: new Uint8Array(readFileSync(src)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalidInput('unreadable-file', `cannot read ${src} (--file ${spec}): ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { file: src }, e);
  }
}

function encodeOptions(opts: { maxUserData: number; sizeLimit: boolean }) {
  return { maxBytes: opts.sizeLimit ? opts.maxUserData : Infinity };
}

export function stratusContextProgram(): Command {
  const program = new Command(NAME)
    .description('Prepare, inspect and convert virtual machine contexts: cloud-init key-value, OpenNebula, HEPiX, NoCloud and config drive.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(add --help for usage)');

  addOutputOptions(
    program
      .command('prepare')
      .description('Build a context from TYPE,FILE pairs (as stratus-prepare-context) in any format, as a disk image, a directory or a file.')
      .argument('[pair...]', 'TYPE,FILE pairs: ssh, none, or a cloud-init part type (see stratus-prepare-context --help)')
      .addOption(formatOption('--format <format>', 'the context format').default('cloud-init'))
      .option('--var <KEY=VALUE>', 'a context variable (repeatable)', collect, [])
      .option('--file <SRC[:NAME]>', 'put a file on the disk, as NAME (repeatable)', collect, [])
      .option('--hostname <name>', 'the VM host name')
      .option('--instance-id <id>', 'the instance id (NoCloud and config drive derive one from the context when absent)')
      .option('-f, --force', 'accept part types cloud-init does not know', false),
  )
    .addHelpText(
      'after',
      `
Outputs (one of):  --iso FILE   --dir DIR   -o FILE
Without one, the cloud-init format writes ./cloud-init.txt and OpenNebula ./context.sh.
Images are reproducible: timestamps come from SOURCE_DATE_EPOCH when set.

Examples:
  stratus-context prepare --format nocloud --iso seed.iso --hostname web-1 \\
      ssh,~/.ssh/id_ed25519.pub x-shellscript,run-http.sh
  stratus-context prepare --format opennebula --iso context.iso --var USERNAME=alice ssh,~/.ssh/id_ed25519.pub
  stratus-context prepare --format config-drive --dir cd/ --file motd.txt:etc/motd none,user-data.yaml`,
    )
    .action(async (pairs: string[], opts: PrepareOptions) => {
      // What the agent would refuse is refused here, at the source, as a wrong command line.
      const refuse = (message: string): never => {
        process.stderr.write(`${NAME}: error: ${message}\n`);
        throw new CommanderError(2, 'stratus.refused-option', message);
      };
      const built = pairs.length > 0 ? readPairs(pairs, { allowUnknownTypes: opts.force }) : { context: emptyContext(), warnings: [] };
      for (const w of built.warnings) warn(NAME, w);
      const ctx = built.context;
      applyVars(ctx, opts.var, opts.format);
      if (opts.hostname !== undefined) {
        if (!isValidHostname(opts.hostname)) refuse(`--hostname ${JSON.stringify(opts.hostname)}: not a valid host name (RFC 1123: letters, digits and hyphens, dot-separated labels of at most 63)`);
        ctx.hostname = opts.hostname;
      }
      if (opts.instanceId !== undefined) {
        if (opts.instanceId.trim() === '' || /[\0-\x1f\x7f]/.test(opts.instanceId)) refuse('--instance-id: an instance id must be non-empty printable text');
        ctx.instanceId = opts.instanceId;
      }
      const user = ctx.variables['USERNAME'];
      if (user !== undefined && user !== '' && !isValidUserName(user)) refuse(`--var USERNAME=${user}: not a user name the guest accepts (lower-case letters, digits, _ and -, at most 32)`);
      ctx.files = opts.file.map(readExtraFile);
      for (const lost of unrepresented(ctx, opts.format)) warn(NAME, `the ${opts.format} format cannot carry ${lost}: dropped`);
      await writeOutput(opts.format, FORMATS[opts.format].encode(ctx, encodeOptions(opts)), opts);
    });

  program
    .command('inspect')
    .description('Decode a context and show what a guest would get: keys, each user-data part, variables, files.')
    .argument('<source>', "a disk image or block device, a directory, cloud-init.txt or context.sh ('-' reads a file from standard input)")
    .option('--json', 'print one JSON document instead of text', false)
    .addOption(formatOption('--format <format>', 'decode as this format instead of detecting it'))
    .addHelpText(
      'after',
      `
The format is detected: on a disk from its volume id (CONTEXT, HEPIX, cidata,
config-2, _STRATUSLAB) or its files; in a directory from its files; a single
file is cloud-init.txt when it has CONTEXT_METHOD or CLOUD_INIT_* lines, else
context.sh. Disks are read directly (no mount). Parts that are text are shown
as text; others as base64 in --json. Values are shown JSON-quoted, exactly.

Examples:
  stratus-context inspect cloud-init.txt
  stratus-context inspect --json seed.iso | jq .keys
  stratus-context inspect /dev/sr0`,
    )
    .action(async (source: string, opts: { json: boolean; format?: FormatName }) => {
      const loaded = await loadContext(source, { format: opts.format });
      const report = describeContext(loaded.context, {
        name: source === '-' ? '(stdin)' : source,
        format: loaded.format,
        title: FORMATS[loaded.format].title,
        ...(loaded.volumeId !== undefined ? { volumeId: loaded.volumeId } : {}),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    });

  addOutputOptions(
    program
      .command('convert')
      .description('Turn a context in one format into another.')
      .argument('<source>', 'a disk image or block device, a directory, cloud-init.txt or context.sh')
      .addOption(formatOption('--to <format>', 'the format to write').makeOptionMandatory())
      .addOption(formatOption('--from <format>', 'decode the source as this format instead of detecting it')),
  )
    .addHelpText(
      'after',
      `
What the target format cannot carry (the hostname in cloud-init.txt, variables
in NoCloud) is named in a warning.

Example:
  stratus-context convert --to nocloud --iso seed.iso context.iso`,
    )
    .action(async (source: string, opts: OutputOptions & { to: FormatName; from?: FormatName; maxUserData: number; sizeLimit: boolean }) => {
      const { context } = await loadContext(source, { format: opts.from });
      for (const lost of unrepresented(context, opts.to)) warn(NAME, `the ${opts.to} format cannot carry ${lost}: dropped`);
      await writeOutput(opts.to, FORMATS[opts.to].encode(context, encodeOptions(opts)), opts);
    });
  program
    .command('agent-bundle')
    .description('Write the guest agent as one bundled file plus a systemd unit, a SysV init script and an installer, in a tarball.')
    .option('-o, --output <file>', "the tarball; '-' for standard output", 'stratus-context-agent.tar.gz')
    .option('--node <path>', 'the node binary in the guest', '/usr/bin/node')
    .addHelpText(
      'after',
      `
In the image (or its mounted root):
  tar xzf stratus-context-agent.tar.gz
  sh stratus-context-agent/install.sh [ROOT]
The agent needs only node in the guest; at boot its unit runs before sshd.`,
    )
    .action(async (opts: { output: string; node: string }) => {
      await writeAgentBundle(opts.output, opts.node);
    });
  return program;
}
