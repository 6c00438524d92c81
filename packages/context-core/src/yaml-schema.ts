import type { ScalarTag, Tags } from 'yaml';

/**
 * The plain scalars cloud-init reads as something other than a string:
 * PyYAML's SafeLoader (YAML 1.1), whose resolver is copied here regex for
 * regex (yaml/resolver.py, yaml/constructor.py of PyYAML 6.0).
 *
 * Where PyYAML differs from the `yaml` package's own 1.1 schema:
 *  - `y`, `Y`, `n`, `N` stay strings (`yaml` reads them as booleans);
 *  - a float needs a dot: `3.5e2` and `1e3` are strings, `3.5e+2` is 350;
 *    a sign before a bare dot is not a float (`+.5` is a string);
 *  - `08`, `0_` are not decimal ints (`08` is a string, `0_` is 0);
 *  - sexagesimal ints start with 1-9 (`1:30` is 90, `0:30` a string);
 *  - dates stay strings: PyYAML makes datetimes, which no key the project
 *    reads takes, and JSON has none.
 * Quirks kept as they are: `0o17` is a string (YAML 1.2's octal, unknown to
 * 1.1); `0b_`, `0x_`, a plain `=` and a plain `<<` other than a merge key
 * are refused (PyYAML resolves them and then has no value for them).
 */

const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

/** Splits PyYAML's optional sign off a scalar whose underscores are gone. */
function signed(text: string): [sign: number, digits: string] {
  const s = text.replaceAll('_', '');
  if (s.startsWith('-')) return [-1, s.slice(1)];
  if (s.startsWith('+')) return [1, s.slice(1)];
  return [1, s];
}

/** `a:b:c` in base 60, each part read by `part`. */
function sexagesimal(digits: string, part: (p: string) => number): number {
  return digits.split(':').reduce((value, p) => value * 60 + part(p), 0);
}

function checked(value: number, text: string): number {
  if (Number.isNaN(value)) throw new Error(`${text} is not a number`);
  return value;
}

/** PyYAML's construct_yaml_int. */
export function pyyamlInt(text: string): number {
  const [sign, d] = signed(text);
  let value: number;
  if (d === '0') value = 0;
  else if (d.startsWith('0b')) value = parseInt(d.slice(2), 2);
  else if (d.startsWith('0x')) value = parseInt(d.slice(2), 16);
  else if (d.startsWith('0')) value = parseInt(d, 8);
  else if (d.includes(':')) value = sexagesimal(d, (p) => parseInt(p, 10));
  else value = parseInt(d, 10);
  return checked(value, text) === 0 ? 0 : sign * value;
}

/** PyYAML's construct_yaml_float. */
export function pyyamlFloat(text: string): number {
  const [sign, d] = signed(text.toLowerCase());
  if (d === '.inf') return sign * Infinity;
  if (d === '.nan') return NaN;
  if (d.includes(':')) return sign * sexagesimal(d, Number);
  return sign * checked(Number(d), text);
}

function refused(text: string): never {
  throw new Error(`a plain ${text} has no value in YAML 1.1`);
}

const scalarTag = (tag: string, test: RegExp, resolve: (text: string) => unknown): ScalarTag => ({
  tag: `tag:yaml.org,2002:${tag}`,
  default: true,
  test,
  resolve,
});

/** The tags PyYAML adds to the failsafe ones, as `yaml` tags. */
const PYYAML_SCALARS: ScalarTag[] = [
  scalarTag('bool', TRUE, () => true),
  scalarTag('bool', FALSE, () => false),
  scalarTag('int', INT, pyyamlInt),
  scalarTag('float', FLOAT, pyyamlFloat),
  scalarTag('merge', /^<<$/, refused),
  // PyYAML's flatten_mapping makes a `=` key a string.
  { ...scalarTag('str', /^=$/, (text) => text), default: 'key' },
  scalarTag('value', /^=$/, refused),
];

/** Of the `yaml` package's 1.1 tags, the ones PyYAML's SafeLoader reads the same way. */
const KEPT = new Set(['map', 'seq', 'str', 'null', 'binary', 'merge'].map((t) => `tag:yaml.org,2002:${t}`));

/**
 * `customTags` for the `yaml` package's `yaml-1.1` schema: its collections,
 * strings, nulls, `!!binary` and `<<` merge keys, with PyYAML's booleans,
 * ints and floats. `!!timestamp`, `!!set`, `!!omap` and `!!pairs`, which no
 * key the project reads takes, are unknown tags here and refused.
 */
export function pyyamlTags(tags: Tags): Tags {
  return [...tags.filter((t) => typeof t !== 'string' && KEPT.has(t.tag)), ...PYYAML_SCALARS];
}
