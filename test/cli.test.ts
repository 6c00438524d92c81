import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudInitKeyValues } from '@stratus-context/core';
import { FIXTURES, runCli, tempDir } from './helpers.js';

const KEY = readFileSync(join(FIXTURES, 'keys/ed25519.pub'), 'utf8').trim();
const RUN = readFileSync(join(FIXTURES, 'manual/run-http.sh'));

describe('stratus-prepare-context', () => {
  const dir = tempDir();
  const home = join(dir, 'home');
  const env = { ...process.env, HOME: home };
  // A home with the manual's file names.
  const sshDir = join(home, '.ssh');
  mkdirSync(sshDir, { recursive: true });
  copyFileSync(join(FIXTURES, 'keys/ed25519.pub'), join(sshDir, 'id_rsa.pub'));
  copyFileSync(join(FIXTURES, 'manual/run-http.sh'), join(dir, 'run-http.sh'));

  it("writes ./cloud-init.txt for the manual's example", () => {
    const res = runCli('stratus-prepare-context', ['ssh,$HOME/.ssh/id_rsa.pub', 'x-shellscript,run-http.sh'], { cwd: dir, env });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toBe('');
    const kv = readFileSync(join(dir, 'cloud-init.txt'), 'utf8');
    expect(kv).toMatch(/^CONTEXT_METHOD=cloud-init\nCLOUD_INIT_AUTHORIZED_KEYS=[A-Za-z0-9+/=]+\nCLOUD_INIT_USER_DATA=H4sI[A-Za-z0-9+/=]+\n$/);
    const ctx = decodeCloudInitKeyValues(kv);
    expect(ctx.keys).toEqual([KEY]);
    expect(ctx.parts.map((p) => [p.type, p.filename])).toEqual([['text/x-shellscript', 'run-http.sh']]);
    expect(Buffer.from(ctx.parts[0]!.content).equals(RUN)).toBe(true);
  });

  it("the #-joined form gives the same keys, and none gives literal user data", () => {
    const res = runCli('stratus-prepare-context', ['-o', 'joined.txt', 'ssh,$HOME/.ssh/id_rsa.pub#none,run-http.sh'], { cwd: dir, env });
    expect(res.status).toBe(0);
    const ctx = decodeCloudInitKeyValues(readFileSync(join(dir, 'joined.txt')));
    expect(ctx.keys).toEqual([KEY]);
    expect(Buffer.from(ctx.userData!).equals(RUN)).toBe(true);
  });

  it('-o - writes to standard output only', () => {
    const res = runCli('stratus-prepare-context', ['-o', '-', 'ssh,~/.ssh/id_rsa.pub'], { cwd: dir, env });
    expect(res.status).toBe(0);
    expect(decodeCloudInitKeyValues(res.stdout).keys).toEqual([KEY]);
  });

  it('warns on stderr about dropped none files', () => {
    const res = runCli('stratus-prepare-context', ['-o', '-', 'none,run-http.sh', 'none,run-http.sh'], { cwd: dir, env });
    expect(res.status).toBe(0);
    expect(res.stderr).toMatch(/^stratus-prepare-context: warning: pair "none,run-http.sh" dropped/);
  });

  const failures: [string, string[], RegExp][] = [
    ['a missing file', ['ssh,$HOME/.ssh/id_rsa.pub', 'x-shellscript,nope.sh'], /cannot read nope\.sh \(pair "x-shellscript,nope\.sh"\): no such file/],
    ['an unset variable', ['ssh,$NO_SUCH_VAR/id.pub'], /variable NO_SUCH_VAR in pair "ssh,\$NO_SUCH_VAR\/id\.pub" is not set/],
    ['a pair without a comma', ['ssh,$HOME/.ssh/id_rsa.pub#run-http.sh'], /pair "run-http\.sh" has no comma/],
    ['an unknown type', ['x-perl,run-http.sh'], /unknown part type "x-perl"/],
    ['a private key', [`ssh,${FIXTURES}/keys/ed25519.private`], /holds a PRIVATE key/],
    ['user data over the limit', ['--max-user-data', '100', 'x-shellscript,run-http.sh'], /bytes gzipped .* over the limit of 100 bytes/],
  ];
  for (const [what, args, message] of failures) {
    it(`refuses ${what}: one line on stderr, exit 1, the existing output untouched`, () => {
      const out = join(dir, 'existing.txt');
      writeFileSync(out, 'PREVIOUS CONTENT\n');
      const res = runCli('stratus-prepare-context', ['-o', out, ...args], { cwd: dir, env });
      expect(res.status).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(message);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/^stratus-prepare-context: error: /);
      expect(readFileSync(out, 'utf8')).toBe('PREVIOUS CONTENT\n');
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('writes nothing at all when it fails without -o', () => {
    const clean = tempDir();
    const res = runCli('stratus-prepare-context', ['x-shellscript,missing.sh'], { cwd: clean, env });
    expect(res.status).toBe(1);
    expect(readdirSync(clean)).toEqual([]);
  });

  it('accepts unknown types with --force and raises the limit with --no-size-limit', () => {
    const forced = runCli('stratus-prepare-context', ['-o', '-', '--force', 'x-perl,run-http.sh'], { cwd: dir, env });
    expect(forced.status).toBe(0);
    expect(decodeCloudInitKeyValues(forced.stdout).parts[0]!.type).toBe('text/x-perl');
    const unlimited = runCli('stratus-prepare-context', ['-o', '-', '--max-user-data', '100', '--no-size-limit', 'x-shellscript,run-http.sh'], { cwd: dir, env });
    expect(unlimited.status).toBe(0);
  });

  it('usage errors exit 2; --help explains the pair types; --version prints the version', () => {
    const none = runCli('stratus-prepare-context', [], { cwd: dir, env });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("missing required argument 'pair'");
    expect(runCli('stratus-prepare-context', ['--max-user-data', 'lots', 'ssh,x'], { cwd: dir, env }).status).toBe(2);
    const help = runCli('stratus-prepare-context', ['--help']);
    expect(help.status).toBe(0);
    for (const word of ['ssh', 'none', 'x-shellscript', 'cloud-config', '--output', 'CLOUD_INIT_USER_DATA']) expect(help.stdout).toContain(word);
    const version = runCli('stratus-prepare-context', ['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('stratus-context inspect', () => {
  const dir = tempDir();
  const kvFile = join(dir, 'cloud-init.txt');
  const made = runCli('stratus-prepare-context', ['-o', kvFile, `ssh,${FIXTURES}/keys/ed25519.pub`, `x-shellscript,${FIXTURES}/manual/run-http.sh`]);

  it('prints keys, and each part with type, file name, size and text', () => {
    expect(made.status).toBe(0);
    const res = runCli('stratus-context', ['inspect', kvFile]);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`keys: 1\n  ${KEY}\n`);
    expect(res.stdout).toContain(`part 1: text/x-shellscript "run-http.sh", ${RUN.length} bytes\n`);
    expect(res.stdout).toContain('    | echo "SUCCESSFUL TEST" > /var/www/test.txt\n');
  });

  it('--json gives the same for machines, from a file or standard input', () => {
    const res = runCli('stratus-context', ['inspect', '--json', '-'], { input: readFileSync(kvFile) });
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.keys).toEqual([KEY]);
    expect(report.userData.kind).toBe('multipart');
    expect(report.userData.parts).toEqual([{ type: 'text/x-shellscript', filename: 'run-http.sh', size: RUN.length, text: RUN.toString('utf8') }]);
  });

  it('refuses a broken context with the line number, exit 1', () => {
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'CONTEXT_METHOD=cloud-init\nnot a line\n');
    const res = runCli('stratus-context', ['inspect', bad]);
    expect(res.status).toBe(1);
    // The line itself is not shown: it may hold a secret.
    expect(res.stderr).toBe(`stratus-context: error: ${bad} line 2: expected KEY=VALUE\n`);
    expect(runCli('stratus-context', ['inspect', join(dir, 'absent.txt')]).stderr).toContain('no such file');
  });
});
