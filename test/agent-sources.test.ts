import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContextError } from '@stratus-context/core';
import { parseConfig } from '../packages/guest-agent/src/config.js';
import { GuestRoot } from '../packages/guest-agent/src/guest-root.js';
import { candidateDevices, chooseDevices, LABEL_ORDER, labelledDevices } from '../packages/guest-agent/src/sources.js';
import { FIXTURES, REPO, runAgentBundle, runCli, tempDir } from './helpers.js';

/**
 * Which device is the context: read-only and removable devices before
 * writable disks, writable disks only when agent.conf allows them, a warning
 * naming the devices passed over, a bounded wait for a late CD-ROM, and
 * nothing in /dev that can hang the agent.
 */

const ED = readFileSync(join(FIXTURES, 'keys/ed25519.pub'), 'utf8').trim();
const RSA = readFileSync(join(FIXTURES, 'keys/rsa.pub'), 'utf8').trim();
const AS_ROOT = process.getuid?.() === 0;

let counter = 0;
function guest(): { root: string; inputs: string } {
  const base = tempDir('stratus-sources-');
  const root = join(base, `root-${(counter += 1)}`);
  const inputs = join(base, 'in');
  for (const d of ['etc', 'root', 'dev', 'var']) mkdirSync(join(root, d), { recursive: true });
  mkdirSync(inputs, { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  return { root, inputs };
}

/** A context disk (opennebula: CONTEXT, nocloud: cidata) with one key, at `path`. */
function disk(path: string, format: 'opennebula' | 'nocloud', key: 'ed25519' | 'rsa'): void {
  const res = runCli('stratus-context', ['prepare', '--format', format, '--iso', path, `ssh,${FIXTURES}/keys/${key}.pub`]);
  expect(res.status, res.stderr).toBe(0);
}

/** The descriptors only: the label is there, the tree is gone. */
function corruptDisk(path: string, format: 'opennebula' | 'nocloud'): void {
  disk(path, format, 'rsa');
  writeFileSync(path, readFileSync(path).subarray(0, 18 * 2048));
}

/** Marks a fake device as sysfs would: /sys/block/NAME/{ro,removable}. */
function sysfs(root: string, name: string, attrs: { ro?: 0 | 1; removable?: 0 | 1 }): void {
  mkdirSync(join(root, 'sys/block', name), { recursive: true });
  for (const [k, v] of Object.entries(attrs)) writeFileSync(join(root, 'sys/block', name, k), `${v}\n`);
}

/** A NoCloud seed directory with the ed25519 key. */
function nocloudSeed(root: string): void {
  const seed = join(root, 'var/lib/cloud/seed/nocloud');
  mkdirSync(seed, { recursive: true });
  writeFileSync(join(seed, 'meta-data'), 'instance-id: i-seed\n');
  writeFileSync(join(seed, 'user-data'), `#cloud-config\nssh_authorized_keys: [${ED}]\n`);
}

function agentConf(root: string, text: string, mode = 0o644): string {
  mkdirSync(join(root, 'etc/stratus-context'), { recursive: true, mode: 0o755 });
  const path = join(root, 'etc/stratus-context/agent.conf');
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** Runs the bundled agent on the fake root; the report, and how long it took. */
function apply(root: string, extra: string[] = []) {
  const t = performance.now();
  const res = runAgentBundle(['apply', '--root', root, '--json', ...extra]);
  return { ...res, ms: performance.now() - t, report: res.status === 0 || res.status === 3 ? JSON.parse(res.stdout) : undefined };
}

/** Applies, and checks the context came from `source`. */
function appliedFrom(root: string, source: string) {
  const r = apply(root);
  expect(r.status, r.stderr).toBe(0);
  expect(r.report.source).toBe(source);
  return r;
}

const authorized = (root: string) => readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8');

describe('read-only devices before writable disks', () => {
  it('the CD-ROM wins over a writable vdb labelled CONTEXT, and a warning names vdb', () => {
    const { root } = guest();
    disk(join(root, 'dev/sr0'), 'nocloud', 'ed25519');
    disk(join(root, 'dev/vdb'), 'opennebula', 'rsa');
    sysfs(root, 'vdb', { ro: 0, removable: 0 });
    const r = appliedFrom(root, '/dev/sr0');
    expect(authorized(root)).toBe(`${ED}\n`);
    expect(r.stderr).toMatch(/^stratus-context-agent: warning: ignoring \/dev\/vdb: a writable disk labelled CONTEXT is a context source only with writable_disks = yes in \/etc\/stratus-context\/agent\.conf$/m);
  });

  it('a lone writable disk labelled CONTEXT is not a context: nothing applied', () => {
    const { root } = guest();
    disk(join(root, 'dev/vdb'), 'opennebula', 'rsa');
    const r = runAgentBundle(['apply', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/warning: ignoring \/dev\/vdb: a writable disk/);
    expect(r.stderr).toMatch(/no context found: no read-only device labelled/);
  });

  it('a device that sysfs says is read-only, or removable, is the cloud\'s: it wins over a writable disk of a better label', () => {
    for (const attrs of [{ ro: 1 }, { removable: 1 }] as const) {
      const { root } = guest();
      disk(join(root, 'dev/vdb'), 'nocloud', 'rsa');
      sysfs(root, 'vdb', attrs);
      disk(join(root, 'dev/vda'), 'opennebula', 'ed25519');
      agentConf(root, 'writable_disks = yes\n');
      const r = appliedFrom(root, '/dev/vdb');
      expect(authorized(root)).toBe(`${RSA}\n`);
      expect(r.report.warnings).toEqual(['several devices carry a context: using /dev/vdb (cidata), ignoring /dev/vda (CONTEXT, writable)']);
    }
  });

  it('writable_disks = yes in agent.conf lets a writable disk be the context, after the read-only ones', () => {
    const { root } = guest();
    disk(join(root, 'dev/vdb'), 'opennebula', 'rsa');
    agentConf(root, '# this image runs where no user can attach disks\nwritable_disks = yes\n');
    const r = appliedFrom(root, '/dev/vdb');
    expect(authorized(root)).toBe(`${RSA}\n`);

    disk(join(root, 'dev/sr0'), 'nocloud', 'ed25519');
    const both = apply(root);
    expect(both.report.source).toBe('/dev/sr0');
    expect(both.stderr).toMatch(/warning: several devices carry a context: using \/dev\/sr0 \(cidata\), ignoring \/dev\/vdb \(CONTEXT, writable\)/);
  });

  it('several read-only labelled devices: the first by label order is used, the others named in a warning and in the report', () => {
    const { root } = guest();
    disk(join(root, 'dev/sr0'), 'nocloud', 'rsa');
    disk(join(root, 'dev/sr1'), 'opennebula', 'ed25519');
    const r = apply(root);
    expect(r.report.source).toBe('/dev/sr1');
    const warning = 'several devices carry a context: using /dev/sr1 (CONTEXT), ignoring /dev/sr0 (cidata)';
    expect(r.stderr).toBe(`stratus-context-agent: warning: ${warning}\n`);
    expect(r.report.warnings).toEqual([warning]);
  });
});

describe('broken devices', () => {
  it('a corrupt writable disk labelled CONTEXT is skipped with a warning; the CD-ROM applies', () => {
    const { root } = guest();
    corruptDisk(join(root, 'dev/vda'), 'opennebula');
    disk(join(root, 'dev/sr0'), 'nocloud', 'ed25519');
    const r = appliedFrom(root, '/dev/sr0');
    expect(r.stderr).toMatch(/warning: ignoring \/dev\/vda: a writable disk labelled CONTEXT/);
  });

  it('a corrupt read-only labelled device stops the search: a seed directory is not used instead', () => {
    const { root } = guest();
    corruptDisk(join(root, 'dev/sr0'), 'nocloud');
    nocloudSeed(root);
    const r = runAgentBundle(['apply', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^stratus-context-agent: broken context on \/dev\/sr0: /m);
  });
});

describe('agent.conf', () => {
  it('labels and formats restrict what is accepted', () => {
    const { root } = guest();
    disk(join(root, 'dev/sr0'), 'nocloud', 'rsa');
    disk(join(root, 'dev/sr1'), 'opennebula', 'ed25519');
    agentConf(root, 'labels = cidata\n');
    const byLabel = apply(root);
    expect(byLabel.report.source).toBe('/dev/sr0');
    expect(byLabel.report.warnings).toEqual(['ignoring /dev/sr1: its label CONTEXT is not in the labels of /etc/stratus-context/agent.conf']);

    agentConf(root, 'FORMATS=opennebula\n');
    writeFileSync(join(root, 'dev/sr1'), '');
    const seed = join(root, 'var/lib/cloud/seed/opennebula');
    mkdirSync(seed, { recursive: true });
    writeFileSync(join(seed, 'context.sh'), `SSH_PUBLIC_KEY="${ED}"\n`);
    const byFormat = apply(root);
    expect(byFormat.status, byFormat.stderr).toBe(0);
    expect(byFormat.report).toMatchObject({ source: '/var/lib/cloud/seed/opennebula', format: 'opennebula' });
    expect(byFormat.stderr).toMatch(/warning: ignoring the nocloud context on \/dev\/sr0: \/etc\/stratus-context\/agent\.conf accepts only opennebula/);
  });

  it('a malformed file is one line naming the file and the line, no stack trace, nothing applied', () => {
    for (const [text, line, what] of [
      ['# ok\nwritable_disks = no\n\ndevice_wait = soon\n', 4, /device_wait takes seconds/],
      ['labels = CONTEXT floppy\n', 1, /labels: unknown "floppy"/],
      ['writable_disks\n', 1, /expected "key = value"/],
      ['writeable_disks = yes\n', 1, /unknown key "writeable_disks"/],
      ['formats = nocloud\nformats = hepix\n', 2, /formats is set twice/],
    ] as const) {
      const { root } = guest();
      disk(join(root, 'dev/sr0'), 'nocloud', 'rsa');
      agentConf(root, text);
      const r = runAgentBundle(['apply', '--root', root]);
      expect(r.status, text).toBe(1);
      expect(r.stderr.trim().split('\n'), text).toHaveLength(1);
      expect(r.stderr, text).toMatch(new RegExp(`^stratus-context-agent: /etc/stratus-context/agent\\.conf:${line}: `));
      expect(r.stderr, text).toMatch(what);
      expect(r.stderr).not.toMatch(/internal error|    at /);
    }
  });

  it('is refused when it is a symbolic link, writable by group or others, or not owned by root', () => {
    const cases: [string, (root: string) => void, RegExp][] = [
      ['symlink', (root) => {
        const real = agentConf(root, 'writable_disks = yes\n');
        renameSync(real, `${real}.real`);
        symlinkSync(`${real}.real`, real);
      }, /refusing \/etc\/stratus-context\/agent\.conf: it is a symbolic link/],
      ['group-writable', (root) => agentConf(root, 'writable_disks = yes\n', 0o664), /refusing .*agent\.conf: it is writable by its group \(mode 664\)/],
      ['world-writable', (root) => agentConf(root, 'writable_disks = yes\n', 0o646), /refusing .*agent\.conf: it is writable by others/],
      ['writable folder', (root) => {
        agentConf(root, 'writable_disks = yes\n');
        chmodSync(join(root, 'etc/stratus-context'), 0o777);
      }, /refusing .*agent\.conf: \/etc\/stratus-context is writable by its group/],
    ];
    if (AS_ROOT) cases.push(['owned by a user', (root) => chownSync(agentConf(root, 'writable_disks = yes\n'), 1000, 1000), /refusing .*agent\.conf: it is owned by uid 1000, not root/]);
    for (const [name, make, message] of cases) {
      const { root } = guest();
      disk(join(root, 'dev/vdb'), 'opennebula', 'rsa');
      make(root);
      const r = runAgentBundle(['apply', '--root', root]);
      expect(r.status, name).toBe(1);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
    }
  });

  it('parses key = value and KEY=VALUE lines, comments, quotes; defaults without it', () => {
    const fake = new GuestRoot('/nonexistent-root');
    expect(parseConfig('', fake, LABEL_ORDER)).toEqual({ writableDisks: false, deviceWaitMs: 0 });
    expect(parseConfig('', new GuestRoot('/'), LABEL_ORDER).deviceWaitMs).toBe(5000);
    const c = parseConfig('WRITABLE_DISKS=yes\n  labels = "CONTEXT, cidata"  # the clouds we run on\nformats = nocloud opennebula\ndevice_wait = 2.5\n', fake, LABEL_ORDER);
    expect(c).toEqual({ writableDisks: true, labels: ['CONTEXT', 'cidata', 'CIDATA'], formats: ['opennebula', 'nocloud'], deviceWaitMs: 2500 });
    const err = (() => {
      try {
        parseConfig('device_wait = 100000\n', fake, LABEL_ORDER);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ContextError);
    expect(err).toMatchObject({ code: 'bad-config', input: { file: '/etc/stratus-context/agent.conf', line: 1 } });
  });
});

describe('the wait for the context device', () => {
  it('polls /dev for device_wait seconds: a CD-ROM that appears late is found', async () => {
    const { root, inputs } = guest();
    agentConf(root, 'device_wait = 20\n');
    const image = join(inputs, 'late.iso');
    disk(image, 'nocloud', 'ed25519');
    const agent = spawn(process.execPath, [join(REPO, 'packages/guest-agent/dist/stratus-context-agent.mjs'), 'apply', '--root', root, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    agent.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    agent.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // In place at once, as a device node appears: written aside, renamed in.
    execFileSync('cp', [image, join(root, 'dev/.sr0.tmp')]);
    renameSync(join(root, 'dev/.sr0.tmp'), join(root, 'dev/sr0'));
    const t = performance.now();
    expect(await exited, stderr).toBe(0);
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(JSON.parse(stdout).source).toBe('/dev/sr0');
    expect(authorized(root)).toBe(`${ED}\n`);
  });

  it('when the wait is over without a device, the seed directories are read', () => {
    const { root } = guest();
    agentConf(root, 'device_wait = 0.5\n');
    nocloudSeed(root);
    const r = appliedFrom(root, '/var/lib/cloud/seed/nocloud');
    expect(r.ms).toBeGreaterThanOrEqual(500);
  });
});

describe('what in /dev is a candidate', () => {
  /** A root the agent treats as a real guest's, laid out in a test folder. */
  class RealLikeRoot extends GuestRoot {
    override get isReal(): boolean {
      return true;
    }
    override path(guestPath: string): string {
      return join(this.dir, guestPath);
    }
  }

  it('on a real root only block devices: an image file in /dev is not a context', () => {
    const { root } = guest();
    disk(join(root, 'dev/sr0'), 'opennebula', 'rsa');
    expect(candidateDevices(new GuestRoot(root))).toEqual(['/dev/sr0']);
    expect(candidateDevices(new RealLikeRoot(root))).toEqual([]);
    expect(labelledDevices(new RealLikeRoot(root))).toEqual([]);
  });

  it('a FIFO named like a device, or in sysfs, does not hang the agent', () => {
    const { root } = guest();
    execFileSync('mkfifo', [join(root, 'dev/vdc'), join(root, 'dev/sdb')]);
    disk(join(root, 'dev/vdb'), 'opennebula', 'rsa');
    mkdirSync(join(root, 'sys/block/vdb'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'sys/block/vdb/ro'), join(root, 'sys/block/vdb/removable')]);
    symlinkSync('vdc', join(root, 'dev/cdrom'));
    expect(labelledDevices(new GuestRoot(root))).toEqual([{ path: '/dev/vdb', label: 'CONTEXT', readOnly: false }]);
    disk(join(root, 'dev/sr0'), 'nocloud', 'ed25519');
    const r = appliedFrom(root, '/dev/sr0');
    expect(r.ms).toBeLessThan(20_000);
  });

  it('orders read-only first, then by label, then by name', () => {
    const dev = (path: string, label: string, readOnly: boolean) => ({ path, label, readOnly });
    const choice = chooseDevices([dev('/dev/sr1', 'cidata', true), dev('/dev/vda', 'CONTEXT', false), dev('/dev/sr0', 'cidata', true), dev('/dev/sr2', 'CONTEXT', true)], {
      writableDisks: true,
      deviceWaitMs: 0,
    });
    expect(choice.usable.map((d) => d.path)).toEqual(['/dev/sr2', '/dev/sr0', '/dev/sr1', '/dev/vda']);
    expect(choice.refused).toEqual([]);
  });
});
