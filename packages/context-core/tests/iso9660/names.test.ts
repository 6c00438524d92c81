import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Escaped } from '../../src/iso9660/bytes.js';
import { assignIsoIdentifiers, assignJolietNames, compareIsoIdentifiers, linuxIsoName, plainIsoName } from '../../src/iso9660/names.js';

const file = (name: string) => ({ name, directory: false });
const dir = (name: string) => ({ name, directory: true });

describe('ISO 9660 identifiers (ECMA-119 §7.5, §7.6)', () => {
  it('maps names to level-1 d-characters as genisoimage and xorriso do', () => {
    const names = ['user-data', 'context.sh', 'a very long lower-case file name with spaces.txt', '.hidden', 'a;b', 'noext', 'Mixed Case.tar.gz'];
    expect(assignIsoIdentifiers(names.map(file), 1)).toEqual([
      'USER_DAT.;1',
      'CONTEXT.SH;1',
      'A_VERY_L.TXT;1',
      '_HIDDEN.;1',
      'A_B.;1',
      'NOEXT.;1',
      'MIXED_CA.GZ;1',
    ]);
    expect(assignIsoIdentifiers([dir('dir.with.dots'), dir('openstack')], 1)).toEqual(['DIR_WITH', 'OPENSTAC']);
  });

  it('keeps up to 30 characters at level 2', () => {
    expect(assignIsoIdentifiers(['user-data1', 'Mixed Case.tar.gz', 'x'.repeat(40) + '.json'].map(file), 2)).toEqual([
      'USER_DATA1.;1',
      'MIXED_CASE_TAR.GZ;1',
      'X'.repeat(26) + '.JSON;1',
    ]);
    expect(assignIsoIdentifiers([dir('d'.repeat(40))], 2)).toEqual(['D'.repeat(31)]);
  });

  it('resolves collisions deterministically, whatever the input order', () => {
    const names = ['user-data3', 'user-data1', 'user-data2', 'USER_DA1'];
    const ids = assignIsoIdentifiers(names.map(file), 1);
    expect(new Set(ids.map(plainIsoName)).size).toBe(4);
    expect(ids).toEqual(['USER_DA3.;1', 'USER_DAT.;1', 'USER_DA2.;1', 'USER_DA1.;1']);
    const reversed = assignIsoIdentifiers([...names].reverse().map(file), 1);
    expect(reversed).toEqual([...ids].reverse());
  });

  it('never lets file A.;1 and directory A coexist', () => {
    const ids = assignIsoIdentifiers([file('a'), dir('A')], 1);
    expect(new Set(ids.map(plainIsoName)).size).toBe(2);
  });

  it('always gives unique, valid identifiers (property)', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'A', 'b', '.', '-', ' ', 'é', '1', '_', ';'), minLength: 1, maxLength: 14 }).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ name, directory: fc.boolean() }), { selector: (c) => c.name, maxLength: 40 }), fc.constantFrom(1 as const, 2 as const), (children, level) => {
        const ids = assignIsoIdentifiers(children, level);
        expect(new Set(ids.map(plainIsoName)).size).toBe(children.length);
        ids.forEach((id, i) => {
          if (children[i]!.directory) expect(id).toMatch(level === 1 ? /^[A-Z0-9_]{1,8}$/u : /^[A-Z0-9_]{1,31}$/u);
          else expect(id).toMatch(level === 1 ? /^[A-Z0-9_]{0,8}\.[A-Z0-9_]{0,3};1$/u : /^[A-Z0-9_.]{1,32};1$/u);
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('plain ISO names as Linux shows them (map=normal)', () => {
  it('lower-cases, drops ;1 and .;1, turns other ; into .', () => {
    const ids = ['CONTEXT.SH;1', 'META_DAT.;1', 'OPENSTAC', 'A.B;2', 'README.TXT', 'X\u0000Y', 'Q.;1;1'];
    expect(ids.map(linuxIsoName)).toEqual(['context.sh', 'meta_dat', 'openstac', 'a.b.2', 'readme.txt', 'x', 'q..1']);
  });
});

describe('Rock Ridge names that are not UTF-8 (utf8Escaped)', () => {
  const esc = (...b: number[]) => utf8Escaped(Uint8Array.from(b));
  it('decodes UTF-8 as it is and says so', () => {
    expect(esc(0x63, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80)).toEqual({ text: 'cé😀', valid: true });
    expect(esc(0xef, 0xbb, 0xbf, 0x61).text).toBe('\ufeffa'); // a BOM is part of the name
    expect(esc(0xef, 0xbb, 0xbf, 0xff).text).toBe('\ufeff\udcff');
  });

  it('escapes each stray byte as U+DC80-U+DCFF, keeping the well-formed sequences around it', () => {
    expect(esc(0x61, 0xff, 0xc3, 0xa9)).toEqual({ text: 'a\udcffé', valid: false });
    expect(esc(0xc0, 0xaf).text).toBe('\udcc0\udcaf'); // overlong
    expect(esc(0xed, 0xa0, 0x80).text).toBe('\udced\udca0\udc80'); // a surrogate
    expect(esc(0xe2, 0x82).text).toBe('\udce2\udc82'); // cut short
    expect(esc(0xf4, 0x90, 0x80, 0x80).text).toBe('\udcf4\udc90\udc80\udc80'); // past U+10FFFF
  });

  it('gives distinct bytes distinct names', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), fc.constantFrom([], [0xef, 0xbb, 0xbf]), (a, b, bom) => {
        a = Uint8Array.from([...bom, ...a]);
        if (Buffer.from(a).equals(Buffer.from(b))) return;
        expect(utf8Escaped(a).text).not.toBe(utf8Escaped(b).text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ECMA-119 §9.3 record order', () => {
  it('orders padded name parts, then extensions, as both tools do (not strcmp)', () => {
    const ids = ['A_B.;1', 'A.B1;1', 'AB.;1', 'A.;1', 'ABS_LINK.;1', 'A.B;1'];
    expect([...ids].sort(compareIsoIdentifiers)).toEqual(['A.;1', 'A.B;1', 'A.B1;1', 'AB.;1', 'ABS_LINK.;1', 'A_B.;1']);
  });

  it('orders higher versions first', () => {
    expect(['A.;1', 'A.;2'].sort(compareIsoIdentifiers)).toEqual(['A.;2', 'A.;1']);
  });
});

describe('Joliet names', () => {
  it('keeps names up to 64 characters and replaces forbidden characters', () => {
    expect(assignJolietNames([file('meta-data'), file('a:b*c?.txt'), file('Ünïcödé.txt')])).toEqual(['meta-data', 'a_b_c_.txt', 'Ünïcödé.txt']);
  });

  it('shortens long names to 64 units keeping the extension, and de-duplicates', () => {
    const long = 'y'.repeat(200);
    const out = assignJolietNames([file(long + '.dat'), file(long + 'z.dat'), file(long)]);
    expect(out[0]).toBe('y'.repeat(60) + '.dat');
    expect(out[1]).toMatch(/^y+~1\.dat$/u);
    expect(out[2]).toBe('y'.repeat(64));
    for (const n of out) expect(n.length).toBeLessThanOrEqual(64);
  });

  it('never gives a child the name of the directory records . and .. (regression: a file named ...)', () => {
    const out = assignJolietNames([file('...'), file('....'), file('.')]);
    for (const n of out) expect(['.', '..']).not.toContain(n);
    expect(new Set(out).size).toBe(out.length);
  });

  it('writes a character outside the BMP as one _ (UCS-2 has no surrogate pairs), as xorriso does', () => {
    expect(assignJolietNames([file('a😀b.txt'), file('😀'), file('x'.repeat(63) + '😀😀')])).toEqual(['a_b.txt', '_', 'x'.repeat(63) + '_']);
    expect(assignJolietNames([file('a😀b'), file('a😁b')])).toEqual(['a_b', 'a_b~1']);
  });

  it('keeps trailing dots as genisoimage does (regression: .... became ... and ... became ..~1)', () => {
    const names = ['a.', 'a..', 'a...', '...', '....', '.....', 'b.c.', 'c..d'];
    expect(assignJolietNames(names.map(file))).toEqual(names);
  });
});
