import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCloudInitKeyValues, encodeCloudInitKeyValues } from '../src/cloud-init-kv.js';
import { contextFromPairs, type PairInput } from '../src/context-from-pairs.js';
import { emptyContext, type Context } from '../src/model.js';
import { parseMultipart } from '../src/multipart.js';
import { splitPairs } from '../src/pairs.js';
import { bytes, expectContextError, fixture, fixtureText, text } from './helpers.js';

/** Builds a context from pairs whose files come from fixtures/. */
function fromFixtures(...args: string[]): { context: Context; warnings: string[] } {
  const inputs: PairInput[] = splitPairs(args).map((pair) => ({ pair, path: pair.path, content: new Uint8Array(fixture(pair.path)) }));
  return contextFromPairs(inputs);
}

function valueOf(kv: string, key: string): string | undefined {
  return kv.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
}

describe('cloud-init.txt against the original tool', () => {
  it('writes the same CLOUD_INIT_AUTHORIZED_KEYS line', () => {
    const kv = encodeCloudInitKeyValues(fromFixtures('ssh,stratuslab/id_rsa.pub').context);
    expect(kv.split('\n')).toContain(fixtureText('stratuslab/expected-keys.txt').trim());
    expect(kv.split('\n')[0]).toBe('CONTEXT_METHOD=cloud-init');
  });

  it('none: the user data decodes to the same bytes as the original', () => {
    const kv = encodeCloudInitKeyValues(fromFixtures('none,stratuslab/run.sh').context);
    const ours = gunzipSync(Buffer.from(valueOf(kv, 'CLOUD_INIT_USER_DATA')!, 'base64'));
    const original = gunzipSync(Buffer.from(fixtureText('stratuslab/none-run.sh.b64').trim(), 'base64'));
    expect(ours.equals(original)).toBe(true);
  });

  it('multipart: the user data decodes to the same parts as the original', () => {
    const kv = encodeCloudInitKeyValues(fromFixtures('ssh,stratuslab/id_rsa.pub', 'x-shellscript,stratuslab/run.sh').context);
    const ours = gunzipSync(Buffer.from(valueOf(kv, 'CLOUD_INIT_USER_DATA')!, 'base64'));
    const original = gunzipSync(Buffer.from(fixtureText('stratuslab/multipart-run.sh.b64').trim(), 'base64'));
    expect(parseMultipart(ours)).toEqual(parseMultipart(original));
    expect(parseMultipart(ours)).toHaveLength(1);
    // Only the boundary differs.
    const boundary = /boundary="([^"]+)"/.exec(text(ours))![1]!;
    expect(text(ours).replaceAll(boundary, '===============1234567890123456789==')).toBe(text(original));
  });

  it('gzip output is deterministic: mtime 0, level 9', () => {
    const a = encodeCloudInitKeyValues(fromFixtures('x-shellscript,stratuslab/run.sh').context);
    const b = encodeCloudInitKeyValues(fromFixtures('x-shellscript,stratuslab/run.sh').context);
    expect(a).toBe(b);
    const gz = Buffer.from(valueOf(a, 'CLOUD_INIT_USER_DATA')!, 'base64');
    expect(gz.readUInt32LE(4)).toBe(0);
    expect(gz[8]).toBe(2); // XFL: maximum compression
  });
});

describe('building the context from pairs', () => {
  it('adds up keys from several ssh pairs, without duplicates', () => {
    const { context } = fromFixtures('ssh,keys/ed25519.pub', 'ssh,keys/rsa.pub#ssh,manual/id_ed25519.pub', 'ssh,keys/ed25519.rfc4716.pub');
    expect(context.keys).toEqual([fixtureText('keys/ed25519.pub').trim(), fixtureText('keys/rsa.pub').trim()]);
  });

  it('keeps parts in order, named after the file', () => {
    const { context } = fromFixtures('x-shellscript,manual/run-http.sh', 'cloud-config,stratuslab/run.sh');
    expect(context.parts.map((p) => [p.type, p.filename])).toEqual([
      ['text/x-shellscript', 'run-http.sh'],
      ['text/cloud-config', 'run.sh'],
    ]);
    expect(context.parts[0]!.content).toEqual(new Uint8Array(fixture('manual/run-http.sh')));
  });

  it('the last none wins, with warnings for what is dropped', () => {
    const { context, warnings } = fromFixtures('none,stratuslab/run.sh', 'x-shellscript,keys/rsa.pub', 'none,manual/run-http.sh');
    expect(context.userData).toEqual(new Uint8Array(fixture('manual/run-http.sh')));
    expect(context.parts).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('none,stratuslab/run.sh');
    expect(warnings[1]).toContain('rsa.pub');
  });

  it('refuses a private key given as ssh, naming the file', () => {
    const e = expectContextError(() => fromFixtures('ssh,keys/ed25519.private'), 'private-key');
    expect(e.message).toContain('keys/ed25519.private');
  });

  it('warns about a key file without keys', () => {
    const inputs: PairInput[] = splitPairs(['ssh,empty.pub']).map((pair) => ({ pair, path: 'empty.pub', content: bytes('# nothing\n') }));
    expect(contextFromPairs(inputs).warnings[0]).toContain('empty.pub');
  });
});

describe('the size limit', () => {
  const big = (n: number) => {
    // Incompressible text: base64 of pseudo-random bytes.
    let x = 12345;
    const raw = Buffer.alloc(n);
    for (let i = 0; i < n; i++) raw[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    return { ...emptyContext(), parts: [{ type: 'text/x-shellscript', filename: 'big.sh', content: bytes(raw.toString('base64')) }] };
  };

  it('refuses gzipped user data over 16384 bytes, giving both sizes', () => {
    const e = expectContextError(() => encodeCloudInitKeyValues(big(20000)), 'user-data-too-large');
    expect(e.kind).toBe('limit');
    expect(e.message).toMatch(/\d+ bytes gzipped .* over the limit of 16384 bytes/);
  });

  it('accepts it when the limit is raised or removed', () => {
    expect(encodeCloudInitKeyValues(big(20000), { maxBytes: 1 << 20 })).toContain('CLOUD_INIT_USER_DATA=H4sI');
    expect(encodeCloudInitKeyValues(big(20000), { maxBytes: Infinity })).toContain('CLOUD_INIT_USER_DATA=H4sI');
    expectContextError(() => encodeCloudInitKeyValues(big(100), { maxBytes: 10 }), 'user-data-too-large');
  });
});

describe('reading cloud-init.txt', () => {
  const keysLine = fixtureText('stratuslab/expected-keys.txt').trim();
  const userData = fixtureText('stratuslab/multipart-run.sh.b64').trim();

  it('decodes keys, parts and other variables', () => {
    const ctx = decodeCloudInitKeyValues(`CONTEXT_METHOD=cloud-init\n${keysLine}\nCLOUD_INIT_USER_DATA=${userData}\nOTHER=1\n`);
    expect(ctx.keys).toEqual(['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host']);
    expect(ctx.parts).toEqual([{ type: 'text/x-shellscript', filename: 'run.sh', content: new Uint8Array(fixture('stratuslab/run.sh')) }]);
    expect(ctx.userData).toBeUndefined();
    expect(ctx.variables).toEqual({ OTHER: '1' });
  });

  it('decodes literal user data', () => {
    const ctx = decodeCloudInitKeyValues(`CLOUD_INIT_USER_DATA=${fixtureText('stratuslab/none-run.sh.b64').trim()}\n`);
    expect(ctx.userData).toEqual(new Uint8Array(fixture('stratuslab/run.sh')));
    expect(ctx.parts).toEqual([]);
  });

  it('tolerates quotes, blanks around =, export, CRLF, blank lines and comments', () => {
    const tolerant = `# generated\r\n\r\nCONTEXT_METHOD = "cloud-init"\r\n  export ${keysLine.replace('=', '=\'')}'\r\nCLOUD_INIT_USER_DATA="${userData}"\r\n`;
    const strict = `CONTEXT_METHOD=cloud-init\n${keysLine}\nCLOUD_INIT_USER_DATA=${userData}\n`;
    expect(decodeCloudInitKeyValues(tolerant)).toEqual(decodeCloudInitKeyValues(strict));
  });

  it('reports the line number of anything else', () => {
    const e = expectContextError(() => decodeCloudInitKeyValues('CONTEXT_METHOD=cloud-init\n\nthis is not a variable\n', { file: 'ctx.txt' }), 'bad-line');
    expect(e.input).toMatchObject({ file: 'ctx.txt', line: 3 });
    expect(e.message).toContain('ctx.txt line 3');
  });

  it('refuses other context methods, non-contexts, bad base64, bad gzip and bad keys', () => {
    expectContextError(() => decodeCloudInitKeyValues('CONTEXT_METHOD=opennebula\n'), 'bad-context-method');
    expectContextError(() => decodeCloudInitKeyValues('HOSTNAME=x\n'), 'not-cloud-init');
    expect(expectContextError(() => decodeCloudInitKeyValues('CLOUD_INIT_USER_DATA=%%%\n'), 'bad-base64').input.line).toBe(1);
    expectContextError(() => decodeCloudInitKeyValues(`CLOUD_INIT_USER_DATA=${userData.slice(0, 40)}\n`), 'bad-gzip');
    const notKeys = Buffer.from('hello\n').toString('base64');
    expect(expectContextError(() => decodeCloudInitKeyValues(`CLOUD_INIT_AUTHORIZED_KEYS=${notKeys}\n`), 'bad-authorized-keys').kind).toBe('corrupt-data');
    expectContextError(() => decodeCloudInitKeyValues(new Uint8Array([0x41, 0x3d, 0xff, 0xfe])), 'bad-encoding');
  });

  it('caps decompressed user data (gzip bombs)', () => {
    const bomb = encodeCloudInitKeyValues({ ...emptyContext(), userData: new Uint8Array(8 << 20) });
    expect(bomb.length).toBeLessThan(20000);
    const e = expectContextError(() => decodeCloudInitKeyValues(bomb, { maxDecodedBytes: 1 << 20 }), 'decoded-too-large');
    expect(e.kind).toBe('limit');
    expect(decodeCloudInitKeyValues(bomb).userData?.length).toBe(8 << 20);
  });

  it('writes variables so that they read back exactly', () => {
    const variables = { A: 'plain', B: ' padded ', C: '"quoted"', D: "'single'", E: '', F: 'a $b `c` \\d "e"', G: '#not a comment' };
    const kv = encodeCloudInitKeyValues({ ...emptyContext(), keys: [], variables });
    expect(decodeCloudInitKeyValues(kv).variables).toEqual(variables);
    expectContextError(() => encodeCloudInitKeyValues({ ...emptyContext(), variables: { 'bad-key': 'x' } }), 'bad-key');
    expectContextError(() => encodeCloudInitKeyValues({ ...emptyContext(), variables: { X: 'two\nlines' } }), 'bad-value');
  });
});
