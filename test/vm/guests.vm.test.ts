import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_NAMES, type FormatName } from '@stratus-context/core';
import { FIXTURES, REPO, runCli } from '../helpers.js';
import { CACHE, Vm, initramfsGuest, kernelDir, makeDataDisk, makeRootOverlay, newKey, requireVmTools, rootfsGuest, sha256File, stopAll, type BootOptions } from './harness.js';

/**
 * The StratusLab manual's example on real guests under qemu: a context disk
 * made by `stratus-context prepare` attached as a CD-ROM; our agent (from
 * `agent-bundle`, or installed with `stratus-context-agent install`) finds
 * it by reading the device, installs the key and runs run-http.sh; the host
 * fetches test.txt and logs in over ssh with the matching private key.
 */

const RUN_HTTP = join(FIXTURES, 'manual/run-http.sh');
mkdirSync(join(CACHE, 'runs'), { recursive: true });
const work = mkdtempSync(join(CACHE, 'runs', 'ctx-'));
const times: { guest: string; format: string; ms: number }[] = [];
const timesFile = join(CACHE, 'boot-times.json');

function prepare(format: FormatName, name: string, args: string[]): string {
  const iso = join(work, `${name}.iso`);
  const res = runCli('stratus-context', ['prepare', '--format', format, '--iso', iso, ...args]);
  if (res.status !== 0) throw new Error(res.stderr);
  return iso;
}

/** A per-boot or per-instance script that counts its runs in /var/lib/counts/NAME. */
function countingScript(name: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\nmkdir -p /var/lib/counts\necho run >> /var/lib/counts/${name}\n`);
  return path;
}

/** Boots, waits for the manual's page, checks the ssh login and the key; returns the boot-to-page time. */
async function manualExample(guest: string, vm: Vm, boot: BootOptions, format: FormatName, key: string): Promise<void> {
  const t = performance.now();
  await vm.boot(boot);
  const page = vm.waitPage('/test.txt', 300);
  const ms = Math.round(performance.now() - t);
  times.push({ guest, format, ms });
  expect(page.body.trim()).toBe('SUCCESSFUL TEST');
  const login = vm.ssh(key, 'cat /root/.ssh/authorized_keys; echo "host=$(hostname)"');
  expect(login.status, login.stderr).toBe(0);
  const pub = readFileSync(`${key}.pub`, 'utf8').trim();
  expect(login.stdout.split('\n').filter((l) => l === pub)).toHaveLength(1);
  if (format !== 'cloud-init') expect(login.stdout).toContain(`host=vm-${format}`);
}

beforeAll(() => {
  requireVmTools();
}, 600_000);
afterEach(() => stopAll());
afterAll(() => {
  stopAll();
  let all: unknown[] = [];
  try {
    all = JSON.parse(readFileSync(timesFile, 'utf8')) as unknown[];
  } catch {
    // first run
  }
  writeFileSync(timesFile, `${JSON.stringify([...all, ...times.map((t) => ({ ...t, at: new Date().toISOString() }))].slice(-200), null, 2)}\n`);
  for (const t of times) process.stdout.write(`boot to page: ${t.guest.padEnd(22)} ${t.format.padEnd(13)} ${(t.ms / 1000).toFixed(1)} s\n`);
});

describe.sequential('fast guest: initramfs with busybox and node, the agent from agent-bundle', () => {
  let kernel = '';
  let initrd = '';
  beforeAll(() => {
    kernel = join(kernelDir(), 'vmlinuz');
    const bundleDir = join(work, 'bundle');
    mkdirSync(bundleDir);
    const tgz = join(bundleDir, 'agent.tgz');
    expect(runCli('stratus-context', ['agent-bundle', '-o', tgz]).status).toBe(0);
    execFileSync('tar', ['xzf', tgz, '-C', bundleDir]);
    const agentDir = join(bundleDir, 'stratus-context-agent');
    writeFileSync(join(agentDir, 'stratus-agent.cmd'), 'node /opt/stratus/stratus-context-agent.mjs apply\n');
    initrd = initramfsGuest(agentDir);
  }, 600_000);

  for (const format of FORMAT_NAMES) {
    it(`${format}: the key logs in over ssh, the page answers SUCCESSFUL TEST`, async () => {
      const key = newKey(work, `fast-${format}`);
      const iso = prepare(format, `fast-${format}`, ['--hostname', `vm-${format}`, `ssh,${key}.pub`, `x-shellscript,${RUN_HTTP}`]);
      await manualExample('initramfs + agent', new Vm(), { kernel, initrd, cdrom: iso, data: makeDataDisk(join(work, `fast-${format}.img`)), guestHttpPort: 80 }, format, key);
    }, 600_000);
  }

  it('reboots: the key stays once, the per-instance script does not run again, the per-boot one does; a new instance re-runs it and replaces the key', async () => {
    const key1 = newKey(work, 'reboot-1');
    const key2 = newKey(work, 'reboot-2');
    const parts = [`x-shellscript-per-boot,${RUN_HTTP}`, `x-shellscript,${countingScript('once')}`, `x-shellscript-per-boot,${countingScript('boot')}`];
    const iso1 = prepare('nocloud', 'reboot-1', ['--instance-id', 'i-first', `ssh,${key1}.pub`, ...parts]);
    const iso2 = prepare('nocloud', 'reboot-2', ['--instance-id', 'i-second', `ssh,${key2}.pub`, ...parts]);
    const data = makeDataDisk(join(work, 'reboot.img'));
    const vm = new Vm();
    const state = (key: string) => {
      // The page answers once run-http.sh ran; the scripts after it may still be running: wait for the agent's last log line.
      const done = vm.ssh(key, 'i=0; while [ $i -lt 600 ] && ! grep -q " done: " /var/log/stratus-context/agent.log 2>/dev/null; do sleep 0.1; i=$((i+1)); done');
      expect(done.status, done.stderr).toBe(0);
      const r = vm.ssh(key, 'wc -l < /var/lib/counts/once; wc -l < /var/lib/counts/boot; cat /root/.ssh/authorized_keys');
      expect(r.status, r.stderr).toBe(0);
      const [once, boot, ...keys] = r.stdout.trim().split('\n');
      return { once: Number(once), boot: Number(boot), keys };
    };
    const pub = (k: string) => readFileSync(`${k}.pub`, 'utf8').trim();

    for (const [n, iso, key, expected] of [
      [1, iso1, key1, { once: 1, boot: 1 }],
      [2, iso1, key1, { once: 1, boot: 2 }],
      [3, iso2, key2, { once: 2, boot: 3 }],
    ] as const) {
      await vm.boot({ kernel, initrd, cdrom: iso, data, guestHttpPort: 80 });
      expect(vm.waitPage('/test.txt', 300).body.trim(), `boot ${n}`).toBe('SUCCESSFUL TEST');
      const s = state(key);
      expect({ once: s.once, boot: s.boot }, `boot ${n}`).toEqual(expected);
      expect(s.keys, `boot ${n}`).toEqual([pub(key)]);
      if (n === 3) expect(vm.ssh(key1, 'true').status, 'the replaced key no longer logs in').not.toBe(0);
      vm.stop();
    }
  }, 900_000);
});

describe.sequential("systemd guest: Debian 12, the agent installed with stratus-context-agent install, run by its unit on Debian's Node 18", () => {
  let guest: ReturnType<typeof rootfsGuest>;
  beforeAll(() => {
    const bundle = join(REPO, 'packages/guest-agent/dist/stratus-context-agent.mjs');
    guest = rootfsGuest('base', { cmd: `node ${bundle} install --node /usr/bin/node --root`, hash: sha256File(bundle) });
  }, 1_200_000);
  const boot = (cdrom: string, more: Partial<BootOptions> = {}): BootOptions => ({ kernel: guest.kernel, initrd: guest.initrd, append: guest.append, root: guest.rootImg, cdrom, guestHttpPort: 80, ...more });

  for (const format of FORMAT_NAMES) {
    it(`${format}: the config unit applies the keys before sshd starts, the scripts unit serves the page; ssh login`, async () => {
      const key = newKey(work, `systemd-${format}`);
      const iso = prepare(format, `systemd-${format}`, ['--hostname', `vm-${format}`, `ssh,${key}.pub`, `x-shellscript,${RUN_HTTP}`]);
      const vm = new Vm();
      await manualExample('systemd + agent unit', vm, boot(iso), format, key);
      const show = (unit: string, property: string) => `systemctl show -P ${property} ${unit}`;
      const units = vm.ssh(
        key,
        [
          'systemctl is-active stratus-context.service stratus-context-scripts.service',
          '/usr/bin/node --version',
          show('stratus-context.service', 'ActiveEnterTimestampMonotonic'),
          show('ssh.service', 'ExecMainStartTimestampMonotonic'),
          show('stratus-context-scripts.service', 'ExecMainStartTimestampMonotonic'),
        ].join('; '),
      );
      const [configActive, scriptsActive, nodeVersion, configDone, sshStart, scriptsStart] = units.stdout.trim().split('\n');
      expect([configActive, scriptsActive], units.stderr).toEqual(['active', 'active']);
      expect(nodeVersion).toMatch(/^v18\./);
      expect(Number(sshStart), 'sshd starts once the keys are in place').toBeGreaterThan(Number(configDone));
      expect(Number(scriptsStart), 'the scripts run after the config phase').toBeGreaterThan(Number(configDone));
    }, 600_000);
  }

  it('reboots with the same root: the once-per-instance script does not run again, the per-boot one does', async () => {
    const key = newKey(work, 'systemd-reboot');
    const iso = prepare('opennebula', 'systemd-reboot', [`ssh,${key}.pub`, `x-shellscript-per-boot,${RUN_HTTP}`, `x-shellscript,${countingScript('once')}`, `x-shellscript-per-boot,${countingScript('boot')}`]);
    const overlay = makeRootOverlay(guest.rootImg, join(work, 'systemd-reboot.qcow2'));
    const vm = new Vm();
    for (const expected of ['1 1', '1 2']) {
      await vm.boot(boot(iso, { root: undefined, rootRw: overlay }));
      expect(vm.waitPage('/test.txt', 300).body.trim()).toBe('SUCCESSFUL TEST');
      const r = vm.ssh(key, 'echo $(wc -l < /var/lib/counts/once) $(wc -l < /var/lib/counts/boot); grep -c . /root/.ssh/authorized_keys');
      expect(r.stdout.trim().split('\n')).toEqual([expected, '1']);
      vm.stop();
    }
  }, 900_000);
});

describe.sequential("Debian's real cloud-init (no agent) reads the disks we write", () => {
  let guest: ReturnType<typeof rootfsGuest>;
  beforeAll(() => {
    guest = rootfsGuest('cloud-init');
  }, 1_200_000);

  for (const format of ['nocloud', 'opennebula'] as const) {
    it(`${format}: cloud-init installs the key and runs the script`, async () => {
      const key = newKey(work, `cloud-init-${format}`);
      const iso = prepare(format, `cloud-init-${format}`, ['--hostname', `vm-${format}`, `ssh,${key}.pub`, `x-shellscript,${RUN_HTTP}`]);
      await manualExample("Debian's cloud-init", new Vm(), { kernel: guest.kernel, initrd: guest.initrd, append: guest.append, root: guest.rootImg, cdrom: iso, guestHttpPort: 80 }, format, key);
    }, 600_000);
  }
});
