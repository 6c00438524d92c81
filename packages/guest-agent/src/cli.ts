import { Command, CommanderError, Option } from 'commander';
import { FORMAT_NAMES, isContextError, type FormatName } from '@stratus-context/core';
import { applyContext, DEFAULT_SCRIPT_TIMEOUT_MS } from './apply.js';
import { GuestRoot } from './guest-root.js';
import { installAgent } from './install.js';
import { renderApplyReport } from './render.js';
import { loadState, STATE_FILE } from './state.js';

const NAME = 'stratus-context-agent';
/** Exit statuses: applied; no context or a broken one; wrong command line; applied but some scripts failed. */
export const EXIT_APPLIED = 0;
export const EXIT_NOT_APPLIED = 1;
export const EXIT_USAGE = 2;
export const EXIT_SCRIPTS_FAILED = 3;

export function agentProgram(version: string): Command {
  const program = new Command(NAME)
    .description('Find the VM context (a disk read directly, a seed directory), decode it, install the ssh keys and run the scripts.')
    .version(version, '-V, --version');
  let status = EXIT_APPLIED;

  program
    .command('apply')
    .description('Apply the context: keys, hostname, files, then the scripts (once per instance unless their type says otherwise).')
    .option('--source <path>', 'a disk image, block device or directory to read instead of searching the devices')
    .option('--root <dir>', "the guest's root: every path read or written for the guest is under it", '/')
    .option('--dry-run', 'report what would be done; write nothing, run nothing', false)
    .option('--json', 'print the report as JSON', false)
    .addOption(new Option('--format <format>', 'decode as this format instead of detecting it').choices([...FORMAT_NAMES]))
    .addOption(new Option('--script-timeout <seconds>', 'kill a script still running after this').default(DEFAULT_SCRIPT_TIMEOUT_MS / 1000).argParser((v) => {
      if (!/^\d+(\.\d+)?$/.test(v)) throw new CommanderError(EXIT_USAGE, 'commander.invalidArgument', `error: --script-timeout takes seconds, not "${v}"`);
      return Number(v);
    }))
    .addHelpText(
      'after',
      `
Without --source, block devices (/dev/sr*, vd*, sd*, xvd*, hd*) are read
directly for an ISO 9660 volume labelled CONTEXT, cidata, CIDATA, config-2,
HEPIX or _STRATUSLAB (in that order); then the seed directories
/var/lib/cloud/seed/{nocloud,nocloud-net,config_drive,opennebula},
/mnt/context and /media/context.

Exit status: 0 applied; 1 not applied (no context, a broken one: the reason
on stderr); 3 applied, but some scripts failed; 2 wrong command line.
State: ${STATE_FILE}; logs: /var/log/stratus-context/.`,
    )
    .action(async (opts: { source?: string; root: string; dryRun: boolean; json: boolean; format?: FormatName; scriptTimeout: number }) => {
      const report = await applyContext(new GuestRoot(opts.root), {
        source: opts.source,
        format: opts.format,
        dryRun: opts.dryRun,
        scriptTimeoutMs: opts.scriptTimeout * 1000,
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderApplyReport(report));
      if (!report.scriptsOk) status = EXIT_SCRIPTS_FAILED;
    });

  program
    .command('status')
    .description('Show what was applied: the instance, when, which scripts ran, which keys the agent manages.')
    .option('--root <dir>', "the guest's root", '/')
    .option('--json', 'print the state as JSON', false)
    .action((opts: { root: string; json: boolean }) => {
      const state = loadState(new GuestRoot(opts.root));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
        return;
      }
      if (state.instanceId === undefined) {
        process.stdout.write('no context applied yet\n');
        return;
      }
      const inst = state.instances[state.instanceId]!;
      const lines = [`instance: ${state.instanceId}`, `first applied: ${inst.firstApplied}`, `last applied: ${inst.lastApplied}`, `runs: ${state.runs}`];
      for (const [id, r] of Object.entries(inst.scripts)) lines.push(`script ${id.split(':')[1]}: exit ${r.exitCode ?? 'none'} at ${r.at}`);
      for (const [user, keys] of Object.entries(state.managedKeys)) lines.push(`keys managed for ${user}: ${keys.length}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  program
    .command('install')
    .description('Install the agent into an image root: the bundled agent, a systemd unit (before sshd) and a SysV init script.')
    .requiredOption('--root <dir>', 'the mounted image root')
    .option('--node <path>', 'the node binary in the guest', '/usr/bin/node')
    .action((opts: { root: string; node: string }) => {
      for (const line of installAgent(opts.root, opts.node)) process.stdout.write(`${line}\n`);
    });

  return Object.assign(program, { exitStatus: () => status });
}

/** Runs the agent's command line; returns the exit status. */
export async function runAgent(argv: string[], version: string): Promise<number> {
  const program = agentProgram(version);
  // A reader that stops early (`| head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  program.exitOverride();
  for (const sub of program.commands) sub.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `${NAME}: ${s}` : s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return (program as Command & { exitStatus: () => number }).exitStatus();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_APPLIED : EXIT_USAGE;
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
