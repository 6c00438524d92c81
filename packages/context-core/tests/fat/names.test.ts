/** 8.3 names and the long-name decision, as Linux vfat (shortname=mixed) makes them. */
import { describe, expect, it } from 'vitest';
import { assignShortNames, decodeShortName } from '../../src/fat/short-name.js';

const one = (name: string) => assignShortNames([name])[0]!;

describe('short names', () => {
  it.each([
    ['README.TXT', 'README  TXT', false],
    ['readme.txt', 'README  TXT', true],
    ['MAKEFILE', 'MAKEFILE   ', false],
    ['Makefile', 'MAKEFILE   ', true],
    ['abcdefgh.ijk', 'ABCDEFGHIJK', true],
    ['a.b.c', 'AB~1    C  ', true],
    ['.bashrc', 'BASHRC~1   ', true],
    ['.ssh', 'SSH~1      ', true],
    ['longfilename.txt', 'LONGFI~1TXT', true],
    ['x.html', 'X~1     HTM', true],
    ['file name', 'FILENA~1   ', true],
    ['a+b', 'A_B~1      ', true],
    ['é', '_~1        ', true],
    ['$DATA{1}!', '$DATA{~1   ', true],
    ['A~1', 'A~1        ', false],
  ])('%s -> %s (long name: %s)', (name, raw, lfn) => {
    expect(one(name)).toEqual({ raw, lfn });
  });

  it('gives ~1..~9 after 6 characters, then ~10.. with the base cut to fit', () => {
    const names = Array.from({ length: 12 }, (_, k) => `longname${k + 1}.txt`);
    expect(assignShortNames(names).map((s) => s.raw)).toEqual([
      ...Array.from({ length: 9 }, (_, k) => `LONGNA~${k + 1}TXT`),
      'LONGN~10TXT',
      'LONGN~11TXT',
      'LONGN~12TXT',
    ]);
  });

  it('lets an 8.3 name keep its form before any tail is given', () => {
    expect(assignShortNames(['fo o', 'FOO~1', 'foo~2.txt']).map((s) => s.raw)).toEqual(['FOO~2      ', 'FOO~1      ', 'FOO~2   TXT']);
  });

  it('decodes padding, NT case bits and 0x05', () => {
    const raw = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    expect(decodeShortName(raw('README  TXT'), 0)).toBe('README.TXT');
    expect(decodeShortName(raw('META    JS '), 0x18)).toBe('meta.js');
    expect(decodeShortName(raw('ETC        '), 0x08)).toBe('etc');
    expect(decodeShortName(raw('\u0005BC     X  '), 0)).toBe('σBC.X');
  });
});
