import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sysvInitScript } from '../packages/guest-agent/src/units.js';
import { REPO, runCli, tempDir } from './helpers.js';

/**
 * Installing the agent into an image: the two systemd units (config before
 * sshd, scripts after the network), the SysV script enabled where there is
 * no systemd, files written atomically with fixed modes and never through a
 * symbolic link; the same from `stratus-context-agent install` and from the
 * bundle tarball's install.sh.
 */

const AGENT = join(REPO, 'packages/guest-agent/dist/stratus-context-agent.mjs');
const AS_ROOT = process.getuid?.() === 0;
const UNITS = 'etc/systemd/system';
const WANTS = `${UNITS}/multi-user.target.wants`;
const RUNLEVELS = [2, 3, 4, 5];

/** An image root; `systemd` puts systemd's binary in it. */
function image(systemd: boolean): string {
  const root = join(tempDir('stratus-install-'), 'image');
  mkdirSync(join(root, 'etc'), { recursive: true });
  if (systemd) {
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    writeFileSync(join(root, 'usr/lib/systemd/systemd'), '');
    mkdirSync(join(root, UNITS), { recursive: true });
  }
  return root;
}

/** `stratus-context-agent install --root ROOT`, under a umask that would spoil any mode left to it. */
function install(root: string) {
  return spawnSync('sh', ['-c', 'umask 077; exec "$0" "$@"', process.execPath, AGENT, 'install', '--root', root, '--node', '/usr/bin/node'], { encoding: 'utf8' });
}

/** The tarball's install.sh, unpacked from `stratus-context agent-bundle`. */
function installSh(root: string) {
  const dir = tempDir('stratus-bundle-');
  const tgz = join(dir, 'agent.tgz');
  expect(runCli('stratus-context', ['agent-bundle', '-o', tgz]).status).toBe(0);
  execFileSync('tar', ['xzf', tgz, '-C', dir]);
  expect(readdirSync(join(dir, 'stratus-context-agent'))).toContain('stratus-context-scripts.service');
  return spawnSync('sh', ['-c', 'umask 077; exec sh "$0" "$@"', join(dir, 'stratus-context-agent/install.sh'), root], { encoding: 'utf8' });
}

const mode = (p: string) => lstatSync(p).mode & 0o7777;
const read = (root: string, p: string) => readFileSync(join(root, p), 'utf8');

/** What both installers leave: files with their modes and owner, both units enabled. */
function expectInstalled(root: string, initDir = 'etc/init.d'): void {
  for (const [f, m] of [
    ['opt/stratus-context/stratus-context-agent.mjs', 0o644],
    ['usr/local/sbin/stratus-context-agent', 0o755],
    [`${UNITS}/stratus-context.service`, 0o644],
    [`${UNITS}/stratus-context-scripts.service`, 0o644],
    [`${initDir}/stratus-context`, 0o755],
  ] as const) {
    expect(mode(join(root, f)), f).toBe(m);
    if (AS_ROOT) expect([lstatSync(join(root, f)).uid, lstatSync(join(root, f)).gid], f).toEqual([0, 0]);
  }
  for (const d of ['opt', 'opt/stratus-context', 'usr/local', 'usr/local/sbin', WANTS]) expect(mode(join(root, d)), d).toBe(0o755);
  expect(readlinkSync(join(root, WANTS, 'stratus-context.service'))).toBe('/etc/systemd/system/stratus-context.service');
  expect(readlinkSync(join(root, WANTS, 'stratus-context-scripts.service'))).toBe('/etc/systemd/system/stratus-context-scripts.service');
  const leftovers = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? leftovers(join(dir, e.name)) : e.name.endsWith('.tmp') ? [join(dir, e.name)] : []));
  expect(leftovers(root)).toEqual([]);
}

const sysvLinks = (root: string, base = 'etc') => RUNLEVELS.map((n) => join(root, base, `rc${n}.d/S01stratus-context`)).filter((l) => lstatSync(l, { throwIfNoEntry: false }) !== undefined);

describe('the systemd units', () => {
  it('config before sshd, cron and logins; scripts after the network and the config, with no start timeout', () => {
    const root = image(true);
    const r = install(root);
    expect(r.status, r.stderr).toBe(0);
    const config = read(root, `${UNITS}/stratus-context.service`);
    const before = /^Before=(.*)$/m.exec(config)?.[1]?.split(' ') ?? [];
    for (const u of ['systemd-user-sessions.service', 'cron.service', 'ssh.service', 'sshd.service']) expect(before, u).toContain(u);
    expect(config).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/stratus-context\/stratus-context-agent\.mjs apply --phase config$/m);
    expect(config).not.toMatch(/network-online/);
    expect(config).toMatch(/^Type=oneshot$/m);

    const scripts = read(root, `${UNITS}/stratus-context-scripts.service`);
    expect(scripts).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/stratus-context\/stratus-context-agent\.mjs apply --phase scripts$/m);
    expect(scripts).toMatch(/^Wants=network-online\.target$/m);
    const after = /^After=(.*)$/m.exec(scripts)?.[1]?.split(' ') ?? [];
    expect(after).toEqual(expect.arrayContaining(['network-online.target', 'stratus-context.service']));
    expect(scripts).not.toMatch(/^Before=/m);
    expect(scripts).toMatch(/^Type=oneshot$/m);
    expect(scripts).toMatch(/^RemainAfterExit=yes$/m);
    expect(scripts).toMatch(/^TimeoutStartSec=infinity$/m);
    expect(scripts).toMatch(/^WantedBy=multi-user\.target$/m);

    expectInstalled(root);
    expect(sysvLinks(root)).toEqual([]);
    expect(r.stdout).toMatch(/not enabled: the image has systemd/);
  });

  it('a second install replaces the files by rename: a hard link to the old unit keeps the old text', () => {
    const root = image(true);
    expect(install(root).status).toBe(0);
    const unit = join(root, UNITS, 'stratus-context.service');
    writeFileSync(unit, 'old\n');
    linkSync(unit, join(root, 'old-unit'));
    const r = install(root);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(root, 'old-unit'), 'utf8')).toBe('old\n');
    expect(readFileSync(unit, 'utf8')).toMatch(/^\[Unit\]/);
    expectInstalled(root);
  });
});

describe('the SysV script', () => {
  it('is enabled in runlevels 2-5 where the image has no systemd', () => {
    for (const run of [install, installSh]) {
      const root = image(false);
      const r = run(root);
      expect(r.status, r.stderr).toBe(0);
      expectInstalled(root);
      for (const n of RUNLEVELS) expect(readlinkSync(join(root, `etc/rc${n}.d/S01stratus-context`)), run.name).toBe('../init.d/stratus-context');
      expect(run(root).status, 'again').toBe(0);
    }
  });

  it("goes to /etc/rc.d in Red Hat's layout, where /etc/init.d is a link", () => {
    for (const run of [install, installSh]) {
      const root = image(false);
      mkdirSync(join(root, 'etc/rc.d/init.d'), { recursive: true });
      symlinkSync('rc.d/init.d', join(root, 'etc/init.d'));
      const r = run(root);
      expect(r.status, r.stderr).toBe(0);
      expectInstalled(root, 'etc/rc.d/init.d');
      for (const n of RUNLEVELS) expect(readlinkSync(join(root, `etc/rc.d/rc${n}.d/S01stratus-context`)), run.name).toBe('../init.d/stratus-context');
    }
  });

  it('start applies the config phase, then the scripts phase in the background; no scripts when the config phase failed', () => {
    const dir = tempDir('stratus-sysv-');
    const log = join(dir, 'calls');
    for (const status of [0, 1]) {
      writeFileSync(log, '');
      const node = join(dir, `node-${status}`);
      writeFileSync(node, `#!/bin/sh\necho "$*" >> ${log}\ncase "$*" in *"--phase config"*) exit ${status} ;; esac\n`);
      chmodSync(node, 0o755);
      writeFileSync(join(dir, 'init'), sysvInitScript(node));
      const r = spawnSync('sh', [join(dir, 'init'), 'start'], { encoding: 'utf8' });
      expect(r.status).toBe(status);
      const deadline = Date.now() + 5000;
      while (status === 0 && readFileSync(log, 'utf8').split('\n').length < 3 && Date.now() < deadline) execFileSync('sleep', ['0.05']);
      const calls = readFileSync(log, 'utf8').trim().split('\n');
      expect(calls).toEqual(['/opt/stratus-context/stratus-context-agent.mjs apply --phase config', ...(status === 0 ? ['/opt/stratus-context/stratus-context-agent.mjs apply --phase scripts'] : [])]);
    }
  });
});

describe('never through a symbolic link', () => {
  it('a linked folder on the way is refused, and nothing lands where it points', () => {
    for (const run of [install, installSh]) {
      const root = image(true);
      const outside = join(tempDir('stratus-outside-'), 'target');
      mkdirSync(outside);
      mkdirSync(join(root, 'opt'), { recursive: true });
      symlinkSync(outside, join(root, 'opt/stratus-context'));
      const r = run(root);
      expect(r.status, run.name).not.toBe(0);
      expect(r.stderr, run.name).toMatch(/symbolic link/);
      expect(readdirSync(outside), run.name).toEqual([]);
    }
  });

  it('a unit file that is a link is replaced or refused, its target untouched', () => {
    for (const run of [install, installSh]) {
      const root = image(true);
      const outside = join(tempDir('stratus-outside-'), 'precious');
      writeFileSync(outside, 'precious\n');
      symlinkSync(outside, join(root, UNITS, 'stratus-context-scripts.service'));
      run(root);
      expect(readFileSync(outside, 'utf8'), run.name).toBe('precious\n');
    }
  });
});
