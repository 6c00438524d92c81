// The guest agent's cold start, from `node agent.mjs apply` to keys
// installed (and a one-line script run), on an OpenNebula disk, against
// cloud-init's own cost to merely decode the same context: its Python
// modules reading context.sh (DataSourceOpenNebula.read_context_disk_dir)
// and processing the user data (UserDataProcessor). Also the floor of any
// Node program (`node -e 0`) and the agent's peak memory.
// Targets: at most half of cloud-init's time; within 30 ms of `node -e 0`;
// peak RSS under 64 MiB.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerPython } from './lib.mjs';

const repo = new URL('..', import.meta.url).pathname;
const agent = join(repo, 'packages/guest-agent/dist/stratus-context-agent.mjs');
const cli = join(repo, 'packages/cli/bin/stratus-context.js');
const cloudInit = join(repo, '.cache/cloud-init/usr/lib/python3/dist-packages');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const work = mkdtempSync(join(tmpdir(), 'bench-agent-'));

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
function timed(cmd, args, env) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

try {
  const script = join(work, 'hello.sh');
  writeFileSync(script, '#!/bin/sh\ntrue\n');
  const iso = join(work, 'context.iso');
  execFileSync(process.execPath, [cli, 'prepare', '--format', 'opennebula', '--iso', iso, '--hostname', 'vm-1', `ssh,${join(repo, 'fixtures/keys/ed25519.pub')}`, `x-shellscript,${script}`]);
  const tree = join(work, 'tree');
  execFileSync(process.execPath, [cli, 'convert', '--to', 'opennebula', '--dir', tree, iso]);
  const decode = `
import sys, tempfile
from cloudinit import helpers, user_data
from cloudinit.sources.DataSourceOpenNebula import read_context_disk_dir
r = read_context_disk_dir(sys.argv[1], None, asuser=None)
tmp = tempfile.mkdtemp()
user_data.UserDataProcessor(helpers.Paths({"cloud_dir": tmp, "run_dir": tmp})).process(r["userdata"])
assert r["metadata"]["public-keys"]
`;
  const haveCloudInit = existsSync(join(cloudInit, 'cloudinit'));
  const samples = { keys: [], agent: [], cloudInit: [], node: [] };
  for (let i = 0; i < RUNS; i++) {
    const root = join(work, `root-${i}`);
    for (const d of ['etc', 'root', 'dev']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    execFileSync('cp', [iso, join(root, 'dev/sr0')]);
    const started = Date.now();
    samples.agent.push(timed(process.execPath, [agent, 'apply', '--root', root]));
    // The agent logs, with a millisecond timestamp, the moment the keys are in place.
    const line = readFileSync(join(root, 'var/log/stratus-context/agent.log'), 'utf8').split('\n').find((l) => l.includes(' keys installed for root'));
    samples.keys.push(Date.parse(line.split(' ')[0]) - started);
    samples.node.push(timed(process.execPath, ['-e', '0']));
    if (haveCloudInit) samples.cloudInit.push(timed(peerPython(), ['-c', decode, tree], { PYTHONPATH: cloudInit }));
  }
  const root = join(work, 'root-mem');
  for (const d of ['etc', 'root', 'dev']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  execFileSync('cp', [iso, join(root, 'dev/sr0')]);
  const mem = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, agent, 'apply', '--root', root], { encoding: 'utf8' });
  const peakKiB = mem.status === 0 ? Number(mem.stderr.trim().split('\n').at(-1)) : NaN;

  const a = median(samples.keys);
  const n = median(samples.node);
  console.log(`\nguest agent cold start to keys installed (OpenNebula disk, ${RUNS} runs each, medians)`);
  console.log(`  stratus-context-agent apply, start to keys installed ${a.toFixed(1)} ms (whole run, with the script: ${median(samples.agent).toFixed(1)} ms)`);
  console.log(`  node -e 0 (floor of any Node program)            ${n.toFixed(1)} ms   agent - floor: ${(a - n).toFixed(1)} ms (target: at most 30) ${a - n <= 30 ? 'MET' : 'NOT MET'}`);
  if (haveCloudInit) {
    const c = median(samples.cloudInit);
    console.log(`  cloud-init decode only (python, cold)            ${c.toFixed(1)} ms`);
    console.log(`  ratio agent/cloud-init: ${(a / c).toFixed(2)} (target: at most 0.5) ${a / c <= 0.5 ? 'MET' : 'NOT MET'}`);
  } else console.log('  (cloud-init not unpacked: run scripts/test-deps.sh)');
  console.log(`  peak RSS of the agent: ${Number.isNaN(peakKiB) ? 'n/a (no /usr/bin/time)' : `${(peakKiB / 1024).toFixed(1)} MiB (target: under 64) ${peakKiB < 65536 ? 'MET' : 'NOT MET'}`}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
