/**
 * Seeds: the fixtures, and what our own encoders write for a few sample
 * contexts in every format (the files, and the disks holding them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FORMAT_NAMES, FORMATS, buildMultipart, emptyContext, encodeIso, isoTreeFromPaths } from '@stratus-context/core';
import { bytes } from './mutate.mjs';

export const FIXTURES = new URL('../fixtures/', import.meta.url);
export const fixture = (path) => new Uint8Array(readFileSync(new URL(path, FIXTURES)));
const text = (path) => Buffer.from(fixture(path)).toString('utf8');

/** The regression corpus: fixtures/fuzz/<target>-*.  */
export function corpus(target) {
  const dir = new URL('fuzz/', FIXTURES);
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${target}-`))
    .sort()
    .map((f) => ({ name: f, input: fixture(`fuzz/${f}`) }));
}

export const PUBLIC_KEYS = ['keys/ed25519.pub', 'keys/rsa.pub', 'keys/ecdsa.pub', 'stratuslab/id_rsa.pub'].map((f) => text(f).trim());
export const KEY_FILES = ['keys/ed25519.pub', 'keys/rsa.pub', 'keys/ecdsa.pub', 'keys/ed25519.rfc4716.pub', 'keys/rsa.rfc4716.pub', 'keys/ed25519.private', 'stratuslab/id_rsa.pub'].map(fixture);

const PARTS = [
  { type: 'text/x-shellscript', filename: 'run.sh', content: fixture('stratuslab/run.sh') },
  { type: 'text/x-shellscript', filename: 'run-http.sh', content: fixture('manual/run-http.sh') },
  { type: 'text/cloud-config', filename: 'c.yaml', content: bytes('#cloud-config\nhostname: web-1\nruncmd:\n  - [echo, hi]\n') },
  { type: 'text/plain', filename: 'café ☃.txt', content: new Uint8Array([0, 1, 2, 0x0d, 0x0a, 0xff]) },
];

function contexts() {
  const full = {
    ...emptyContext(),
    keys: PUBLIC_KEYS.slice(0, 2),
    parts: PARTS,
    hostname: 'web-1',
    instanceId: 'i-42',
    files: [{ name: 'extra/data.bin', content: new Uint8Array([0, 1, 2]) }],
  };
  Object.assign(full.variables, { USERNAME: 'alice', WEIRD: "it's $HOME `x` \\ \"\n2nd line", EMPTY: '' });
  const literal = { ...emptyContext(), keys: PUBLIC_KEYS.slice(2), userData: fixture('stratuslab/run.sh') };
  return [full, literal, emptyContext()];
}

/** Every file our encoders write for the sample contexts, by name (`context.sh`, `meta-data`, ...). */
export function encodedFiles() {
  const out = new Map();
  for (const ctx of contexts()) {
    for (const name of FORMAT_NAMES) {
      let files;
      try {
        files = FORMATS[name].encode(ctx);
      } catch {
        continue; // a context the format cannot carry
      }
      for (const f of files) out.set(f.name, [...(out.get(f.name) ?? []), f.content]);
    }
  }
  return out;
}

/** The sample contexts as disks of every format, and the fixture images. */
export function encodedDisks() {
  const disks = ['iso9660/genisoimage-cidata.iso', 'iso9660/xorriso-context.iso', 'iso9660/stratus-cidata.iso'].map(fixture);
  for (const ctx of contexts().slice(0, 2)) {
    for (const name of FORMAT_NAMES) {
      try {
        const tree = isoTreeFromPaths(FORMATS[name].encode(ctx).map((f) => ({ path: f.name, content: f.content })));
        disks.push(encodeIso(tree, { volumeId: FORMATS[name].volumeId, timestamp: 1_700_000_000 }));
      } catch {
        // a context the format cannot carry
      }
    }
  }
  return disks;
}

/** User data as it travels: MIME messages, and the original tool's gzipped vectors unpacked. */
export function userData() {
  const gz = ['stratuslab/multipart-run.sh.b64', 'stratuslab/none-run.sh.b64'].map((f) => new Uint8Array(gunzipSync(Buffer.from(text(f).trim(), 'base64'))));
  return [buildMultipart(PARTS), buildMultipart(PARTS.slice(0, 1), { boundary: 'b' }), ...gz];
}

export const stratuslabLines = () => [text('stratuslab/expected-keys.txt'), `CLOUD_INIT_USER_DATA=${text('stratuslab/multipart-run.sh.b64').trim()}\n`];
export const base64Vectors = () => ['stratuslab/multipart-run.sh.b64', 'stratuslab/none-run.sh.b64'].map(fixture);
