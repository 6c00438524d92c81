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

/** Parses one part into a fresh config; passes when it returns or throws our ContextError. */
function valueOrContextError(text: string): void {
  try {
    addCloudConfig(emptyCloudConfig(), text, 'part 1');
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
  }
}

describe('#cloud-config parts, as the agent reads them', () => {
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
});
