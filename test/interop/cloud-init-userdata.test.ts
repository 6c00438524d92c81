import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyContext, encodeCloudInitKeyValues, type UserDataPart } from '@stratus-context/core';
import { cloudInitParts, FIXTURES, runCli, tempDir } from '../helpers.js';

/** The CLOUD_INIT_USER_DATA value of a cloud-init.txt, base64-decoded (still gzipped, as delivered). */
function deliveredUserData(kv: string): Buffer {
  const line = kv.split('\n').find((l) => l.startsWith('CLOUD_INIT_USER_DATA='));
  expect(line).toBeDefined();
  return Buffer.from(line!.slice('CLOUD_INIT_USER_DATA='.length), 'base64');
}

describe("Debian's cloud-init reads the user data we write", () => {
  const dir = tempDir();

  function throughCloudInit(kv: string, name: string) {
    const file = join(dir, name);
    writeFileSync(file, deliveredUserData(kv));
    return cloudInitParts(file);
  }

  it('sees each part of the manual example with our type, file name and exact bytes', () => {
    const res = runCli('stratus-prepare-context', ['-o', '-', `ssh,${FIXTURES}/manual/id_ed25519.pub`, `x-shellscript,${FIXTURES}/manual/run-http.sh`, `cloud-config,${FIXTURES}/stratuslab/run.sh`]);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const parts = throughCloudInit(res.stdout, 'manual.gz');
    expect(parts.map((p) => [p.content_type, p.filename])).toEqual([
      ['text/x-shellscript', 'run-http.sh'],
      ['text/cloud-config', 'run.sh'],
    ]);
    expect(parts[0]!.payload.equals(readFileSync(join(FIXTURES, 'manual/run-http.sh')))).toBe(true);
    expect(parts[1]!.payload.equals(readFileSync(join(FIXTURES, 'stratuslab/run.sh')))).toBe(true);
  });

  it('sees the literal none data as a single script', () => {
    const res = runCli('stratus-prepare-context', ['-o', '-', `none,${FIXTURES}/manual/run-http.sh`]);
    expect(res.status).toBe(0);
    const parts = throughCloudInit(res.stdout, 'none.gz');
    expect(parts).toHaveLength(1);
    expect(parts[0]!.content_type).toBe('text/x-shellscript');
    expect(parts[0]!.payload.equals(readFileSync(join(FIXTURES, 'manual/run-http.sh')))).toBe(true);
  });

  it('keeps non-ASCII, CRLF and binary parts and awkward file names byte for byte', () => {
    const parts: UserDataPart[] = [
      { type: 'text/cloud-config', filename: 'café.yaml', content: Buffer.from('#cloud-config\nhostname: café-nöde\n# Grüße – ☃ 日本\n') },
      { type: 'text/x-shellscript', filename: 'dos script.sh', content: Buffer.from('#!/bin/sh\r\necho dos\r\n') },
      { type: 'text/x-shellscript-per-boot', filename: 'q"uote\\.sh', content: Buffer.from('#!/bin/sh\necho "$1" `date` \\\n') },
      { type: 'text/part-handler', filename: 'blob.bin', content: new Uint8Array([0, 1, 2, 0xff, 0xfe, 13, 10, 13]) },
      { type: 'text/x-shellscript', filename: 'long.sh', content: Buffer.from(`#!/bin/sh\n# ${'x'.repeat(3000)}\n`) },
      { type: 'text/cloud-boothook', filename: 'empty', content: new Uint8Array() },
    ];
    const kv = encodeCloudInitKeyValues({ ...emptyContext(), parts });
    const seen = throughCloudInit(kv, 'awkward.gz');
    expect(seen.map((p) => [p.content_type, p.filename])).toEqual(parts.map((p) => [p.type, p.filename]));
    seen.forEach((p, i) => expect(p.payload.equals(Buffer.from(parts[i]!.content)), parts[i]!.filename).toBe(true));
  });
});
