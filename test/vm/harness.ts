import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO } from '../helpers.js';

/**
 * Real guests for the end-to-end tests, over the shell harness in
 * scripts/vm (built guests cached under .cache/vm, keyed by their recipe).
 * Every qemu is started with a pidfile and stopped by that PID when its
 * test ends, passes or fails.
 */

export const SCRIPTS = join(REPO, 'scripts/vm');
/** As scripts/vm/lib.sh: machine-wide as root (it outlives a checkout), else in the checkout. */
export const CACHE = process.env['STRATUS_VM_CACHE'] ?? (process.getuid?.() === 0 ? '/var/cache/stratus-context/vm' : join(REPO, '.cache/vm'));

/** Runs a harness script; its output path is the last line of stdout. */
function script(name: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const res = spawnSync('bash', [join(SCRIPTS, name), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (exit ${res.status}):\n${res.stderr.split('\n').slice(-25).join('\n')}`);
  return res.stdout.trim().split('\n').at(-1) ?? '';
}

/** The prerequisites (qemu, busybox, debootstrap...): installed when missing, or a clear failure naming them. */
export function requireVmTools(): void {
  script('deps.sh', []);
}

export function kernelDir(): string {
  return script('build-kernel.sh', []);
}

/** The fast guest: busybox + node in one initramfs, running `cmd` at boot from the files of `agentDir` (/opt/stratus). */
export function initramfsGuest(agentDir: string): string {
  return script('build-initramfs-guest.sh', [agentDir]);
}

export interface RootfsGuest {
  dir: string;
  rootImg: string;
  initrd: string;
  kernel: string;
  append: string;
}

/** The systemd guest (Debian 12 minbase), `base` with our agent installed by `installCmd ROOTDIR`, or Debian's real `cloud-init`. */
export function rootfsGuest(variant: 'base' | 'cloud-init', install?: { cmd: string; hash: string }): RootfsGuest {
  const args = ['--variant', variant];
  if (install !== undefined) args.push('--install-cmd', install.cmd, '--install-hash', install.hash);
  const dir = script('build-rootfs-guest.sh', args);
  return {
    dir,
    rootImg: join(dir, 'root.img'),
    initrd: join(dir, 'initrd'),
    kernel: readFileSync(join(dir, 'kernel'), 'utf8').trim(),
    append: readFileSync(join(dir, 'append'), 'utf8').trim(),
  };
}

export function makeDataDisk(path: string): string {
  return script('make-data-disk.sh', [path, '64']);
}

export function makeRootOverlay(rootImg: string, path: string): string {
  return script('make-root-overlay.sh', [rootImg, path]);
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

export interface BootOptions {
  kernel: string;
  initrd: string;
  cdrom: string;
  append?: string;
  root?: string;
  rootRw?: string;
  data?: string;
  /** The port the guest serves the page on. */
  guestHttpPort?: number;
}

/** One running guest. */
export class Vm {
  readonly dir: string;
  readonly pidfile: string;
  httpPort = 0;
  sshPort = 0;
  private boots = 0;

  constructor(runsDir = join(CACHE, 'runs')) {
    mkdirSync(runsDir, { recursive: true });
    this.dir = mkdtempSync(join(runsDir, 'test-'));
    this.pidfile = join(this.dir, 'qemu.pid');
    live.add(this);
  }

  get serialLog(): string {
    return join(this.dir, `serial-${this.boots}.log`);
  }

  /** Starts qemu (TCG, loopback-only forwarding) and returns at once. */
  async boot(o: BootOptions): Promise<void> {
    this.boots += 1;
    this.httpPort = await freePort();
    this.sshPort = await freePort();
    const args = ['--kernel', o.kernel, '--initrd', o.initrd, '--cdrom', o.cdrom, '--log', this.serialLog, '--pidfile', this.pidfile, '--http-port', String(this.httpPort), '--ssh-port', String(this.sshPort), '--timeout', '600'];
    if (o.append !== undefined) args.push('--append', o.append);
    if (o.root !== undefined) args.push('--root', o.root);
    if (o.rootRw !== undefined) args.push('--root-rw', o.rootRw);
    if (o.data !== undefined) args.push('--data', o.data);
    if (o.guestHttpPort !== undefined) args.push('--guest-http-port', String(o.guestHttpPort));
    script('boot.sh', args);
  }

  /** Waits for the page; returns its body and the milliseconds waited. */
  waitPage(path: string, timeoutS: number): { body: string; ms: number } {
    const t = performance.now();
    const res = spawnSync('bash', [join(SCRIPTS, 'wait-http.sh'), `http://127.0.0.1:${this.httpPort}${path}`, String(timeoutS), '--pidfile', this.pidfile], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`no page at ${path} within ${timeoutS} s; the guest's console:\n${this.console().split('\n').slice(-40).join('\n')}`);
    return { body: res.stdout, ms: Math.round(performance.now() - t) };
  }

  /** Runs a command over ssh as `user` with `key`; returns its status and output. */
  ssh(key: string, command: string, user = 'root'): { status: number | null; stdout: string; stderr: string } {
    const res = spawnSync(
      'ssh',
      ['-i', key, '-p', String(this.sshPort), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', '-o', 'LogLevel=ERROR', '-o', 'IdentitiesOnly=yes', `${user}@127.0.0.1`, command],
      { encoding: 'utf8', timeout: 60_000 },
    );
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  }

  console(): string {
    try {
      return readFileSync(this.serialLog, 'utf8');
    } catch {
      return '';
    }
  }

  /** Powers the guest off (ACPI, then signals), by its PID only. */
  stop(graceful = true): void {
    spawnSync('bash', [join(SCRIPTS, 'stop.sh'), this.pidfile, ...(graceful ? ['--graceful', '60'] : ['--hard'])], { encoding: 'utf8' });
  }
}

const live = new Set<Vm>();
/** Stops every VM still running; for afterEach/afterAll. */
export function stopAll(): void {
  for (const vm of live) vm.stop(false);
  live.clear();
}
process.on('exit', stopAll);

/** A fresh ed25519 key pair: returns the private key path (the public key beside it, .pub). */
export function newKey(dir: string, name: string): string {
  const key = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@stratus-test`, '-f', key]);
  return key;
}
