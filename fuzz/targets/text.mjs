/**
 * Targets of the line and key formats: pairs, public keys, cloud-init.txt,
 * context.sh, multipart user data, and the base64/gzip layer under values.
 */
import { gzipSync } from 'node:zlib';
import {
  contextFromPairs,
  decodeBase64,
  decodeCloudInitKeyValues,
  decodeHepix,
  decodeOpenNebula,
  decompressUserData,
  dedupeKeys,
  encodeBase64,
  expandPath,
  formatPublicKey,
  gunzipCapped,
  isMimeUserData,
  parseMultipart,
  parsePublicKeyFile,
  parseUserData,
  splitPairs,
} from '@stratus-context/core';
import { bytes, mutate, repeatTo } from '../mutate.mjs';
import { KEY_FILES, base64Vectors, encodedFiles, fixture, stratuslabLines, userData } from '../samples.mjs';
import { MiB, latin1, tolerant, utf8 } from './common.mjs';

const userDataSeeds = () => userData();
const mutatedUserData = (rng) => {
  const seeds = userDataSeeds();
  return mutate(rng, rng.pick(seeds), seeds, MIME_TOKENS, 256 * 1024);
};
const gzipBase64 = (data) => encodeBase64(gzipSync(data, { level: 1 }));
let bomb;
/** 33 MiB of zeros gzipped, one MiB over the decoder's cap; made once. */
const gzipBomb = () => (bomb ??= bytes(gzipBase64(new Uint8Array(33 * MiB))));

const MIME_TOKENS = [
  'MIME-Version: 1.0\n',
  'Content-Type: multipart/mixed; boundary="b"\n',
  'Content-Type: text/x-shellscript; charset="utf-8"\n',
  'Content-Transfer-Encoding: quoted-printable\n',
  'Content-Transfer-Encoding: base64\n',
  "Content-Disposition: attachment; filename*=utf-8''%C3%A9%E2%98%83\n",
  'Content-Disposition: attachment; filename*0="a"; filename*1="b"\n',
  '\n--b\n',
  '\n--b--\n',
  '=41=\n',
  '=\r\n',
  '\n\n',
  ' folded\n',
  '; name="x\\"y"',
];

/** `depth` multipart messages, each the only part of the one around it. */
function nestedMime(depth, inner) {
  let body = inner;
  for (let k = 0; k < depth; k++) body = `Content-Type: multipart/mixed; boundary="b${k}"\nMIME-Version: 1.0\n\n--b${k}\n${body}\n--b${k}--\n`;
  return bytes(body);
}

export const pairs = {
  name: 'pairs',
  about: 'splitPairs, expandPath and contextFromPairs on TYPE,FILE arguments (one a line)',
  seeds: () => ['ssh,~/.ssh/id_ed25519.pub', 'x-shellscript,$HOME/run.sh#cloud-config,${X}/c.yaml', 'none,/tmp/a,b', 'Text/X-Shellscript , ./a b', 'ssh,~user/k##', 'application/x-thing,f'].map(bytes),
  tokens: [',', '#', '~', '~/', '$', '${', '}', '$HOME', '${X}', '/', 'ssh', 'none', 'x-shellscript', 'text/', ' ', '\n', '\0', 'é'],
  generators: [(rng, max) => bytes(`x-shellscript,a${'/'.repeat(rng.size(max))}b`), (rng, max) => repeatTo(rng.pick(['${', '$A', '#', ',', '~/']), rng.size(max))],
  run(input) {
    const text = utf8(input);
    for (const allowUnknownTypes of [false, true]) {
      const found = tolerant(() => splitPairs(text.split('\n'), { allowUnknownTypes })) ?? [];
      // As readPairs does: every path expanded, the first bad one refused.
      tolerant(() => found.map((pair) => expandPath(pair.path, { env: { HOME: '/home/u', X: 'x', EMPTY: '' } }, pair.text)));
      tolerant(() => contextFromPairs(found.filter((p) => p.type !== 'ssh').map((pair) => ({ pair, path: pair.path, content: bytes(pair.text) }))));
    }
  },
};

export const publicKeys = {
  name: 'public-keys',
  about: 'parsePublicKeyFile and dedupeKeys on key files',
  seeds: () => KEY_FILES,
  tokens: ['ssh-ed25519 ', 'ssh-rsa ', 'ecdsa-sha2-nistp256 ', 'AAAA', '==', ' ', '\t', '\n', '\r\n', '#', 'from="', '\\"', '"', ',', '---- BEGIN SSH2 PUBLIC KEY ----\n', '---- END SSH2 PUBLIC KEY ----\n', 'Comment: x\\\n', '-----BEGIN OPENSSH PRIVATE KEY-----'],
  generators: [
    (rng, max) => repeatTo(fixture('keys/ed25519.rfc4716.pub'), rng.size(max)),
    (rng, max) => bytes(`from="${'\\"'.repeat(rng.size(max / 2))} ssh-ed25519 AAAA`),
    (rng, max) => repeatTo('---- BEGIN SSH2 PUBLIC KEY ----\n', rng.size(max)),
  ],
  run(input) {
    const keys = parsePublicKeyFile(utf8(input), 'keys');
    dedupeKeys(keys.map(formatPublicKey));
  },
};

export const cloudInitTxt = {
  name: 'cloud-init-txt',
  about: 'decodeCloudInitKeyValues on cloud-init.txt',
  seeds: () => [...(encodedFiles().get('cloud-init.txt') ?? []), ...stratuslabLines().map(bytes)],
  tokens: ['CONTEXT_METHOD=cloud-init\n', 'CLOUD_INIT_USER_DATA=', 'CLOUD_INIT_AUTHORIZED_KEYS=', 'export ', 'A=', ' = ', '"', "'", '\\"', '#', '\r\n', '\n', ' ', '\t', '\0', '\u2028', 'H4sI'],
  generators: [(rng, max) => bytes(`A=x${' \t'.repeat(rng.size(max / 2))}y\n`), (rng, max) => bytes(`${'A'.repeat(rng.size(max))}=1\n`), (rng, max) => repeatTo('A=1\n', rng.size(max))],
  wrap: (rng) => bytes(`CONTEXT_METHOD=cloud-init\nCLOUD_INIT_USER_DATA=${gzipBase64(mutatedUserData(rng))}\n`),
  run(input) {
    decodeCloudInitKeyValues(input, { file: 'cloud-init.txt' });
  },
};

export const contextSh = {
  name: 'context-sh',
  about: 'decodeOpenNebula and decodeHepix on context.sh',
  seeds: () => encodedFiles().get('context.sh') ?? [],
  tokens: ["A='", "'", '"', '\\', '\\\n', "'\\''", 'export ', ';', '#', '$', '`', '(', ' ', '\n', '=', 'SSH_PUBLIC_KEY=', 'USER_DATA_ENCODING=base64\n', 'USER_DATA=', 'VMID=', '__proto__=', '\0'],
  generators: [
    (rng, max) => bytes(`A="${'\\"'.repeat(rng.size(max / 2))}"\n`),
    (rng, max) => bytes(`A=${'x'.repeat(rng.size(max))}\n`),
    (rng, max) => repeatTo(rng.pick(['export ', '\\\n', "A=''", ';']), rng.size(max)),
  ],
  wrap: (rng) => bytes(`USER_DATA='${encodeBase64(mutatedUserData(rng))}'\nUSER_DATA_ENCODING='base64'\n`),
  run(input) {
    const files = new Map([['context.sh', input]]);
    tolerant(() => decodeOpenNebula(files));
    tolerant(() => decodeHepix(files));
  },
};

export const multipart = {
  name: 'multipart',
  about: 'parseUserData and parseMultipart on user data',
  seeds: userDataSeeds,
  tokens: MIME_TOKENS,
  generators: [
    (rng) => nestedMime(1 + rng.size(40), 'Content-Type: text/plain\n\nx'),
    (rng, max) => bytes(`MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n${'--b\n\n'.repeat(rng.size(max / 5))}`),
    (rng, max) => bytes(`MIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n${'=41'.repeat(rng.size(max / 3))}`),
    (rng, max) => bytes(`MIME-Version: 1.0\nContent-Disposition: a; ${Array.from({ length: rng.size(max / 20) }, (_, k) => `f*${k}*=%41`).join(';')}\n\n`),
  ],
  run(input) {
    parseUserData(input);
    if (isMimeUserData(input)) parseMultipart(input);
  },
};

export const encodings = {
  name: 'encodings',
  about: 'decodeBase64, decompressUserData and gunzipCapped on values',
  seeds: () => [...base64Vectors(), ...userDataSeeds().map((d) => bytes(gzipBase64(d)))],
  tokens: ['AAAA', '=', '==', '\n', ' ', '\t', '-', '_', 'H4sI', '/+'],
  generators: [(rng, max) => repeatTo('A', rng.size(max)), () => gzipBomb()],
  wrap: (rng) => bytes(gzipBase64(mutatedUserData(rng))),
  run(input) {
    tolerant(() => decompressUserData(decodeBase64(latin1(input), { key: 'V' })));
    tolerant(() => gunzipCapped(input, 32 * MiB));
  },
};
