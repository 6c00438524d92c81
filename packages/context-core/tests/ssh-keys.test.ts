import { describe, expect, it } from 'vitest';
import { dedupeKeys, formatAuthorizedKeys, formatPublicKey, parsePublicKeyFile, parsePublicKeyLine } from '../src/ssh-keys.js';
import { expectContextError, fixtureText } from './helpers.js';

const ED = fixtureText('keys/ed25519.pub').trim();
const RSA = fixtureText('keys/rsa.pub').trim();
const ECDSA = fixtureText('keys/ecdsa.pub').trim();
const lines = (s: string) => parsePublicKeyFile(s, 'k.pub').map(formatPublicKey);

describe('public key files', () => {
  it('reads keys made by ssh-keygen, one a line, skipping blanks and comments', () => {
    expect(lines(`# my keys\n\n${ED}\n  ${RSA}  \r\n${ECDSA}`)).toEqual([ED, RSA, ECDSA]);
  });

  it('converts RFC 4716 blocks (ssh-keygen -e) to the OpenSSH line', () => {
    const [edType, edData] = ED.split(' ');
    const [rsaType, rsaData] = RSA.split(' ');
    const text = `${fixtureText('keys/ed25519.rfc4716.pub')}${ECDSA}\n${fixtureText('keys/rsa.rfc4716.pub')}`;
    expect(lines(text)).toEqual([`${edType} ${edData}`, ECDSA, `${rsaType} ${rsaData}`]);
  });

  it('handles RFC 4716 headers continued with a backslash', () => {
    const [, data] = ED.split(' ');
    const block = `---- BEGIN SSH2 PUBLIC KEY ----\nSubject: alice\nComment: "a long \\\ncomment: yes"\n${data?.slice(0, 30)}\n${data?.slice(30)}\n---- END SSH2 PUBLIC KEY ----\n`;
    expect(lines(block)).toEqual([`ssh-ed25519 ${data}`]);
  });

  it('keeps authorized_keys options, including quoted blanks', () => {
    const line = `from="10.0.0.1",command="echo hi there" ${ED}`;
    const [k] = parsePublicKeyFile(line);
    expect(k?.options).toBe('from="10.0.0.1",command="echo hi there"');
    expect(k && formatPublicKey(k)).toBe(line);
  });

  it('accepts the original tool vector (a short test key)', () => {
    expect(lines(fixtureText('stratuslab/id_rsa.pub'))).toEqual(['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host']);
  });

  it('refuses a private key with a clear error naming the file', () => {
    const e = expectContextError(() => parsePublicKeyFile(fixtureText('keys/ed25519.private'), '/home/u/.ssh/id_ed25519'), 'private-key');
    expect(e.message).toContain('/home/u/.ssh/id_ed25519');
    expect(e.message).toMatch(/PRIVATE/);
    for (const head of ['-----BEGIN RSA PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----', '-----BEGIN ENCRYPTED PRIVATE KEY-----', 'PuTTY-User-Key-File-3: ssh-ed25519']) {
      expectContextError(() => parsePublicKeyFile(`${head}\nAAAA\n`), 'private-key');
    }
  });

  it('refuses lines that are not keys, naming file and line', () => {
    const e = expectContextError(() => parsePublicKeyFile(`${ED}\nhello world\n`, 'k.pub'), 'bad-public-key');
    expect(e.input).toMatchObject({ file: 'k.pub', line: 2 });
    expect(e.message).toContain('k.pub, line 2');
    expectContextError(() => parsePublicKeyLine('ssh-ed25519 not*base64'), 'bad-public-key');
    expectContextError(() => parsePublicKeyLine('ssh-ed25519'), 'bad-public-key');
    // The blob says ssh-ed25519, the line says ssh-rsa.
    expectContextError(() => parsePublicKeyLine(`ssh-rsa ${ED.split(' ')[1]}`), 'bad-public-key');
    expectContextError(() => parsePublicKeyLine('ssh-rsa AAAA'), 'bad-public-key');
    expectContextError(() => parsePublicKeyFile('---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n'), 'bad-public-key');
  });
});

describe('dedupeKeys and formatAuthorizedKeys', () => {
  it('removes repeated keys, first occurrence kept, comments ignored for identity', () => {
    const other = `${ED.split(' ').slice(0, 2).join(' ')} another-comment`;
    expect(dedupeKeys([ED, RSA, other, ED, `no-pty ${ED}`])).toEqual([ED, RSA, `no-pty ${ED}`]);
  });

  it('joins with \\n and ends with \\n', () => {
    expect(formatAuthorizedKeys([ED, RSA])).toBe(`${ED}\n${RSA}\n`);
    expect(formatAuthorizedKeys([])).toBe('');
  });
});
