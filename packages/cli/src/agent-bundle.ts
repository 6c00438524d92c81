import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ContextError, invalidInput } from '@stratus-context/core';
import { writeFileAtomic } from '@stratus-context/core/node';
import { AGENT_FILE, SCRIPTS_UNIT_NAME, UNIT_NAME, agentBundlePath, installShellScript, systemdScriptsUnit, systemdUnit, sysvInitScript, wrapperScript } from '@stratus-context/guest-agent';

/**
 * `stratus-context agent-bundle`: the agent as one file plus its service
 * files and installer, in a tarball to drop into an image:
 *
 *     stratus-context-agent/stratus-context-agent.mjs   the bundled agent (needs only node)
 *     stratus-context-agent/stratus-context-agent       a wrapper command
 *     stratus-context-agent/stratus-context.service     systemd unit: keys, hostname, files, before sshd
 *     stratus-context-agent/stratus-context-scripts.service   systemd unit: the scripts, after the network
 *     stratus-context-agent/stratus-context.init        SysV init script
 *     stratus-context-agent/install.sh                  sh install.sh [ROOT]
 *
 * Reproducible: entries in a fixed order, dated SOURCE_DATE_EPOCH (or 0).
 */

const DIR = 'stratus-context-agent';

export async function agentBundle(node: string): Promise<Buffer> {
  let agent: Buffer;
  try {
    agent = readFileSync(agentBundlePath());
  } catch (e) {
    throw new ContextError('no-bundle', 'internal', `the bundled agent ${agentBundlePath()} is missing: run npm run build`, {}, { cause: e });
  }
  const epoch = Number(process.env['SOURCE_DATE_EPOCH'] ?? 0);
  if (!Number.isInteger(epoch) || epoch < 0) throw invalidInput('bad-source-date-epoch', 'SOURCE_DATE_EPOCH must be whole seconds since 1970');
  const mtime = new Date(epoch * 1000);
  const entries: [string, string | Buffer, number][] = [
    [AGENT_FILE, agent, 0o644],
    ['stratus-context-agent', wrapperScript(node), 0o755],
    [UNIT_NAME, systemdUnit(node), 0o644],
    [SCRIPTS_UNIT_NAME, systemdScriptsUnit(node), 0o644],
    ['stratus-context.init', sysvInitScript(node), 0o755],
    ['install.sh', installShellScript(node), 0o755],
  ];
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  tar.entry({ name: `${DIR}/`, type: 'directory', mode: 0o755, mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' });
  for (const [name, content, mode] of entries) {
    tar.entry({ name: `${DIR}/${name}`, mode, mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' }, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  }
  tar.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

/** Writes the bundle to `path` ('-' for standard output), atomically. */
export async function writeAgentBundle(path: string, node: string): Promise<void> {
  const tgz = await agentBundle(node);
  if (path === '-') process.stdout.write(tgz);
  else writeFileAtomic(path, tgz);
}
