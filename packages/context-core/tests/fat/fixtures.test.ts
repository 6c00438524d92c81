/** The committed mkfs.vfat + mcopy image (fixtures/README.md says how it was made) reads back exactly. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { readFat, type FatDirectoryEntry } from '../../src/fat/index.js';
import { fatFixture } from './helpers.js';

it('mkfs-cloud-init.img: label, type, names and bytes', async () => {
  const v = await readFat(readFileSync(fatFixture('mkfs-cloud-init.img')));
  expect({ type: v.type, label: v.label, bootLabel: v.bootLabel, serial: v.serial, sizeBytes: v.sizeBytes, clusterBytes: v.clusterBytes }).toEqual({
    type: 'fat12',
    label: '_CLOUD_INIT',
    bootLabel: '_CLOUD_INIT',
    serial: 0x12345678,
    sizeBytes: 1_024_000,
    clusterBytes: 2048,
  });
  expect(v.root.children.map((c) => [c.name, c.shortName, c.kind])).toEqual([
    ['meta.js', 'META.JS', 'file'],
    ['root', 'ROOT', 'directory'],
    ['etc', 'ETC', 'directory'],
    ['A Long Mixed Name.txt', 'ALONGM~1.TXT', 'file'],
  ]);
  const ssh = (v.root.children[1] as FatDirectoryEntry).children[0] as FatDirectoryEntry;
  const keys = ssh.children[0]!;
  expect([ssh.path, keys.path]).toEqual(['root/.ssh', 'root/.ssh/authorized_keys']);
  const expected = readFileSync(fileURLToPath(new URL('../../../../fixtures/keys/ed25519.pub', import.meta.url)));
  expect(keys.kind === 'file' && Buffer.from(keys.content).equals(expected)).toBe(true);
});
