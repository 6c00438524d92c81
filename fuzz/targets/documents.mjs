/**
 * Targets of the document formats: NoCloud meta-data (YAML), config-drive
 * meta_data.json, and the agent's #cloud-config parser.
 */
import { META_DATA_JSON, decodeConfigDrive, decodeNoCloud } from '@stratus-context/core';
import { bytes, repeatTo } from '../mutate.mjs';
import { PUBLIC_KEYS, corpus, encodedFiles, userData } from '../samples.mjs';
import { deep, utf8 } from './common.mjs';

const YAML_TOKENS = [': ', '- ', '\n', '  ', '[', ']', '{', '}', ',', '"', "'", '\\0', '&a ', '*a', '!!binary ', '!!python/object ', '<<: ', '? ', '|\n', '>-\n', '#', '---\n', '...\n', '%YAML 1.1\n', 'yes', '0644', '~', '\t', '\0'];

/** An alias bomb: each level lists the previous one `width` times. */
function aliasBomb(rng) {
  const width = 2 + rng.int(9);
  const lines = ['a0: &a0 [x]'];
  for (let k = 1; k <= 2 + rng.int(12); k++) lines.push(`a${k}: &a${k} [${Array(width).fill(`*a${k - 1}`).join(', ')}]`);
  return bytes(`${lines.join('\n')}\n`);
}

const yamlGenerators = (prefix) => [
  (rng, max) => bytes(`${prefix}x: ${utf8(deep('[', ']')(rng, max - 16))}\n`),
  (rng, max) => bytes(`${prefix}x: ${utf8(deep('{a: ', '}')(rng, max - 16))}\n`),
  (rng, max) => bytes(prefix + Array.from({ length: rng.size(Math.sqrt(max)) }, (_, k) => `${' '.repeat(k)}- a:\n`).join('')),
  (rng) => bytes(prefix + utf8(aliasBomb(rng))),
  (rng, max) => bytes(`${prefix}x: "${'\\'.repeat(rng.size(max / 2))}"\n`),
];

export const nocloud = {
  name: 'nocloud-meta-data',
  about: 'decodeNoCloud on meta-data (YAML)',
  seeds: () => [...(encodedFiles().get('meta-data') ?? []), bytes(`instance-id: iid-1\nlocal-hostname: h\npublic-keys:\n  - ${PUBLIC_KEYS[0]}\n  k: [${PUBLIC_KEYS[1]}]\n`)],
  tokens: [...YAML_TOKENS, 'instance-id: ', 'local-hostname: ', 'public-keys: ', 'ssh-ed25519 AAAA'],
  generators: yamlGenerators(''),
  run(input) {
    decodeNoCloud(new Map([['meta-data', input]]));
  },
};

export const configDrive = {
  name: 'config-drive',
  about: 'decodeConfigDrive on openstack/latest/meta_data.json',
  seeds: () => [...(encodedFiles().get(META_DATA_JSON) ?? []), ...corpus('config-drive').map((c) => c.input)],
  tokens: ['{', '}', '[', ']', ',', ':', '"', '\\"', '\\u0000', '\\ud800', 'true', 'null', '-0.5e+3', '"meta": ', '"uuid": ', '"public_keys": ', '"__proto__": ', ' ', '\n'],
  generators: [
    (rng, max) => bytes(`{"meta":{"X":${utf8(deep('[', ']')(rng, max - 20))}}}`),
    (rng, max) => deep('{"a":', '}', '1')(rng, max),
    (rng, max) => bytes(`{"meta":{${Array.from({ length: rng.size(max / 12) }, (_, k) => `"K${k}":"v"`).join(',')}}}`),
    (rng, max) => bytes(`{"uuid":"${'\\u0041'.repeat(rng.size(max / 6))}"}`),
  ],
  run(input) {
    decodeConfigDrive(new Map([[META_DATA_JSON, input]]));
  },
};

/** The agent's parser, from its built package; undefined (an empty slot) when the agent does not export it. */
async function agentCloudConfig() {
  try {
    const agent = await import('@stratus-context/guest-agent');
    return typeof agent.addCloudConfig === 'function' && typeof agent.emptyCloudConfig === 'function' ? agent : undefined;
  } catch {
    return undefined;
  }
}

export const cloudConfig = {
  name: 'agent-cloud-config',
  about: "the guest agent's addCloudConfig(emptyCloudConfig(), text, where) on #cloud-config parts",
  /** Loaded by `prepare` in the worker: the slot stays empty (and is reported) without the built agent. */
  async prepare() {
    this.agent = await agentCloudConfig();
    return this.agent !== undefined;
  },
  seeds: () => [
    ...userData().filter((d) => utf8(d).startsWith('#cloud-config')),
    bytes(`#cloud-config\nhostname: web-1\nfqdn: web-1.example.org\nssh_authorized_keys:\n  - ${PUBLIC_KEYS[0]}\nwrite_files:\n  - path: /etc/x.conf\n    content: aGk=\n    encoding: b64\n    permissions: '0644'\n    owner: root:root\n    append: yes\n  - path: /etc/y\n    content: !!binary aGk=\nruncmd:\n  - [echo, "it's"]\n  - echo hi\n  - [sh, -c, 0755]\npackages: [nginx]\n`),
  ],
  tokens: [...YAML_TOKENS, 'write_files:\n', '  - path: /', '    content: ', '    encoding: gz+b64\n', '    permissions: ', '    owner: ', 'runcmd:\n', 'ssh_authorized_keys:\n', 'hostname: ', 'fqdn: ', '#cloud-config\n'],
  generators: [...yamlGenerators('#cloud-config\n'), (rng, max) => bytes(`#cloud-config\nruncmd:\n${utf8(repeatTo('  - [a, b]\n', rng.size(max - 30)))}`)],
  run(input) {
    this.agent.addCloudConfig(this.agent.emptyCloudConfig(), utf8(input), 'fuzz');
  },
};
