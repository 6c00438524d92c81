import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildUserData, emptyContext, FORMATS, type Context } from '@stratus-context/core';
import { writeContextDir } from '@stratus-context/core/node';
import { cloudInitDatasource, FIXTURES, tempDir } from '../helpers.js';

const ED = readFileSync(join(FIXTURES, 'keys/ed25519.pub'), 'utf8').trim();
const RSA = readFileSync(join(FIXTURES, 'keys/rsa.pub'), 'utf8').trim();
const RUN = readFileSync(join(FIXTURES, 'manual/run-http.sh'));

const context: Context = {
  ...emptyContext(),
  keys: [ED, RSA],
  parts: [
    { type: 'text/x-shellscript', filename: 'run-http.sh', content: new Uint8Array(RUN) },
    { type: 'text/cloud-config', filename: 'c.yaml', content: new Uint8Array(Buffer.from('#cloud-config\nruncmd: [echo café]\n')) },
  ],
  hostname: 'web-1',
  instanceId: 'i-0042',
};

describe("cloud-init's own datasources read the trees we write", () => {
  const dir = tempDir();
  const expectedUserData = Buffer.from(buildUserData(context)!);

  const cases = [
    ['opennebula', 'opennebula'],
    ['nocloud', 'nocloud'],
    ['config-drive', 'configdrive'],
  ] as const;
  for (const [format, kind] of cases) {
    it(`${format}: keys, hostname, instance id and user data`, () => {
      const tree = join(dir, format);
      writeContextDir(tree, FORMATS[format].encode(context));
      const ds = cloudInitDatasource(kind, tree);
      expect(ds.found).toBe(true);
      expect(ds.public_keys).toEqual([ED, RSA]);
      expect(ds.hostname).toBe('web-1');
      expect(ds.userdata?.equals(expectedUserData)).toBe(true);
      // OpenNebula's datasource has a fixed instance id; the context keeps ours as VMID.
      if (format === 'opennebula') expect(ds.metadata['VMID']).toBe('i-0042');
      else expect(ds.instance_id).toBe('i-0042');
    });
  }

  it('opennebula: hostile variable values reach cloud-init exactly', () => {
    const tree = join(dir, 'hostile');
    const variables = { QUOTES: `it's "quoted" \\ $HOME \`id\``, LINES: 'a\nb\n', UTF8: 'café ☃' };
    writeContextDir(tree, FORMATS.opennebula.encode({ ...emptyContext(), keys: [ED], variables }));
    const ds = cloudInitDatasource('opennebula', tree);
    expect(ds.metadata).toMatchObject(variables);
  });
});
