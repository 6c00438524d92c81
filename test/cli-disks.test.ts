import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMAT_NAMES, FORMATS, buildUserData, emptyContext } from '@stratus-context/core';
import { cloudInitDatasource, FIXTURES, runCli, tempDir } from './helpers.js';

const ED = readFileSync(join(FIXTURES, 'keys/ed25519.pub'), 'utf8').trim();
const RUN = readFileSync(join(FIXTURES, 'manual/run-http.sh'));
const PAIRS = [`ssh,${FIXTURES}/keys/ed25519.pub`, `x-shellscript,${FIXTURES}/manual/run-http.sh`];

function inspectJson(source: string) {
  const res = runCli('stratus-context', ['inspect', '--json', source]);
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout);
}

describe('stratus-context prepare: every format, as a disk and as a directory', () => {
  const dir = tempDir();
  for (const format of FORMAT_NAMES) {
    it(`${format}: the disk carries its volume id, keys, parts, hostname and variables`, () => {
      const iso = join(dir, `${format}.iso`);
      const args = ['prepare', '--format', format, '--iso', iso, '--hostname', 'web-1', '--instance-id', 'i-7', '--var', 'USERNAME=alice', ...PAIRS];
      const res = runCli('stratus-context', args);
      expect(res.status).toBe(0);
      const report = inspectJson(iso);
      expect(report.format).toBe(format);
      expect(report.volumeId).toBe(FORMATS[format].volumeId);
      expect(report.keys).toEqual([ED]);
      expect(report.userData.parts).toEqual([{ type: 'text/x-shellscript', filename: 'run-http.sh', size: RUN.length, text: RUN.toString('utf8') }]);
      if (format === 'cloud-init') {
        expect(res.stderr).toMatch(/cannot carry the hostname/);
      } else {
        expect(report.hostname).toBe('web-1');
        expect(report.instanceId).toBe('i-7');
      }
      if (format === 'nocloud') expect(res.stderr).toMatch(/cannot carry the variables USERNAME/);
      else expect(report.variables).toEqual({ USERNAME: 'alice' });
      expect(execFileSync('isoinfo', ['-d', '-i', iso], { encoding: 'utf8' })).toContain(`Volume id: ${FORMATS[format].volumeId}`);

      const tree = join(dir, `${format}-tree`);
      expect(runCli('stratus-context', [...args.slice(0, 3), '--dir', tree, ...args.slice(5)]).status).toBe(0);
      const fromDir = inspectJson(tree);
      expect({ ...fromDir, source: '', volumeId: undefined }).toEqual({ ...report, source: '', volumeId: undefined });
    });
  }

  it('--file puts extra files on the disk, under their names', () => {
    const iso = join(dir, 'files.iso');
    const res = runCli('stratus-context', ['prepare', '--format', 'opennebula', '--iso', iso, '--file', `${FIXTURES}/manual/run-http.sh:scripts/start.sh`, '--file', `${FIXTURES}/keys/rsa.pub`, ...PAIRS]);
    expect(res.status).toBe(0);
    expect(inspectJson(iso).files).toEqual([
      { name: 'rsa.pub', size: readFileSync(join(FIXTURES, 'keys/rsa.pub')).length },
      { name: 'scripts/start.sh', size: RUN.length },
    ]);
    const out = join(dir, 'files-x');
    execFileSync('7z', ['x', `-o${out}`, iso], { stdio: 'ignore' });
    expect(readFileSync(join(out, 'scripts/start.sh')).equals(RUN)).toBe(true);
  });

  it('images are reproducible, and follow SOURCE_DATE_EPOCH', () => {
    const make = (name: string, epoch?: string) => {
      const env = { ...process.env };
      delete env['SOURCE_DATE_EPOCH'];
      if (epoch !== undefined) env['SOURCE_DATE_EPOCH'] = epoch;
      const iso = join(dir, name);
      expect(runCli('stratus-context', ['prepare', '--format', 'nocloud', '--iso', iso, ...PAIRS], { env }).status).toBe(0);
      return readFileSync(iso);
    };
    expect(make('r1.iso').equals(make('r2.iso'))).toBe(true);
    const a = make('e1.iso', '1700000000');
    expect(a.equals(make('e2.iso', '1700000000'))).toBe(true);
    expect(a.equals(make('r3.iso'))).toBe(false);
    // 1700000000 is 2023-11-14 22:13:20 UTC.
    expect(execFileSync('xorriso', ['-indev', join(dir, 'e1.iso'), '-pvd_info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toMatch(/Creation Time: 2023111422132000/);
  });
});

describe("cloud-init reads our disks once extracted by the real tools", () => {
  const dir = tempDir();
  const expectedUserData = Buffer.from(buildUserData({ ...emptyContext(), parts: [{ type: 'text/x-shellscript', filename: 'run-http.sh', content: new Uint8Array(RUN) }] })!);
  const cases = [
    ['opennebula', 'opennebula', '7z'],
    ['nocloud', 'nocloud', 'xorriso'],
    ['config-drive', 'configdrive', '7z'],
    ['nocloud', 'nocloud', 'isoinfo'],
  ] as const;
  for (const [format, kind, tool] of cases) {
    it(`${format} disk, extracted by ${tool}`, () => {
      const iso = join(dir, `${format}-${tool}.iso`);
      expect(runCli('stratus-context', ['prepare', '--format', format, '--iso', iso, '--hostname', 'web-1', '--instance-id', 'i-9', ...PAIRS]).status).toBe(0);
      const out = join(dir, `${format}-${tool}`);
      mkdirSync(out);
      if (tool === '7z') execFileSync('7z', ['x', `-o${out}`, iso], { stdio: 'ignore' });
      else if (tool === 'xorriso') execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out], { stdio: 'ignore' });
      else {
        for (const f of ['meta-data', 'user-data']) writeFileSync(join(out, f), execFileSync('isoinfo', ['-R', '-i', iso, '-x', `/${f}`]));
      }
      const ds = cloudInitDatasource(kind, out);
      expect(ds.found).toBe(true);
      expect(ds.public_keys).toEqual([ED]);
      expect(ds.hostname).toBe('web-1');
      expect(ds.userdata?.equals(expectedUserData)).toBe(true);
      if (format !== 'opennebula') expect(ds.instance_id).toBe('i-9');
    });
  }
});

describe('stratus-context inspect and convert', () => {
  const dir = tempDir();

  it('reads a NoCloud disk made by genisoimage the way cloud-localds does', () => {
    const seed = join(dir, 'seed');
    mkdirSync(seed);
    writeFileSync(join(seed, 'meta-data'), `instance-id: iid-local01\nlocal-hostname: cloudimg\npublic-keys:\n  - ${ED}\n`);
    writeFileSync(join(seed, 'user-data'), RUN);
    const iso = join(dir, 'localds.iso');
    execFileSync('genisoimage', ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', join(seed, 'user-data'), join(seed, 'meta-data')]);
    const r = inspectJson(iso);
    expect(r).toMatchObject({ format: 'nocloud', volumeId: 'cidata', instanceId: 'iid-local01', hostname: 'cloudimg', keys: [ED] });
    expect(r.userData).toMatchObject({ kind: 'literal', text: RUN.toString('utf8') });
  });

  it('converts between every pair of formats, keeping keys and parts', () => {
    const src = join(dir, 'src.txt');
    expect(runCli('stratus-prepare-context', ['-o', src, ...PAIRS]).status).toBe(0);
    let previous = src;
    for (const to of [...FORMAT_NAMES, 'nocloud', 'opennebula', 'cloud-init'] as const) {
      const out = join(dir, `conv-${to}-${readdirSync(dir).length}.iso`);
      const res = runCli('stratus-context', ['convert', '--to', to, '--iso', out, previous]);
      expect(res.status, res.stderr).toBe(0);
      const r = inspectJson(out);
      expect(r.format).toBe(to);
      expect(r.keys).toEqual([ED]);
      expect(r.userData.parts.map((p: { filename: string; text: string }) => [p.filename, p.text])).toEqual([['run-http.sh', RUN.toString('utf8')]]);
      previous = out;
    }
  });

  it('writes context.sh alone with -o, and reads it back', () => {
    const res = runCli('stratus-context', ['prepare', '--format', 'opennebula', '-o', '-', '--var', 'X=it\'s', ...PAIRS]);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("X='it'\\''s'\n");
    const file = join(dir, 'context.sh');
    writeFileSync(file, res.stdout);
    expect(inspectJson(file)).toMatchObject({ format: 'opennebula', keys: [ED], variables: { X: "it's" } });
  });

  const refusals: [string, string[], RegExp, number][] = [
    ['two outputs', ['prepare', '--iso', 'a.iso', '--dir', 'b', ...PAIRS], /give only one of --iso, --dir and -o/, 1],
    ['-o for a format of several files', ['prepare', '--format', 'nocloud', '-o', 'x', ...PAIRS], /several files: give --iso FILE or --dir DIR/, 1],
    ['an unknown format', ['prepare', '--format', 'vmware', ...PAIRS], /Allowed choices are cloud-init, opennebula/, 2],
    ['a --var without =', ['prepare', '--var', 'NOPE', ...PAIRS], /--var takes KEY=VALUE/, 1],
    ['a --var the format derives', ['prepare', '--format', 'opennebula', '--iso', 'x.iso', '--var', 'SSH_PUBLIC_KEY=x', ...PAIRS], /made from the pairs/, 1],
    ['a missing --file', ['prepare', '--format', 'opennebula', '--iso', 'x.iso', '--file', 'absent.txt', ...PAIRS], /cannot read absent\.txt/, 1],
    ['a missing pair file', ['prepare', '--format', 'nocloud', '--iso', 'x.iso', 'x-shellscript,absent.sh'], /cannot read absent\.sh/, 1],
    ['convert without --to', ['convert', 'x.iso'], /required option '--to <format>'/, 2],
  ];
  for (const [what, args, message, status] of refusals) {
    it(`refuses ${what}, writing nothing`, () => {
      const cwd = join(dir, `refuse-${what.replace(/\W+/g, '-')}`);
      mkdirSync(cwd);
      const res = runCli('stratus-context', args, { cwd });
      expect(res.stderr).toMatch(message);
      expect(res.status).toBe(status);
      expect(readdirSync(cwd)).toEqual([]);
    });
  }

  it('refuses a directory that holds no context, and an existing --dir', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(runCli('stratus-context', ['inspect', empty]).stderr).toMatch(/holds no context/);
    const res = runCli('stratus-context', ['prepare', '--format', 'nocloud', '--dir', empty, ...PAIRS]);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/already exists/);
    expect(existsSync(join(empty, 'meta-data'))).toBe(false);
  });
});
