import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCloudInitKeyValues, encodeCloudInitKeyValues } from '../src/cloud-init-kv.js';
import { gzipDeterministic } from '../src/encoding.js';
import { ContextError } from '../src/errors.js';
import { parseKeyValues } from '../src/key-values.js';
import { emptyContext, type Context } from '../src/model.js';
import { buildMultipart, parseMultipart } from '../src/multipart.js';
import { expandPath, splitPairs } from '../src/pairs.js';
import { formatPublicKey, parsePublicKeyFile } from '../src/ssh-keys.js';
import { CLOUD_INIT_PART_SUBTYPES } from '../src/content-types.js';

/** Runs `fn`; passes when it returns or throws our ContextError, fails on anything else. */
function valueOrContextError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
  }
}

const sshString = (s: string) => {
  const b = Buffer.from(s, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};

/** A well-formed ed25519 public key line with a random key and comment. */
const publicKey = fc
  .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.stringMatching(/^[A-Za-z0-9@._-]{0,20}$/), fc.constantFrom('', 'no-pty', 'from="10.0.0.1",command="echo a b"'))
  .map(([raw, comment, options]) => {
    const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(raw).toString('latin1'))]).toString('base64');
    return formatPublicKey({ options, type: 'ssh-ed25519', data: blob, comment });
  });

const part = fc.record({
  type: fc.constantFrom(...CLOUD_INIT_PART_SUBTYPES.map((s) => `text/${s}`), 'application/octet-stream'),
  filename: fc.string({ maxLength: 30, unit: 'binary' }).filter((s) => !/[\ud800-\udfff]/.test(s)),
  content: fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.string({ maxLength: 500 }).map((s) => new Uint8Array(Buffer.from(s)))),
});

const literal = fc.uint8Array({ maxLength: 3000 }).filter((b) => !Buffer.from(b).toString('latin1').toLowerCase().includes('mime-version:'));

const variables = fc.dictionary(
  fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/).filter((k) => !['CONTEXT_METHOD', 'CLOUD_INIT_AUTHORIZED_KEYS', 'CLOUD_INIT_USER_DATA'].includes(k)),
  fc.string({ maxLength: 40 }).filter((v) => !/[\r\n\0\ud800-\udfff]/.test(v)),
);

const context: fc.Arbitrary<Context> = fc
  .record({
    keys: fc.uniqueArray(publicKey, { maxLength: 4, selector: (k) => k.split(' ').find((w) => w.startsWith('AAAA')) }),
    parts: fc.array(part, { maxLength: 4 }),
    literal: fc.option(literal, { nil: undefined }),
    variables,
  })
  .map(({ keys, parts, literal, variables }) => {
    const ctx: Context = { ...emptyContext(), keys, variables };
    if (literal !== undefined) ctx.userData = literal;
    else ctx.parts = parts;
    return ctx;
  });

describe('round trips', () => {
  it('decode(encode(context)) gives back keys, parts (type, filename, bytes), literal data and variables', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        const back = decodeCloudInitKeyValues(encodeCloudInitKeyValues(ctx, { maxBytes: Infinity }));
        expect(back.keys).toEqual(ctx.keys);
        expect(back.parts).toEqual(ctx.parts);
        expect(back.userData).toEqual(ctx.userData);
        expect(back.variables).toEqual(ctx.variables);
      }),
      { numRuns: 300 },
    );
  });

  it('parseMultipart(buildMultipart(parts)) is the identity, whatever boundary is asked for', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme-ascii' }), (parts, boundary) => {
        const safe = boundary.replace(/["\\\s]/g, 'x');
        expect(parseMultipart(buildMultipart(parts, { boundary: safe }))).toEqual(parts);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parsers of outside input give a value or a ContextError', () => {
  it('cloud-init.txt: random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => valueOrContextError(() => decodeCloudInitKeyValues(s))), { numRuns: 1000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => valueOrContextError(() => decodeCloudInitKeyValues(b))), { numRuns: 500 });
  });

  it('cloud-init.txt: mutated valid files', () => {
    const mutated = fc.tuple(context, fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 })).map(([ctx, edits]) => {
      let s = encodeCloudInitKeyValues(ctx, { maxBytes: Infinity });
      for (const [at, del, ins] of edits) {
        const i = at % (s.length + 1);
        s = s.slice(0, i) + ins + s.slice(i + del);
      }
      return s;
    });
    fc.assert(fc.property(mutated, (s) => valueOrContextError(() => decodeCloudInitKeyValues(s))), { numRuns: 500 });
  });

  it('user data: mutated gzip and MIME bytes inside a well-formed file', () => {
    const payload = fc.tuple(fc.array(part, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.boolean()).map(([parts, flips, gz]) => {
      let bytes = buildMultipart(parts);
      if (gz) bytes = gzipDeterministic(bytes);
      const copy = new Uint8Array(bytes);
      for (const [at, v] of flips) copy[at % copy.length] = v;
      return `CONTEXT_METHOD=cloud-init\nCLOUD_INIT_USER_DATA=${Buffer.from(copy).toString('base64')}\n`;
    });
    fc.assert(fc.property(payload, (s) => valueOrContextError(() => decodeCloudInitKeyValues(s))), { numRuns: 500 });
  });

  it('multipart: random bodies behind MIME headers', () => {
    const msg = fc.tuple(fc.constantFrom('multipart/mixed; boundary="b"', 'multipart/mixed', 'multipart/x; boundary=', 'text/plain'), fc.string({ maxLength: 400 })).map(
      ([ct, body]) => new Uint8Array(Buffer.from(`Content-Type: ${ct}\nMIME-Version: 1.0\n\n${body}`)),
    );
    fc.assert(fc.property(msg, (b) => valueOrContextError(() => parseMultipart(b))), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ maxLength: 200 }).map((s) => `--b\n${s}`.repeat(3)), (s) => valueOrContextError(() => parseMultipart(Buffer.from(`MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n${s}`)))), { numRuns: 500 });
  });

  it('deeply nested multipart is refused, not followed without end', () => {
    let msg = 'echo deep\n';
    for (let i = 0; i < 40; i++) msg = `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n${msg}\n--b${i}--\n`;
    expect(() => parseMultipart(Buffer.from(`MIME-Version: 1.0\n${msg}`))).toThrow(ContextError);
  });

  it('public key files, key-value lines, pairs and paths', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => valueOrContextError(() => parsePublicKeyFile(s, 'f'))), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => valueOrContextError(() => parseKeyValues(s))), { numRuns: 1000 });
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 4 }), fc.boolean(), (args, force) => valueOrContextError(() => splitPairs(args, { allowUnknownTypes: force }))), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => valueOrContextError(() => expandPath(s, { env: { HOME: '/h', A: 'a' } }))), { numRuns: 1000 });
  });
});
