import { parseArgs } from 'node:util';
import { FORMAT_NAMES, isContextError, type FormatName } from '@stratus-context/core';
import { applyContext, DEFAULT_SCRIPT_TIMEOUT_MS, MAX_SCRIPT_TIMEOUT_MS, type Phase } from './apply.js';
import { CONFIG_FILE } from './config.js';
import { GuestRoot } from './guest-root.js';
import { installAgent } from './install.js';
import { renderApplyReport } from './render.js';
import { loadState, STATE_FILE } from './state.js';

/**
 * The agent's command line. It runs at every boot, so it parses its few
 * options with Node's own `util.parseArgs` rather than loading a framework.
 */

const NAME = 'stratus-context-agent';
/** Exit statuses: applied; nothing changed (no context, a broken one); wrong command line; applied, but some items failed. */
export const EXIT_APPLIED = 0;
export const EXIT_NOT_APPLIED = 1;
export const EXIT_USAGE = 2;
export const EXIT_SCRIPTS_FAILED = 3;

const USAGE = `Usage: ${NAME} <command> [options]

Find the VM context (a disk read directly, a seed directory), decode it,
install the ssh keys and run the scripts.

Commands:
  apply     apply the context: keys, hostname, files, then the scripts
            (once per instance unless their type says otherwise)
    --source PATH          a disk image, block device or directory to read
                           instead of searching the devices
    --root DIR             the guest's root: every path read or written for
                           the guest is under it (default /)
    --dry-run              report what would be done; write nothing, run nothing
    --json                 print the report as JSON
    --format FORMAT        decode as this format (${FORMAT_NAMES.join(', ')})
    --phase PHASE          config: the user, keys, hostname and files (what
                           sshd needs; the unit before sshd runs this);
                           scripts: the scripts (the unit after the network);
                           all (default): both
    --script-timeout SECS  kill a script still running after this (default ${DEFAULT_SCRIPT_TIMEOUT_MS / 1000})
  status    show what was applied: instance, scripts run, keys managed
    --root DIR, --json
  install   install the agent into an image root: the bundled agent, the
            systemd units stratus-context.service (--phase config, before
            sshd) and stratus-context-scripts.service (--phase scripts,
            after the network), enabled, and a SysV init script (enabled
            when the image has no systemd)
    --root DIR (required), --node PATH (default /usr/bin/node)

Without --source, block devices (/dev/sr*, vd*, sd*, xvd*, hd*, nvme*n*) are read
directly for an ISO 9660 volume labelled CONTEXT, cidata, CIDATA, config-2,
HEPIX or _STRATUSLAB: read-only and removable devices (CD-ROMs) first, then
by label in that order. A writable disk is never the context unless
${CONFIG_FILE} allows it. Several labelled devices: the first is
used, the others named in a warning. No device yet: /dev is polled for up to
device_wait seconds; then the seed directories
/var/lib/cloud/seed/{nocloud,nocloud-net,config_drive,opennebula},
/mnt/context and /media/context.

${CONFIG_FILE} (optional; root-owned, not group- or world-writable,
not a symbolic link), "key = value" lines, # comments:
  writable_disks = no|yes     a writable disk may be the context (default no)
  labels = CONTEXT cidata     accept only these labels (default all)
  formats = nocloud ...       accept only these formats (default all)
  device_wait = SECS          wait for the device (default 5; 0 under --root)

Exit status: 0 applied; 1 nothing changed (no context, a broken one: the
reason on stderr); 3 applied, but some items failed (a user's keys, the
hostname, a file, a script: each named on stderr, in the report and in the
log); 2 wrong command line.
State: ${STATE_FILE}; logs: /var/log/stratus-context/.
`;

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): Values {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }).values as Values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function apply(argv: string[]): Promise<number> {
  const v = parse(argv, {
    source: { type: 'string' },
    root: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    format: { type: 'string' },
    'script-timeout': { type: 'string' },
    phase: { type: 'string' },
  });
  if (v['help']) return help();
  const format = v['format'] as string | undefined;
  if (format !== undefined && !(FORMAT_NAMES as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMAT_NAMES.join(', ')}`);
  const timeout = (v['script-timeout'] as string | undefined) ?? String(DEFAULT_SCRIPT_TIMEOUT_MS / 1000);
  const timeoutMs = /^\d+(\.\d+)?$/.test(timeout) ? Math.round(Number(timeout) * 1000) : NaN;
  if (!(timeoutMs >= 1000 && timeoutMs <= MAX_SCRIPT_TIMEOUT_MS)) throw new UsageError(`--script-timeout takes seconds from 1 to ${Math.floor(MAX_SCRIPT_TIMEOUT_MS / 1000)}, not "${timeout}"`);
  const phase = (v['phase'] as string | undefined) ?? 'all';
  if (phase !== 'config' && phase !== 'scripts' && phase !== 'all') throw new UsageError(`--phase must be config, scripts or all, not "${phase}"`);
  const report = await applyContext(new GuestRoot((v['root'] as string | undefined) ?? '/'), {
    source: v['source'] as string | undefined,
    format: format as FormatName | undefined,
    dryRun: v['dry-run'] === true,
    scriptTimeoutMs: timeoutMs,
    phase: phase as Phase,
    onWarning: (message) => process.stderr.write(`${NAME}: warning: ${message}\n`),
  });
  for (const f of report.failures) process.stderr.write(`${NAME}: failed: ${f.item}: ${f.error}\n`);
  process.stdout.write(v['json'] ? `${JSON.stringify(report, null, 2)}\n` : renderApplyReport(report));
  return report.ok ? EXIT_APPLIED : EXIT_SCRIPTS_FAILED;
}

function status(argv: string[]): number {
  const v = parse(argv, { root: { type: 'string' }, json: { type: 'boolean' } });
  if (v['help']) return help();
  const state = loadState(new GuestRoot((v['root'] as string | undefined) ?? '/'));
  if (v['json']) {
    process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    return EXIT_APPLIED;
  }
  if (state.instanceId === undefined) {
    process.stdout.write('no context applied yet\n');
    return EXIT_APPLIED;
  }
  const inst = state.instances[state.instanceId]!;
  const lines = [`instance: ${state.instanceId}`, `first applied: ${inst.firstApplied}`, `last applied: ${inst.lastApplied}`, `runs: ${state.runs}`];
  for (const [id, r] of Object.entries(inst.scripts)) lines.push(`script ${id.split(':')[1]}: exit ${r.exitCode ?? 'none'} at ${r.at}`);
  for (const [user, keys] of Object.entries(state.managedKeys)) lines.push(`keys managed for ${user}: ${keys.length}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_APPLIED;
}

function install(argv: string[]): number {
  const v = parse(argv, { root: { type: 'string' }, node: { type: 'string' } });
  if (v['help']) return help();
  if (typeof v['root'] !== 'string') throw new UsageError('install needs --root DIR');
  for (const line of installAgent(v['root'], (v['node'] as string | undefined) ?? '/usr/bin/node')) process.stdout.write(`${line}\n`);
  return EXIT_APPLIED;
}

function help(): number {
  process.stdout.write(USAGE);
  return EXIT_APPLIED;
}

/** Runs the agent's command line; returns the exit status. */
export async function runAgent(argv: string[], version: string): Promise<number> {
  // A reader that stops early (`| head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'apply':
        return await apply(rest);
      case 'status':
        return status(rest);
      case 'install':
        return install(rest);
      case '-V':
      case '--version':
        process.stdout.write(`${version}\n`);
        return EXIT_APPLIED;
      case '-h':
      case '--help':
      case 'help':
        return help();
      default:
        throw new UsageError(command === undefined ? 'a command is needed: apply, status or install' : `unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${NAME}: ${e.message} (see ${NAME} --help)\n`);
      return EXIT_USAGE;
    }
    if (isContextError(e)) {
      process.stderr.write(`${NAME}: ${e.message}\n`);
      return EXIT_NOT_APPLIED;
    }
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code === 'string' && typeof err.syscall === 'string') {
      process.stderr.write(`${NAME}: ${err.message}\n`);
      return EXIT_NOT_APPLIED;
    }
    process.stderr.write(`${NAME}: internal error (please report it): ${err?.stack ?? String(e)}\n`);
    return 70;
  }
}

