import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FORMAT_NAMES } from '@stratus-context/core';
import { FIXTURES, runAgentBundle, runCli, tempDir } from './helpers.js';

const ED = readFileSync(join(FIXTURES, 'keys/ed25519.pub'), 'utf8').trim();
const RSA = readFileSync(join(FIXTURES, 'keys/rsa.pub'), 'utf8').trim();
const ECDSA = readFileSync(join(FIXTURES, 'keys/ecdsa.pub'), 'utf8').trim();

let counter = 0;
/** A fake guest root with root and alice, and a folder for the test's inputs. */
function guest(): { root: string; inputs: string } {
  const base = tempDir('stratus-agent-');
  const root = join(base, `root-${(counter += 1)}`);
  const inputs = join(base, 'in');
  for (const d of ['etc', 'root', 'dev', 'home/alice', 'var']) mkdirSync(join(root, d), { recursive: true });
  mkdirSync(inputs, { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nalice:x:1000:\nwww:x:33:\n');
  return { root, inputs };
}

/** A script that counts its runs in the fake root. */
function countingScript(inputs: string, name: string, extra = ''): string {
  const path = join(inputs, name);
  writeFileSync(path, `#!/bin/sh\necho "$0 $*" >> "$STRATUS_CONTEXT_ROOT/var/${name}.count"\n${extra}`);
  return path;
}

function count(root: string, name: string): number {
  const f = join(root, 'var', `${name}.count`);
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').length : 0;
}

function prepare(args: string[]): void {
  const res = runCli('stratus-context', ['prepare', ...args]);
  expect(res.status, res.stderr).toBe(0);
}

function apply(root: string, extra: string[] = []) {
  const res = runAgentBundle(['apply', '--root', root, '--json', ...extra]);
  return { ...res, report: res.status === 0 || res.status === 3 ? JSON.parse(res.stdout) : undefined };
}

const mode = (p: string) => statSync(p).mode & 0o777;
const authorized = (root: string, home = '/root') => readFileSync(join(root, home, '.ssh/authorized_keys'), 'utf8');

describe('the agent applies every kind of disk the CLI writes', () => {
  for (const format of FORMAT_NAMES) {
    it(`${format}: keys with safe modes, the script once per instance, a second run changes nothing`, () => {
      const { root, inputs } = guest();
      const script = countingScript(inputs, 'run.sh');
      prepare(['--format', format, '--iso', join(root, 'dev/sr0'), '--hostname', 'web-1', `ssh,${FIXTURES}/keys/ed25519.pub`, `x-shellscript,${script}`]);
      const first = apply(root);
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.report.format).toBe(format);
      expect(authorized(root)).toBe(`${ED}\n`);
      expect(mode(join(root, 'root/.ssh'))).toBe(0o700);
      expect(mode(join(root, 'root/.ssh/authorized_keys'))).toBe(0o600);
      expect(count(root, 'run.sh')).toBe(1);
      if (format !== 'cloud-init') expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('web-1\n');

      const before = statSync(join(root, 'root/.ssh/authorized_keys')).mtimeMs;
      const second = apply(root);
      expect(second.status).toBe(0);
      expect(second.report.newInstance).toBe(false);
      expect(second.report.keys[0]).toMatchObject({ added: [], removed: [], changed: false });
      expect(second.report.scripts[0].status).toBe('done-for-instance');
      expect(count(root, 'run.sh')).toBe(1);
      expect(statSync(join(root, 'root/.ssh/authorized_keys')).mtimeMs).toBe(before);
    });
  }
});

describe('keys', () => {
  it('go to USERNAME when the context names one, owned by that user', () => {
    const { root } = guest();
    prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr0'), '--var', 'USERNAME=alice', `ssh,${FIXTURES}/keys/ed25519.pub`]);
    expect(apply(root).status).toBe(0);
    expect(authorized(root, '/home/alice')).toBe(`${ED}\n`);
    const st = lstatSync(join(root, 'home/alice/.ssh/authorized_keys'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([1000, 1000, 0o600]);
    expect(existsSync(join(root, 'root/.ssh'))).toBe(false);
  });

  it('keep hand-added keys, and drop the keys of an earlier context that the new one no longer lists', () => {
    const { root } = guest();
    mkdirSync(join(root, 'root/.ssh'), { mode: 0o700 });
    writeFileSync(join(root, 'root/.ssh/authorized_keys'), `# mine\n${ECDSA}\n`);
    prepare(['--format', 'nocloud', '--iso', join(root, 'dev/sr0'), '--instance-id', 'i-1', `ssh,${FIXTURES}/keys/ed25519.pub`]);
    expect(apply(root).status).toBe(0);
    expect(authorized(root)).toBe(`# mine\n${ECDSA}\n${ED}\n`);
    prepare(['--format', 'nocloud', '--iso', join(root, 'dev/sr0'), '--instance-id', 'i-2', `ssh,${FIXTURES}/keys/rsa.pub`]);
    const r = apply(root);
    expect(r.report.keys[0].removed).toEqual([ED]);
    expect(authorized(root)).toBe(`# mine\n${ECDSA}\n${RSA}\n`);
  });

  it('move to the new user when USERNAME changes', () => {
    const { root } = guest();
    prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr0'), `ssh,${FIXTURES}/keys/ed25519.pub`]);
    apply(root);
    prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr0'), '--var', 'USERNAME=alice', `ssh,${FIXTURES}/keys/ed25519.pub`]);
    expect(apply(root).status).toBe(0);
    expect(authorized(root)).toBe('');
    expect(authorized(root, '/home/alice')).toBe(`${ED}\n`);
  });
});

describe('scripts', () => {
  it('run per boot, per instance and once as their types say, in a defined order', () => {
    const { root, inputs } = guest();
    const pairs = ['x-shellscript,user.sh', 'x-shellscript-per-boot,boot.sh', 'x-shellscript-per-once,once.sh', 'x-shellscript-per-instance,inst.sh', 'cloud-boothook,hook.sh'];
    for (const p of pairs) countingScript(inputs, p.split(',')[1]!, `echo ${p.split(',')[1]} >> "$STRATUS_CONTEXT_ROOT/var/order"\n`);
    const make = (iid: string) => prepare(['--format', 'nocloud', '--iso', join(root, 'dev/sr0'), '--instance-id', iid, ...pairs.map((p) => p.replace(',', `,${inputs}/`))]);
    make('i-1');
    expect(apply(root).status).toBe(0);
    expect(readFileSync(join(root, 'var/order'), 'utf8').trim().split('\n')).toEqual(['hook.sh', 'once.sh', 'boot.sh', 'inst.sh', 'user.sh']);
    apply(root);
    expect([count(root, 'user.sh'), count(root, 'boot.sh'), count(root, 'once.sh'), count(root, 'inst.sh'), count(root, 'hook.sh')]).toEqual([1, 2, 1, 1, 2]);
    make('i-2');
    apply(root);
    expect([count(root, 'user.sh'), count(root, 'boot.sh'), count(root, 'once.sh'), count(root, 'inst.sh'), count(root, 'hook.sh')]).toEqual([2, 3, 1, 2, 3]);
  });

  it('a failing script does not stop the others; the exit status says some failed; output is logged', () => {
    const { root, inputs } = guest();
    writeFileSync(join(inputs, 'fail.sh'), '#!/bin/sh\necho "about to fail" >&2\nexit 7\n');
    const ok = countingScript(inputs, 'ok.sh');
    prepare(['--format', 'nocloud', '--iso', join(root, 'dev/sr0'), `x-shellscript,${inputs}/fail.sh`, `x-shellscript,${ok}`]);
    const r = apply(root);
    expect(r.status).toBe(3);
    expect(r.report.scripts.map((s: { ok: boolean }) => s.ok)).toEqual([false, true]);
    expect(r.report.scripts[0].run.exitCode).toBe(7);
    expect(readFileSync(join(root, r.report.scripts[0].run.log), 'utf8')).toBe('about to fail\n');
    expect(count(root, 'ok.sh')).toBe(1);
    expect(readFileSync(join(root, 'var/log/stratus-context/agent.log'), 'utf8')).toMatch(/script fail\.sh \(text\/x-shellscript\): exit 7/);
  });

  it('a script over its timeout is killed; a script that starts a daemon does not hang the agent', () => {
    const { root, inputs } = guest();
    writeFileSync(join(inputs, 'slow.sh'), '#!/bin/sh\nsleep 30\n');
    writeFileSync(join(inputs, 'daemon.sh'), '#!/bin/sh\n(sleep 20; echo late) &\necho started\n');
    prepare(['--format', 'nocloud', '--iso', join(root, 'dev/sr0'), `x-shellscript,${inputs}/slow.sh`, `x-shellscript,${inputs}/daemon.sh`]);
    const t = performance.now();
    const r = apply(root, ['--script-timeout', '1']);
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(r.status).toBe(3);
    expect(r.report.scripts[0].run.timedOut).toBe(true);
    expect(r.report.scripts[1]).toMatchObject({ ok: true, status: 'ran' });
  });

  it('literal user data with #!, OpenNebula START_SCRIPT and HEPiX prolog/epilog run', () => {
    const { root, inputs } = guest();
    const lit = countingScript(inputs, 'literal.sh');
    prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr0'), '--var', `START_SCRIPT=echo start >> "$STRATUS_CONTEXT_ROOT/var/start.count"`, `none,${lit}`]);
    expect(apply(root).status).toBe(0);
    expect([count(root, 'literal.sh'), count(root, 'start')]).toEqual([1, 1]);
    const h = guest();
    const prolog = countingScript(h.inputs, 'prolog.sh', 'echo prolog >> "$STRATUS_CONTEXT_ROOT/var/order"\n');
    const epilog = countingScript(h.inputs, 'epilog.sh', 'echo epilog >> "$STRATUS_CONTEXT_ROOT/var/order"\n');
    const user = countingScript(h.inputs, 'user.sh', 'echo user >> "$STRATUS_CONTEXT_ROOT/var/order"\n');
    prepare(['--format', 'hepix', '--iso', join(h.root, 'dev/sr0'), '--file', prolog, '--file', epilog, `x-shellscript,${user}`]);
    expect(apply(h.root).status).toBe(0);
    expect(readFileSync(join(h.root, 'var/order'), 'utf8')).toBe('prolog\nuser\nepilog\n');
    expect(readFileSync(join(h.root, 'var/prolog.sh.count'), 'utf8')).toMatch(/ start\n$/);
  });
});

describe('#cloud-config', () => {
  it('applies ssh_authorized_keys, write_files, runcmd and hostname; reports the other keys', () => {
    const { root, inputs } = guest();
    writeFileSync(
      join(inputs, 'cc.yaml'),
      [
        '#cloud-config',
        'hostname: cc-host',
        'ssh_authorized_keys:',
        `  - ${RSA}`,
        'write_files:',
        '  - path: /var/www/test.txt',
        '    content: SUCCESSFUL TEST',
        "    permissions: '0640'",
        '    owner: alice:www',
        '  - path: /etc/b64.bin',
        '    encoding: b64',
        `    content: ${Buffer.from([0, 1, 2, 255]).toString('base64')}`,
        'runcmd:',
        '  - echo one >> "$STRATUS_CONTEXT_ROOT/var/runcmd"',
        '  - [sh, -c, "echo two >> \\"$STRATUS_CONTEXT_ROOT/var/runcmd\\""]',
        'packages: [nginx]',
        '',
      ].join('\n'),
    );
    prepare(['--format', 'nocloud', '--iso', join(root, 'dev/sr0'), `ssh,${FIXTURES}/keys/ed25519.pub`, `cloud-config,${inputs}/cc.yaml`]);
    const r = apply(root);
    expect(r.status).toBe(0);
    expect(authorized(root)).toBe(`${ED}\n${RSA}\n`);
    expect(readFileSync(join(root, 'var/www/test.txt'), 'utf8')).toBe('SUCCESSFUL TEST');
    const st = statSync(join(root, 'var/www/test.txt'));
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o640, 1000, 33]);
    expect([...readFileSync(join(root, 'etc/b64.bin'))]).toEqual([0, 1, 2, 255]);
    expect(readFileSync(join(root, 'var/runcmd'), 'utf8')).toBe('one\ntwo\n');
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('cc-host\n');
    expect(r.report.notApplied).toEqual(['cloud-config key packages: not applied by the agent']);
  });
});

describe('hostile inputs are refused, nothing written outside the root, existing keys intact', () => {
  it('a part named ../../etc/evil stays inside the scripts folder', () => {
    const { root } = guest();
    const dir = join(root, 'var/lib/cloud/seed/nocloud');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'meta-data'), 'instance-id: i-evil\n');
    writeFileSync(
      join(dir, 'user-data'),
      `Content-Type: multipart/mixed; boundary="b"\nMIME-Version: 1.0\n\n--b\nContent-Type: text/x-shellscript\nContent-Disposition: attachment; filename="../../../../etc/evil"\n\n#!/bin/sh\necho hi\n--b--\n`,
    );
    const r = apply(root);
    expect(r.status).toBe(0);
    expect(r.report.source).toBe('/var/lib/cloud/seed/nocloud');
    expect(r.report.scripts[0].name).toBe('evil');
    expect(existsSync(join(root, 'etc/evil'))).toBe(false);
    expect(readdirSync(join(root, 'var/lib/stratus-context/instances/i-evil/scripts'))).toEqual(['01-evil']);
  });

  // Links the user made (owned by alice) are refused; the agent follows only links that root made in root's folders.
  for (const what of ['~/.ssh', 'authorized_keys']) {
    it.skipIf(process.getuid?.() !== 0)(`a symlinked ${what} that the user made is refused and its target untouched`, () => {
      const { root, inputs } = guest();
      const outside = join(inputs, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'authorized_keys'), 'precious\n');
      const home = join(root, 'home/alice');
      chownSync(home, 1000, 1000);
      const link = what === '~/.ssh' ? join(home, '.ssh') : join(home, '.ssh/authorized_keys');
      if (what === '~/.ssh') symlinkSync(outside, link);
      else {
        mkdirSync(join(home, '.ssh'), { mode: 0o700 });
        chownSync(join(home, '.ssh'), 1000, 1000);
        symlinkSync(join(outside, 'authorized_keys'), link);
      }
      lchownSync(link, 1000, 1000);
      prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr0'), '--var', 'USERNAME=alice', `ssh,${FIXTURES}/keys/ed25519.pub`]);
      const r = apply(root);
      // One failed item, named; nothing written through the link.
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/failed: keys of alice: refusing \/home\/alice\/\.ssh.*symbolic link/);
      expect(r.report.failures).toHaveLength(1);
      expect(readFileSync(join(outside, 'authorized_keys'), 'utf8')).toBe('precious\n');
    });
  }

  it('a link that root made in a root-owned folder is followed (/home -> /srv/home)', () => {
    const { root } = guest();
    mkdirSync(join(root, 'srv'));
    execFileSync('mv', [join(root, 'home'), join(root, 'srv/home')]);
    symlinkSync('srv/home', join(root, 'home'));
    prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr0'), '--var', 'USERNAME=alice', `ssh,${FIXTURES}/keys/ed25519.pub`]);
    expect(apply(root).status).toBe(0);
    expect(readFileSync(join(root, 'srv/home/alice/.ssh/authorized_keys'), 'utf8')).toBe(`${ED}\n`);
  });

  it('a gzip bomb in user data is refused with a clear error', () => {
    const { root } = guest();
    const bomb = Buffer.alloc(40 << 20);
    const kv = `CONTEXT_METHOD=cloud-init\nCLOUD_INIT_USER_DATA=${gzipSync(bomb, { level: 9 }).toString('base64')}\n`;
    mkdirSync(join(root, 'root/.ssh'), { mode: 0o700 });
    writeFileSync(join(root, 'root/.ssh/authorized_keys'), `${ECDSA}\n`);
    const src = join(root, 'ctx.txt');
    writeFileSync(src, kv);
    const r = runAgentBundle(['apply', '--root', root, '--source', src]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken context on .*ctx\.txt: gzipped data expands to more than 33554432 bytes/);
    expect(authorized(root)).toBe(`${ECDSA}\n`);
  });

  it('a corrupt disk labelled CONTEXT is a broken context: refused, nothing written', () => {
    const { root } = guest();
    prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr0'), `ssh,${FIXTURES}/keys/ed25519.pub`]);
    const img = readFileSync(join(root, 'dev/sr0'));
    writeFileSync(join(root, 'dev/sr0'), img.subarray(0, 18 * 2048)); // descriptors only: the tree is gone
    const r = runAgentBundle(['apply', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^stratus-context-agent: broken context on \/dev\/sr0: /);
    expect(existsSync(join(root, 'root/.ssh'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/stratus-context'))).toBe(false);
  });
});

describe('finding the context', () => {
  it('reports no context with exit 1 and one line', () => {
    const { root } = guest();
    const r = runAgentBundle(['apply', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no context found/);
  });

  it('picks devices by label in the stated order, ignoring disks that are not contexts', () => {
    const { root } = guest();
    writeFileSync(join(root, 'dev/sda'), Buffer.alloc(64 * 1024));
    prepare(['--format', 'nocloud', '--iso', join(root, 'dev/sr0'), `ssh,${FIXTURES}/keys/rsa.pub`]);
    prepare(['--format', 'opennebula', '--iso', join(root, 'dev/sr1'), `ssh,${FIXTURES}/keys/ed25519.pub`]);
    const r = apply(root);
    expect(r.report).toMatchObject({ source: '/dev/sr1', format: 'opennebula', volumeId: 'CONTEXT' });
    expect(authorized(root)).toBe(`${ED}\n`);
  });

  it('--source takes a directory; --dry-run writes nothing and runs nothing', () => {
    const { root, inputs } = guest();
    const script = countingScript(inputs, 'run.sh');
    prepare(['--format', 'config-drive', '--dir', join(inputs, 'cd'), `ssh,${FIXTURES}/keys/ed25519.pub`, `x-shellscript,${script}`]);
    const dry = apply(root, ['--source', join(inputs, 'cd'), '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.report.scripts[0].status).toBe('dry-run');
    expect(dry.report.keys[0].added).toEqual([ED]);
    expect(readdirSync(root).sort()).toEqual(['dev', 'etc', 'home', 'root', 'var']);
    expect(readdirSync(join(root, 'root'))).toEqual([]);
    expect(count(root, 'run.sh')).toBe(0);
    expect(apply(root, ['--source', join(inputs, 'cd')]).status).toBe(0);
    expect(count(root, 'run.sh')).toBe(1);
    const status = runAgentBundle(['status', '--root', root]);
    expect(status.stdout).toMatch(/^instance: iid-[0-9a-f]{16}\n/);
  });
});

describe('installing the agent', () => {
  it('agent-bundle writes a reproducible tarball whose install.sh installs the agent, the unit (before sshd) and the init script', () => {
    const dir = tempDir();
    const tgz = join(dir, 'agent.tgz');
    expect(runCli('stratus-context', ['agent-bundle', '-o', tgz]).status).toBe(0);
    const again = join(dir, 'again.tgz');
    runCli('stratus-context', ['agent-bundle', '-o', again]);
    expect(readFileSync(tgz).equals(readFileSync(again))).toBe(true);
    const root = join(dir, 'image');
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', dir]);
    execFileSync('sh', [join(dir, 'stratus-context-agent/install.sh'), root]);
    const unit = readFileSync(join(root, 'etc/systemd/system/stratus-context.service'), 'utf8');
    expect(unit).toMatch(/^Before=ssh\.service sshd\.service/m);
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=yes$/m);
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/stratus-context.service'))).toBe('/etc/systemd/system/stratus-context.service');
    // The installed agent runs on its own: no node_modules anywhere near it.
    const agent = join(root, 'opt/stratus-context/stratus-context-agent.mjs');
    const res = spawnSync(process.execPath, [agent, '--version'], { cwd: root, encoding: 'utf8' });
    expect(res.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('stratus-context-agent install --root installs the same into a mounted image root', () => {
    const dir = tempDir();
    const res = runAgentBundle(['install', '--root', dir]);
    expect(res.status, res.stderr).toBe(0);
    for (const f of ['opt/stratus-context/stratus-context-agent.mjs', 'etc/systemd/system/stratus-context.service', 'etc/init.d/stratus-context', 'usr/local/sbin/stratus-context-agent']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(statSync(join(dir, 'etc/init.d/stratus-context')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, 'etc/init.d/stratus-context'), 'utf8')).toMatch(/X-Start-Before:\s+ssh sshd/);
  });
});
