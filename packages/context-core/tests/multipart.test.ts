import { describe, expect, it } from 'vitest';
import { buildMultipart, isMimeUserData, parseMultipart } from '../src/multipart.js';
import type { UserDataPart } from '../src/model.js';
import { bytes, fixture, text } from './helpers.js';
import { gunzipSync } from 'node:zlib';

const PINNED = '===============1234567890123456789==';
const RUN_SH = new Uint8Array(fixture('stratuslab/run.sh'));

describe('buildMultipart', () => {
  it('writes byte for byte what the original tool wrote (same boundary)', () => {
    const original = gunzipSync(Buffer.from(fixture('stratuslab/multipart-run.sh.b64').toString('ascii').trim(), 'base64'));
    const ours = buildMultipart([{ type: 'text/x-shellscript', filename: 'run.sh', content: RUN_SH }], { boundary: PINNED });
    expect(Buffer.from(ours).toString('latin1')).toBe(original.toString('latin1'));
  });

  it('puts MIME-Version in the top headers and ends every line in \\n', () => {
    const out = text(buildMultipart([{ type: 'text/cloud-config', filename: 'c.yaml', content: bytes('#cloud-config\n') }]));
    const [top] = out.split('\n\n');
    expect(top).toMatch(/^Content-Type: multipart\/mixed; boundary="===============\d{19}=="\nMIME-Version: 1\.0$/);
    expect(out).not.toContain('\r');
    expect(out.endsWith('==--\n')).toBe(true);
  });

  it('is deterministic, and the boundary depends on the content', () => {
    const parts: UserDataPart[] = [{ type: 'text/x-shellscript', filename: 'a.sh', content: bytes('echo a\n') }];
    expect(buildMultipart(parts)).toEqual(buildMultipart(parts));
    const other = buildMultipart([{ ...parts[0]!, content: bytes('echo b\n') }]);
    const boundaryOf = (b: Uint8Array) => /boundary="([^"]+)"/.exec(text(b))?.[1];
    expect(boundaryOf(other)).not.toBe(boundaryOf(buildMultipart(parts)));
  });

  it('never uses a boundary that occurs in a part', () => {
    const content = bytes(`echo "${PINNED}"\n--${PINNED}--\n`);
    const out = buildMultipart([{ type: 'text/x-shellscript', filename: 'evil.sh', content }], { boundary: PINNED });
    const boundary = /boundary="([^"]+)"/.exec(text(out))?.[1];
    expect(boundary).toBeDefined();
    expect(boundary).not.toBe(PINNED);
    expect(text(content)).not.toContain(boundary!);
    expect(parseMultipart(out)).toEqual([{ type: 'text/x-shellscript', filename: 'evil.sh', content }]);
  });

  it('sends ASCII as 7bit us-ascii and anything else as base64 (utf-8 when it is UTF-8)', () => {
    const out = text(
      buildMultipart([
        { type: 'text/x-shellscript', filename: 'a.sh', content: bytes('echo plain\n') },
        { type: 'text/cloud-config', filename: 'b.yaml', content: bytes('#cloud-config\nhostname: café\n') },
        { type: 'text/x-shellscript', filename: 'crlf.sh', content: bytes('echo dos\r\n') },
        { type: 'text/part-handler', filename: 'bin', content: new Uint8Array([0, 0xff, 0xfe, 10]) },
      ]),
    );
    const sections = out.split(/--===============\d{19}==\n/).slice(1);
    expect(sections[0]).toContain('Content-Type: text/x-shellscript; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n');
    expect(sections[1]).toContain('Content-Type: text/cloud-config; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n');
    expect(sections[2]).toContain('Content-Type: text/x-shellscript; charset="utf-8"');
    expect(sections[2]).toContain('Content-Transfer-Encoding: base64');
    expect(sections[3]).toContain('Content-Type: text/part-handler\nMIME-Version');
    expect(out).not.toContain('café');
  });

  it('encodes awkward file names so that they read back', () => {
    const names = ['my script.sh', 'qu"ote.sh', 'back\\slash.sh', 'été.sh', 'semi;colon=.sh', 'line\nbreak.sh'];
    const parts = names.map((filename) => ({ type: 'text/x-shellscript', filename, content: bytes('true\n') }));
    const out = buildMultipart(parts);
    expect(text(out).split('\n').filter((l) => l.startsWith('Content-Disposition'))).toHaveLength(names.length);
    expect(parseMultipart(out).map((p) => p.filename)).toEqual(names);
  });
});

describe('parseMultipart', () => {
  it('reads parts back with type, filename and exact bytes, whatever the content', () => {
    const parts: UserDataPart[] = [
      { type: 'text/x-shellscript', filename: 'a.sh', content: bytes('#!/bin/sh\necho a') },
      { type: 'text/cloud-config', filename: 'b', content: bytes('\n\n#cloud-config\n\n') },
      { type: 'text/x-shellscript', filename: 'empty', content: new Uint8Array() },
      { type: 'text/x-shellscript', filename: 'crlf', content: bytes('a\r\nb\r\n\r\n') },
      { type: 'application/octet-stream', filename: 'bin', content: new Uint8Array([0, 1, 2, 13, 10, 255]) },
    ];
    expect(parseMultipart(buildMultipart(parts))).toEqual(parts);
  });

  it('reads what other tools write: CRLF, preamble, epilogue, unquoted boundary, quoted-printable, nesting', () => {
    const msg = [
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed;',
      ' boundary=outer',
      '',
      'This is a preamble.',
      '--outer',
      'Content-Type: text/x-shellscript; name=first.sh',
      '',
      'echo one',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      'Content-Type: text/cloud-config',
      'Content-Transfer-Encoding: quoted-printable',
      "Content-Disposition: attachment; filename*=utf-8''caf%C3%A9.yaml",
      '',
      '#cloud-config=0Ahostname: caf=C3=A9=',
      '',
      '--inner--',
      '--outer--  ',
      'epilogue',
    ].join('\r\n');
    const parts = parseMultipart(bytes(msg));
    expect(parts.map((p) => [p.type, p.filename, text(p.content)])).toEqual([
      ['text/x-shellscript', 'first.sh', 'echo one'],
      ['text/cloud-config', 'café.yaml', '#cloud-config\nhostname: café'],
    ]);
  });

  it('a part without Content-Type is text/plain; an unterminated message keeps its last part', () => {
    const parts = parseMultipart(bytes('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n\nhello\n'));
    expect(parts.map((p) => [p.type, text(p.content)])).toEqual([['text/plain', 'hello\n']]);
  });

  it('a single non-multipart MIME message is one part', () => {
    const parts = parseMultipart(bytes('MIME-Version: 1.0\nContent-Type: text/x-shellscript\n\necho hi\n'));
    expect(parts).toEqual([{ type: 'text/x-shellscript', filename: '', content: bytes('echo hi\n') }]);
  });

  it('sniffs MIME as cloud-init does: MIME-Version within the first 4096 bytes', () => {
    expect(isMimeUserData(bytes('#!/bin/sh\necho hi\n'))).toBe(false);
    expect(isMimeUserData(bytes('content-type: text/plain\nmime-version: 1.0\n\nx'))).toBe(true);
    expect(isMimeUserData(bytes(`${'#'.repeat(4096)}\nMIME-Version: 1.0\n`))).toBe(false);
  });
});
