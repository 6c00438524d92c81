// Context disks: ISO 9660 writing against the tools clouds use, measured in
// the same run.
//  1. a small NoCloud disk through our CLI vs cloud-localds (cloud-image-utils)
//  2. the same disk built in-process (encode + ISO in memory) vs spawning
//     genisoimage on the files, as OpenNebula does per VM; target >= 20x
//  3. a 64 MiB tree written to an image vs genisoimage and xorriso; target:
//     no slower than genisoimage
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFromPairs, encodeIso, FORMATS, isoTreeFromPaths, planIso, splitPairs } from '../packages/context-core/dist/index.js';
import { isoTreeFromDirectory, writeIsoToFile } from '../packages/context-core/dist/node/index.js';
import { report, rounds, SECONDS } from './lib.mjs';

const repo = new URL('..', import.meta.url).pathname;
const keyFile = join(repo, 'fixtures/keys/ed25519.pub');
const scriptFile = join(repo, 'fixtures/manual/run-http.sh');
const work = mkdtempSync(join(tmpdir(), 'bench-iso-'));

function need(cmd) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.log(`  (skipped: ${cmd} is not installed; apt-get install ${cmd === 'cloud-localds' ? 'cloud-image-utils' : cmd})`);
    return false;
  }
  return true;
}

/** Runs `fn` repeatedly for about `seconds`; returns runs per second. */
function rate(fn, seconds = SECONDS) {
  let n = 0;
  const start = performance.now();
  for (;;) {
    fn();
    n += 1;
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) return n / elapsed;
  }
}

const pairs = splitPairs([`ssh,${keyFile}`, `x-shellscript,${scriptFile}`]);
const inputs = [
  { pair: pairs[0], path: keyFile, content: new Uint8Array(readFileSync(keyFile)) },
  { pair: pairs[1], path: scriptFile, content: new Uint8Array(readFileSync(scriptFile)) },
];
const { context } = contextFromPairs(inputs);
context.hostname = 'web-1';
context.instanceId = 'iid-bench';
const files = FORMATS.nocloud.encode(context);
const seed = join(work, 'seed');
mkdirSync(seed);
for (const f of files) writeFileSync(join(seed, f.name), f.content);

try {
  console.log('\nsmall NoCloud disk (1 key + run-http.sh): our CLI vs cloud-localds, whole commands');
  if (need('cloud-localds')) {
    const cli = join(repo, 'packages/cli/bin/stratus-context.js');
    const results = rounds(3, {
      'stratus-context prepare --iso (disks/s)': () =>
        rate(() => execFileSync(process.execPath, [cli, 'prepare', '--format', 'nocloud', '--iso', join(work, 'a.iso'), '--hostname', 'web-1', '--instance-id', 'iid-bench', `ssh,${keyFile}`, `x-shellscript,${scriptFile}`])),
      'cloud-localds (disks/s)': () => rate(() => execFileSync('cloud-localds', [join(work, 'b.iso'), join(seed, 'user-data'), join(seed, 'meta-data')])),
    });
    // No target: a whole command pays Node's start (about 50 ms), a shell script around genisoimage does not.
    report('  ', results, 'stratus-context prepare --iso (disks/s)', 'cloud-localds (disks/s)');
  }

  console.log('\nthe same disk built in-process vs spawning genisoimage (as OpenNebula does per VM)');
  if (need('genisoimage')) {
    const results = rounds(3, {
      'in-process encode + ISO (disks/s)': () =>
        rate(() => {
          const tree = isoTreeFromPaths(FORMATS.nocloud.encode(context).map((f) => ({ path: f.name, content: f.content })));
          encodeIso(tree, { volumeId: 'cidata' });
        }),
      'genisoimage spawn (disks/s)': () => rate(() => execFileSync('genisoimage', ['-quiet', '-o', join(work, 'g.iso'), '-V', 'cidata', '-J', '-R', seed])),
    });
    report('  ', results, 'in-process encode + ISO (disks/s)', 'genisoimage spawn (disks/s)', 20);
  }

  console.log('\na 64 MiB tree (60 files of 1 MiB, 4 of 1 MiB in a subfolder, 1000 small files) to an image file');
  if (need('genisoimage') && need('xorriso')) {
    const big = join(work, 'big');
    mkdirSync(join(big, 'sub/deeper'), { recursive: true });
    mkdirSync(join(big, 'small'));
    for (let i = 0; i < 60; i++) writeFileSync(join(big, `file-${i}.bin`), randomBytes(1 << 20));
    for (let i = 0; i < 4; i++) writeFileSync(join(big, 'sub/deeper', `data-${i}.bin`), randomBytes(1 << 20));
    for (let i = 0; i < 1000; i++) writeFileSync(join(big, 'small', `note-${i}.txt`), `note ${i}\n`);
    const out = join(work, 'big.iso');
    const ours = async () => {
      const t = performance.now();
      await writeIsoToFile(planIso(await isoTreeFromDirectory(big), { volumeId: 'CONTEXT' }), out);
      return 1000 / (performance.now() - t);
    };
    const tool = (cmd, args) => () => {
      const t = performance.now();
      execFileSync(cmd, args, { stdio: 'ignore' });
      return 1000 / (performance.now() - t);
    };
    const samples = { ours: [], genisoimage: [], xorriso: [] };
    for (let i = 0; i < 3; i++) {
      samples.ours.push(await ours());
      samples.genisoimage.push(tool('genisoimage', ['-quiet', '-J', '-R', '-V', 'CONTEXT', '-o', join(work, 'big-g.iso'), big])());
      samples.xorriso.push(tool('xorriso', ['-as', 'mkisofs', '-quiet', '-J', '-R', '-V', 'CONTEXT', '-o', join(work, 'big-x.iso'), big])());
    }
    const median = (v) => v.sort((a, b) => a - b)[1];
    const results = { 'stratus-context (trees/s)': median(samples.ours), 'genisoimage (trees/s)': median(samples.genisoimage), 'xorriso -as mkisofs (trees/s)': median(samples.xorriso) };
    report('  vs genisoimage', results, 'stratus-context (trees/s)', 'genisoimage (trees/s)', 1);
    report('  vs xorriso', { 'stratus-context (trees/s)': results['stratus-context (trees/s)'], 'xorriso -as mkisofs (trees/s)': results['xorriso -as mkisofs (trees/s)'] }, 'stratus-context (trees/s)', 'xorriso -as mkisofs (trees/s)', 1);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
