import { describe, expect, it } from 'vitest';
import { expandPath, splitPairs } from '../src/pairs.js';
import { expectContextError } from './helpers.js';

describe('splitPairs', () => {
  it('splits separate arguments and #-joined pairs alike', () => {
    const a = splitPairs(['ssh,~/.ssh/id_rsa.pub', 'x-shellscript,run-http.sh']);
    const b = splitPairs(['ssh,~/.ssh/id_rsa.pub#x-shellscript,run-http.sh']);
    expect(a).toEqual(b);
    expect(a.map((p) => [p.type, p.path])).toEqual([
      ['ssh', '~/.ssh/id_rsa.pub'],
      ['text/x-shellscript', 'run-http.sh'],
    ]);
  });

  it('splits at the first comma, so paths may hold commas; trims blanks', () => {
    const [p] = splitPairs([' none , dir,with,commas/run.sh ']);
    expect(p).toMatchObject({ type: 'none', path: 'dir,with,commas/run.sh', text: 'none , dir,with,commas/run.sh' });
  });

  it('skips empty pairs', () => {
    expect(splitPairs(['ssh,a##none,b#', '#', '']).map((p) => p.path)).toEqual(['a', 'b']);
  });

  it('accepts the subtype or the full type, in any case', () => {
    const types = splitPairs(['text/cloud-config,a', 'X-Shellscript-Per-Boot,b', 'SSH,c', 'cloud-boothook,d']).map((p) => p.type);
    expect(types).toEqual(['text/cloud-config', 'text/x-shellscript-per-boot', 'ssh', 'text/cloud-boothook']);
  });

  it('refuses a pair without a comma or with an empty side, naming it', () => {
    expect(expectContextError(() => splitPairs(['ssh,a#just-a-file']), 'bad-pair').input.pair).toBe('just-a-file');
    expectContextError(() => splitPairs([',file']), 'bad-pair');
    const e = expectContextError(() => splitPairs(['ssh, ']), 'bad-pair');
    expect(e.message).toContain('"ssh,"');
  });

  it('refuses unknown types unless forced, and malformed ones always', () => {
    const e = expectContextError(() => splitPairs(['x-perl,a.pl']), 'unknown-type');
    expect(e.message).toContain('x-perl');
    expect(e.input.pair).toBe('x-perl,a.pl');
    expect(splitPairs(['x-perl,a.pl'], { allowUnknownTypes: true })[0]?.type).toBe('text/x-perl');
    expect(splitPairs(['application/json,a'], { allowUnknownTypes: true })[0]?.type).toBe('application/json');
    expectContextError(() => splitPairs(['a/b/c,x'], { allowUnknownTypes: true }), 'bad-type');
    expectContextError(() => splitPairs(['te xt,x'], { allowUnknownTypes: true }), 'bad-type');
  });
});

describe('expandPath', () => {
  const env = { HOME: '/home/u', KEYS: '/srv/keys', EMPTY: '' };

  it('expands ~, $VAR and ${VAR}', () => {
    expect(expandPath('~/.ssh/id_rsa.pub', { env })).toBe('/home/u/.ssh/id_rsa.pub');
    expect(expandPath('~', { env })).toBe('/home/u');
    expect(expandPath('$HOME/.ssh/id_rsa.pub', { env })).toBe('/home/u/.ssh/id_rsa.pub');
    expect(expandPath('${KEYS}/a.pub', { env })).toBe('/srv/keys/a.pub');
    expect(expandPath('$KEYS$EMPTY/x', { env })).toBe('/srv/keys/x');
    expect(expandPath('~/x', { env, home: '/root' })).toBe('/root/x');
  });

  it('keeps a $ that does not start a name, and ~ that is not leading', () => {
    expect(expandPath('a$/b$1/c$', { env })).toBe('a$/b$1/c$');
    expect(expandPath('a/~/b', { env })).toBe('a/~/b');
  });

  it('refuses unset variables, ~user and malformed ${...}, naming the pair', () => {
    const e = expectContextError(() => expandPath('$NOPE/x', { env }, 'ssh,$NOPE/x'), 'unset-variable');
    expect(e.message).toContain('NOPE');
    expect(e.input.pair).toBe('ssh,$NOPE/x');
    expectContextError(() => expandPath('${NOPE}', { env }), 'unset-variable');
    expectContextError(() => expandPath('~', { env: {} }), 'unset-variable');
    expectContextError(() => expandPath('~bob/x', { env }), 'bad-path');
    expectContextError(() => expandPath('${HOME', { env }), 'bad-path');
    expectContextError(() => expandPath('${1x}', { env }), 'bad-path');
  });
});
