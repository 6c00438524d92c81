import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextError } from '@stratus-context/core';
import { addCloudConfig, emptyCloudConfig } from '../src/cloud-config.js';

const SAMPLE = [
  '#cloud-config',
  'hostname: web-1',
  'ssh_authorized_keys: [ssh-ed25519 AAAA a@b]',
  'write_files:',
  '  - path: /etc/motd',
  '    content: aGVsbG8K',
  '    encoding: b64',
  "    permissions: '0600'",
  'runcmd:',
  '  - echo one',
  '  - [sh, -c, "echo two"]',
  'packages: [nginx]',
  '',
].join('\n');

function expectBad(text: string): ContextError {
  try {
    addCloudConfig(emptyCloudConfig(), text, 'part 1');
  } catch (e) {
    expect(e).toBeInstanceOf(ContextError);
    expect((e as ContextError).code).toBe('bad-cloud-config');
    return e as ContextError;
  }
  throw new Error(`expected bad-cloud-config for ${JSON.stringify(text)}`);
}

/** Parses one part into a fresh config; passes when it returns or throws our ContextError. */
function valueOrContextError(text: string): void {
  try {
    addCloudConfig(emptyCloudConfig(), text, 'part 1');
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
  }
}

/** The write_files, runcmd, ssh_authorized_keys and hostname examples of cloud-init's documentation, unquoted as there. */
const DOCS = [
  '#cloud-config',
  'fqdn: web-1.example.com',
  'hostname: web-1',
  'ssh_authorized_keys:',
  '  - ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAGEA3FSyQwBI6Z+nCSjUU user@host',
  'write_files:',
  '- encoding: b64',
  '  content: CiMgVGhpcyBmaWxlIGNvbnRyb2xzIHRoZSBzdGF0ZQo=',
  '  owner: root:root',
  '  path: /etc/sysconfig/selinux',
  '  permissions: 0644',
  '- content: |',
  '    15 * * * * root ship_logs',
  '  path: /etc/crontab',
  '  append: true',
  '- path: /usr/local/bin/run',
  '  content: "#!/bin/sh\\n"',
  '  permissions: 0755',
  '- path: /etc/ssh/sshd_config',
  '  content: "PermitRootLogin no\\n"',
  '  append: yes',
  '- path: /bin/arch',
  '  content: !!binary |',
  '    f0VMRgIBAQ==',
  "  permissions: '0555'",
  'runcmd:',
  '  - [ ls, -l, / ]',
  '  - [ sh, -xc, "echo $(date) \': hello world!\'" ]',
  '  - ls -l /root',
  '  - [ chmod, 0755, /usr/local/bin/run ]',
  '',
].join('\n');

describe('#cloud-config parts, as the agent reads them', () => {
  it("reads cloud-init's documented examples as cloud-init does (YAML 1.1: 0644 is octal, yes is true)", () => {
    const cfg = emptyCloudConfig();
    addCloudConfig(cfg, DOCS, 'part 1');
    expect(cfg.hostname).toBe('web-1.example.com');
    expect(cfg.keys).toEqual(['ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAGEA3FSyQwBI6Z+nCSjUU user@host']);
    expect(cfg.writeFiles.map((f) => [f.path, f.mode.toString(8), f.owner, f.append])).toEqual([
      ['/etc/sysconfig/selinux', '644', 'root:root', false],
      ['/etc/crontab', '644', 'root:root', true],
      ['/usr/local/bin/run', '755', 'root:root', false],
      ['/etc/ssh/sshd_config', '644', 'root:root', true],
      ['/bin/arch', '555', 'root:root', false],
    ]);
    expect(Buffer.from(cfg.writeFiles[0]!.content).toString()).toBe('\n# This file controls the state\n');
    expect(Buffer.from(cfg.writeFiles[1]!.content).toString()).toBe('15 * * * * root ship_logs\n');
    expect([...cfg.writeFiles[4]!.content]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    // shellify quotes Python's str() of each word: cloud-init runs `chmod 493` too.
    expect(cfg.runcmd).toEqual(["'ls' '-l' '/'", `'sh' '-xc' 'echo $(date) '\\'': hello world!'\\'''`, 'ls -l /root', "'chmod' '493' '/usr/local/bin/run'"]);
  });

  it('reads modes as cloud-init decode_perms does', () => {
    const mode = (p: string) => {
      const cfg = emptyCloudConfig();
      addCloudConfig(cfg, `write_files:\n- path: /f\n  permissions: ${p}\n`, 'part 1');
      return cfg.writeFiles[0]!.mode;
    };
    expect([mode('0644'), mode("'0644'"), mode('0o644'), mode("'0o600'"), mode('644'), mode('0x1ff'), mode('~')]).toEqual([0o644, 0o644, 0o644, 0o600, 644, 0o777, 0o644]);
    for (const p of ['0o7777777', "'rw-r--r--'", '-1', 'yes', '[1]', '0o9']) {
      expect(() => mode(p), p).toThrow(ContextError);
    }
  });

  it('refuses a number where text is meant: owner 33:33 is 2013 in YAML 1.1, hostname 0123 is 83', () => {
    for (const text of ['write_files:\n- path: /f\n  owner: 33:33\n', 'hostname: 0123\n', 'fqdn: yes\n']) {
      const e = expectBad(text);
      expect(e.message).toMatch(/must be text/);
    }
  });


  it('reads the keys it applies and names the others', () => {
    const cfg = emptyCloudConfig();
    addCloudConfig(cfg, SAMPLE, 'part 1');
    expect(cfg.hostname).toBe('web-1');
    expect(cfg.keys).toEqual(['ssh-ed25519 AAAA a@b']);
    expect(cfg.writeFiles).toEqual([{ path: '/etc/motd', content: new Uint8Array(Buffer.from('hello\n')), mode: 0o600, owner: 'root:root', append: false }]);
    expect(cfg.runcmd).toEqual(['echo one', "'sh' '-c' 'echo two'"]);
    expect(cfg.notApplied).toEqual(['packages']);
  });

  it('gives a value or a ContextError on random and mutated input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), valueOrContextError), { numRuns: 1000 });
    const mutated = fc.array(fc.tuple(fc.nat(), fc.nat(6), fc.constantFrom(':', '-', ' ', '\n', '[', '{', '&a', '*a', '!!binary ', '"', "'", 'x')), { minLength: 1, maxLength: 5 }).map((edits) => {
      let s = SAMPLE;
      for (const [at, del, ins] of edits) {
        const i = at % (s.length + 1);
        s = s.slice(0, i) + ins + s.slice(i + del);
      }
      return s;
    });
    fc.assert(fc.property(mutated, valueOrContextError), { numRuns: 1000 });
  });

  it('gives a value or a bad-cloud-config error with any YAML 1.1 scalar in any field, and with hostile text', () => {
    const scalar = fc.oneof(
      fc.constantFrom('0644', '0o644', "'0644'", '644', '1:30', '33:33', 'yes', 'no', 'y', '~', '.inf', '-.nan', '3.5e+2', '0x1F', '0b_', '=', '<<', '!!binary aGk=', '[a, 1]', '{a: b}', '"x"', '2001-12-14', "''"),
      fc.string({ maxLength: 8 }).filter((s) => !s.includes('\n')),
    );
    const field = fc.constantFrom('path', 'content', 'encoding', 'permissions', 'owner', 'append');
    const doc = fc
      .tuple(fc.array(fc.tuple(field, scalar), { maxLength: 6 }), scalar, scalar, fc.array(scalar, { maxLength: 4 }), scalar)
      .map(([entry, hostname, fqdn, words, key]) =>
        ['write_files:', `- path: /f`, ...entry.map(([k, v]) => `  ${k}: ${v}`), `hostname: ${hostname}`, `fqdn: ${fqdn}`, 'runcmd:', `- [${words.join(', ')}]`, `- ${key}`, `ssh_authorized_keys: [${key}]`, ''].join('\n'),
      );
    const errorOf = (text: string) => {
      try {
        addCloudConfig(emptyCloudConfig(), text, 'part 1');
        return undefined;
      } catch (e) {
        return e;
      }
    };
    const check = (text: string) => {
      const e = errorOf(text);
      if (e !== undefined) expect(e instanceof ContextError && e.code === 'bad-cloud-config', String(e)).toBe(true);
    };
    fc.assert(fc.property(doc, check), { numRuns: 1000 });
    const hostile = fc
      .array(fc.tuple(fc.constantFrom('- ', '[', ']', '{', '}', 'k: ', '\n  ', '&a ', '*a ', '? ', ', ', "'", '|\n'), fc.integer({ min: 1, max: 2000 })), { maxLength: 4 })
      .map((runs) => `#cloud-config\n${runs.map(([s, n]) => s.repeat(n)).join('')}`);
    fc.assert(fc.property(hostile, check), { numRuns: 200 });
  });
});
