/**
 * 8.3 short names (fatgen103 §7, "the basis-name generation algorithm"),
 * made as Linux's vfat makes them (fs/fat/namei_vfat.c,
 * vfat_create_shortname, with the default shortname=mixed, whose creation
 * rule shortname=lower shares): `.` and spaces dropped, `[];,+=` and
 * characters outside ASCII made `_`, letters upper-cased, the base cut to
 * 8 and the extension (after the last dot) to 3.
 *
 * A long name (LFN entries) is written unless the name already is its own
 * short name: an 8.3 name of nothing dropped or replaced and no lower-case
 * letter. `readme.txt` gets the short name `README.TXT` and an LFN (Linux
 * writes no NT case bits; mtools does, and the reader honours them).
 *
 * Numeric tails: a name that is not a valid 8.3 name (too long, a character
 * dropped or replaced) gets `~1` .. `~9` after the first 6 characters of
 * its base, as Linux; then `~10`, `~11` .. with the base cut to fit, as
 * mtools goes on (Linux switches to a tail hashed from the clock, which
 * would make the bytes differ from run to run).
 */
import { NT_LOWER_BASE, NT_LOWER_EXT, ENTRY_KANJI_E5, ENTRY_DELETED } from './format.js';

/** Code page 437, 0x80..0xFF: the OEM code page Linux (codepage=437) and mtools read short names in. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** OEM bytes (short names, labels) as text. */
export function decodeOem(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
  return s;
}

/** Linux vfat_skip_char and vfat_replace_char. */
const SKIP = new Set(['.', ' ']);
const REPLACE = new Set(['[', ']', ';', ',', '+', '=']);

interface Part {
  text: string;
  /** Nothing dropped or replaced. */
  valid: boolean;
  /** No lower-case letter (Linux shortname_info.upper). */
  upper: boolean;
}

function convert(units: string, max: number): Part & { truncated: boolean } {
  let text = '';
  let valid = true;
  let upper = true;
  let truncated = false;
  for (let i = 0; i < units.length; i++) {
    const c = units[i]!;
    if (SKIP.has(c)) {
      valid = false;
      continue;
    }
    if (text.length >= max) {
      truncated = true;
      break;
    }
    const code = c.charCodeAt(0);
    if (REPLACE.has(c) || code >= 0x7f) {
      valid = false;
      text += '_';
      continue;
    }
    const up = c.toUpperCase();
    if (up !== c) upper = false;
    text += up;
  }
  return { text, valid, upper, truncated };
}

export interface Basis {
  base: string;
  ext: string;
  /** The name is an 8.3 name as it stands (upper-cased): no tail needed. */
  exact: boolean;
  /** ...and has no lower-case letter: no LFN needed either. */
  plain: boolean;
}

/** The basis name of a long name, and whether it is a short name as it stands. */
export function basisName(name: string): Basis {
  let dot = name.lastIndexOf('.');
  // A last dot at the end, or with only dots and spaces before it (".profile"), starts no extension.
  if (dot === name.length - 1 || [...name.slice(0, Math.max(dot, 0))].every((c) => SKIP.has(c))) dot = -1;
  const b = convert(dot < 0 ? name : name.slice(0, dot), 8);
  const e = dot < 0 ? { text: '', valid: true, upper: true, truncated: false } : convert(name.slice(dot + 1), 3);
  const exact = b.text !== '' && b.valid && e.valid && !b.truncated && !e.truncated;
  let base = b.text === '' ? '_' : b.text;
  if (base.charCodeAt(0) === ENTRY_DELETED) base = String.fromCharCode(ENTRY_KANJI_E5) + base.slice(1);
  return { base, ext: e.text, exact, plain: exact && b.upper && e.upper };
}

/** The 11 bytes of DIR_Name for a base and an extension (both ASCII, padded with spaces). */
export function rawShortName(base: string, ext: string): string {
  return base.padEnd(8, ' ') + ext.padEnd(3, ' ');
}

/** The `~N` form of a basis name: `~1`..`~9` after 6 characters, then the base cut to fit. */
export function withTail(basis: Basis, n: number): string {
  const tail = `~${n}`;
  const keep = Math.min(basis.base.length, n < 10 ? 6 : 8 - tail.length);
  return rawShortName(basis.base.slice(0, keep) + tail, basis.ext);
}

export interface ShortName {
  /** DIR_Name as 11 ASCII characters. */
  raw: string;
  /** Whether LFN entries must carry the name. */
  lfn: boolean;
}

/**
 * Short names for the entries of one directory, in their order. Names that
 * are 8.3 as they stand claim their form first (Linux would refuse to make
 * `FOO~1` once `foo bar` had taken it); the rest take the lowest free tail
 * in order. The caller has refused names equal but for case.
 */
export function assignShortNames(names: readonly string[]): ShortName[] {
  const used = new Set<string>();
  const bases = names.map(basisName);
  for (const b of bases) if (b.exact) used.add(rawShortName(b.base, b.ext));
  // The next tail to try for each basis: many names of one basis stay linear.
  const nextTail = new Map<string, number>();
  return bases.map((b) => {
    if (b.exact) return { raw: rawShortName(b.base, b.ext), lfn: !b.plain };
    const key = rawShortName(b.base, b.ext);
    for (let n = nextTail.get(key) ?? 1; ; n++) {
      const raw = withTail(b, n);
      if (!used.has(raw)) {
        used.add(raw);
        nextTail.set(key, n + 1);
        return { raw, lfn: true };
      }
    }
  });
}

/** A short entry's name as Linux shows it: padding dropped, NT case bits applied, 0x05 as 0xE5. */
export function decodeShortName(raw: Uint8Array, ntCase: number): string {
  const bytes = raw.slice(0, 11);
  if (bytes[0] === ENTRY_KANJI_E5) bytes[0] = ENTRY_DELETED;
  const lower = (s: string, on: boolean) => (on ? s.replace(/[A-Z]+/gu, (m) => m.toLowerCase()) : s);
  const base = lower(decodeOem(bytes.subarray(0, 8)).replace(/ +$/u, ''), (ntCase & NT_LOWER_BASE) !== 0);
  const ext = lower(decodeOem(bytes.subarray(8, 11)).replace(/ +$/u, ''), (ntCase & NT_LOWER_EXT) !== 0);
  return ext === '' ? base : `${base}.${ext}`;
}
