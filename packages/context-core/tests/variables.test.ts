/**
 * Variables read from outside: names a process environment can carry,
 * values without NUL, keys that are Object.prototype's names, and messages
 * that never show a value.
 */
import { describe, expect, it } from 'vitest';
import { decodeCloudInitKeyValues } from '../src/cloud-init-kv.js';
import { ContextError } from '../src/errors.js';
import { decodeConfigDrive, META_DATA_JSON } from '../src/formats/config-drive.js';
import { decodeHepix } from '../src/formats/hepix.js';
import { detectFormat, formatByName, formatOfVolumeId } from '../src/formats/index.js';
import { decodeNoCloud } from '../src/formats/nocloud.js';
import { decodeOpenNebula } from '../src/formats/opennebula.js';
import { parseKeyValues } from '../src/key-values.js';
import { emptyContext } from '../src/model.js';
import { expandPath } from '../src/pairs.js';
import { parseShellVariables } from '../src/shell-vars.js';
import { parsePublicKeyFile } from '../src/ssh-keys.js';
import { bytes, expectContextError, fixture } from './helpers.js';

const contextSh = (text: string | Uint8Array) => new Map([['context.sh', typeof text === 'string' ? bytes(text) : text]]);
const metaData = (json: string) => new Map([[META_DATA_JSON, bytes(json)]]);

describe('NUL bytes and bad names are refused by the decoders, naming the key', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['a NUL in a context.sh value', () => decodeOpenNebula(contextSh(fixture('fuzz/context-sh-nul-value.sh'))), 'bad-variable-value', 'PASSWORD'],
    ['a NUL in a cloud-init.txt value', () => decodeCloudInitKeyValues('CONTEXT_METHOD=cloud-init\nTOKEN=se\0cret\n'), 'bad-variable-value', 'TOKEN'],
    ['a NUL in a config-drive meta value', () => decodeConfigDrive(metaData('{"meta": {"ROLE": "se\\u0000cret"}}')), 'bad-variable-value', 'ROLE'],
    ['a NUL in a config-drive meta key', () => decodeConfigDrive(metaData('{"meta": {"RO\\u0000LE": "web"}}')), 'bad-variable-name', 'RO\0LE'],
    ['an = in a config-drive meta key', () => decodeConfigDrive(metaData('{"meta": {"A=B": "web"}}')), 'bad-variable-name', 'A=B'],
    ['an empty config-drive meta key', () => decodeConfigDrive(metaData('{"meta": {"": "web"}}')), 'bad-variable-name', ''],
    ['a NUL in the config-drive uuid', () => decodeConfigDrive(metaData('{"uuid": "i-\\u00001"}')), 'bad-variable-value', 'uuid'],
    ['a NUL in the NoCloud instance-id', () => decodeNoCloud(new Map([['meta-data', bytes('instance-id: "i-\\0"\n')]])), 'bad-variable-value', 'instance-id'],
    ['a variable name of 256 characters', () => parseKeyValues(`${'A'.repeat(256)}=1\n`), 'bad-variable-name', 'A'.repeat(256)],
  ];
  for (const [what, fn, code, key] of cases) {
    it(what, () => {
      const e = expectContextError(fn, code);
      expect(e.kind).toBe('corrupt-data');
      expect(e.input.key).toBe(key);
      expect(e.message).not.toMatch(/se.?cret/);
    });
  }

  it('accepts the metadata keys OpenStack users write', () => {
    const ctx = decodeConfigDrive(metaData('{"meta": {"monitoring-enabled": "yes", "app.version": "2", "_x": "1"}}'));
    expect(ctx.variables).toEqual({ 'monitoring-enabled': 'yes', 'app.version': '2', _x: '1' });
  });
});

describe("Object.prototype's names are variables like any other", () => {
  const NAMES: [string, string][] = [
    ['__proto__', 'p'],
    ['constructor', 'c'],
    ['hasOwnProperty', 'h'],
    ['toString', 't'],
  ];
  const expectNames = (variables: Record<string, string>) => {
    expect(Object.keys(variables).sort()).toEqual(NAMES.map(([k]) => k));
    for (const [k, v] of NAMES) expect(Object.getOwnPropertyDescriptor(variables, k)?.value).toBe(v);
    expect(Object.getPrototypeOf(variables)).toBe(null);
  };
  const NAMES_SH = "__proto__='p'\nconstructor='c'\ntoString='t'\nhasOwnProperty='h'\n";

  it('context.sh (OpenNebula and HEPiX), with VMID=__proto__', () => {
    const text = `${NAMES_SH}VMID='__proto__'\nSET_HOSTNAME='constructor'\n`;
    const ctx = decodeOpenNebula(contextSh(text));
    expectNames(ctx.variables);
    expect(ctx.instanceId).toBe('__proto__');
    expect(ctx.hostname).toBe('constructor');
    expectNames(decodeHepix(contextSh(text)).variables);
  });

  it('cloud-init.txt', () => {
    expectNames(decodeCloudInitKeyValues(`CONTEXT_METHOD=cloud-init\n${NAMES_SH}`).variables);
  });

  it('config-drive meta, and public_keys named __proto__', () => {
    const ctx = decodeConfigDrive(metaData(fixture('fuzz/config-drive-proto-keys.json').toString('utf8')));
    expectNames(ctx.variables);
    expect(ctx.instanceId).toBe('__proto__');
    expect(ctx.keys).toHaveLength(1);
  });

  it('emptyContext() gives variables without a prototype', () => {
    const ctx = emptyContext();
    ctx.variables['__proto__'] = 'x';
    expect(Object.keys(ctx.variables)).toEqual(['__proto__']);
  });

  it('a volume id, a format name or a $VAR in a path does not read Object.prototype', () => {
    expect(formatOfVolumeId('constructor')).toBeUndefined();
    expect(detectFormat(contextSh(''), 'toString')).toBe('opennebula');
    expectContextError(() => formatByName('toString'), 'unknown-format');
    expectContextError(() => expandPath('/x/$constructor', { env: {} }), 'unset-variable');
    expectContextError(() => expandPath('/x/${toString}', { env: {} }), 'unset-variable');
  });
});

describe('messages do not show the text of a bad line', () => {
  const SECRET = 'hunter2';
  const cases: [string, () => unknown, string][] = [
    ['cloud-init.txt: a line that is not KEY=VALUE', () => parseKeyValues(`A=1\npassword ${SECRET}\n`, 'ctx.txt'), 'bad-line'],
    ['context.sh: a word after an empty value', () => parseShellVariables(`PASSWORD= ${SECRET}\n`), 'bad-shell'],
    ['context.sh: a stray word', () => parseShellVariables(`${SECRET}\n`), 'bad-shell'],
    ['context.sh: export of a word', () => parseShellVariables(`export ${SECRET}-x\n`), 'bad-shell'],
    ['context.sh: a line starting with a symbol', () => parseShellVariables(`-${SECRET}\n`), 'bad-shell'],
    ['a key file holding a password', () => parsePublicKeyFile(`aws_secret ${SECRET}\n`), 'bad-public-key'],
    ['a key file holding a word', () => parsePublicKeyFile(`${SECRET}\n`), 'bad-public-key'],
  ];
  for (const [what, fn, code] of cases) {
    it(what, () => {
      const e = expectContextError(fn, code);
      expect(e.message).not.toContain(SECRET);
      expect(e.input.line).toBeDefined();
    });
  }

  it('every ContextError of a mutated context.sh leaves its values out', () => {
    const value = 'Sup3r-s3cret-value';
    const base = `A='${value}'\nB="${value}"\nC=${value}\n`;
    for (let i = 0; i < base.length; i++) {
      for (const c of ['"', "'", ' ', '\n', '$', '\\', '(', '\0']) {
        try {
          decodeOpenNebula(contextSh(base.slice(0, i) + c + base.slice(i + 1)));
        } catch (e) {
          if (!(e instanceof ContextError)) throw e;
          expect(e.message).not.toMatch(/s3cret/);
        }
      }
    }
  });
});
