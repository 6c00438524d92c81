/**
 * Names in the three namespaces, and their order.
 *
 *  - ECMA-119 §7.5/§7.6 identifiers: d-characters, interchange level 1
 *    (8.3 files, 8-character directories) or 2 (30 characters name plus
 *    extension, 31 for directories). Files end in `;1` and always have a `.`.
 *    Collisions after mapping are resolved deterministically (below).
 *  - ECMA-119 §9.3 record order: name part, then extension, each compared as
 *    if padded with 0x20, then version descending. Not a plain byte compare
 *    (shared/docs/iso9660.md §3).
 *  - Joliet (spec pp. 4-5): UCS-2BE, at most 64 characters, without
 *    `* / : ; ? \` and control characters. UCS-2 has no surrogate pairs: a
 *    character outside the BMP becomes one `_`, as xorriso writes it
 *    (genisoimage refuses the name), since libcdio's iso-info stops listing
 *    a directory at a pair. Trailing dots are kept (`...`, `a.`), as both
 *    tools keep them.
 */
import { WRITE_LIMITS } from './format.js';

export type IsoLevel = 1 | 2;

export interface NamedChild {
  name: string;
  directory: boolean;
}

/** Everything but d-characters and lower-case ASCII letters (which are upper-cased), one match per code point. */
const NOT_D_CHAR = /[^A-Za-z0-9_]/gu;

/** Upper-cases ASCII letters and maps every other non-d-character, one per code point, to `_`. */
function dChars(s: string): string {
  // Only ASCII is left after the replace, so toUpperCase cannot change the length.
  return s.replace(NOT_D_CHAR, '_').toUpperCase();
}

interface IsoCandidate {
  base: string;
  ext: string;
  directory: boolean;
  maxBase: number;
}

function candidate(c: NamedChild, level: IsoLevel): IsoCandidate {
  if (c.directory) {
    const max = level === 1 ? 8 : 31;
    return { base: dChars(c.name).slice(0, max), ext: '', directory: true, maxBase: max };
  }
  const dot = c.name.lastIndexOf('.');
  let base = dChars(dot > 0 ? c.name.slice(0, dot) : c.name);
  let ext = dot > 0 ? dChars(c.name.slice(dot + 1)) : '';
  if (level === 1) {
    base = base.slice(0, 8);
    ext = ext.slice(0, 3);
    return { base, ext, directory: false, maxBase: 8 };
  }
  if (base.length + ext.length > 30) {
    // Keep a short extension whole (genisoimage: X…X.JSON, where xorriso cuts to .JSO).
    ext = ext.slice(0, Math.min(29, Math.max(8, 30 - base.length)));
    base = base.slice(0, 30 - ext.length);
  }
  return { base, ext, directory: false, maxBase: 30 - ext.length };
}

function identifierOf(c: IsoCandidate): string {
  return c.directory ? c.base : `${c.base}.${c.ext};1`;
}

/**
 * The name Linux shows for a plain ISO identifier with its default
 * `map=normal` (fs/isofs/dir.c isofs_name_translate): stop at NUL, lower-case
 * A-Z, drop a trailing `;1` or `.;1`, turn any other `;` (and `/`) into `.`.
 * So `CONTEXT.SH;1` is `context.sh` and `META_DAT.;1` is `meta_dat`.
 */
export function linuxIsoName(identifier: string): string {
  const nul = identifier.indexOf('\u0000');
  const id = nul >= 0 ? identifier.slice(0, nul) : identifier;
  const body = id.endsWith('.;1') ? id.slice(0, -3) : id.endsWith(';1') ? id.slice(0, -2) : id;
  return body.replace(/[A-Z]/gu, (c) => c.toLowerCase()).replace(/[;/]/gu, '.');
}

/** The key of the writer's collision check: an identifier without `;n` and a trailing dot. */
export function plainIsoName(identifier: string): string {
  return identifier.replace(/;[0-9]*$/u, '').replace(/\.$/u, '');
}

/**
 * Assigns unique ISO identifiers to one directory's children (parallel to
 * `children`). Names are considered in code-unit order of their POSIX names;
 * the first to claim a mapped name keeps it, later ones replace the end of
 * the name part with the lowest free number (`USER_DAT`, `USER_DA1`, ...).
 * Uniqueness is checked on the name as readers show it (`;1` and a trailing
 * dot removed), so file `A.;1` and directory `A` never coexist.
 */
export function assignIsoIdentifiers(children: readonly NamedChild[], level: IsoLevel): string[] {
  const cands = children.map((c) => candidate(c, level));
  const order = children.map((_, i) => i).sort((a, b) => compareCodeUnits(children[a]!.name, children[b]!.name));
  const keys = cands.map((c) => plainIsoName(identifierOf(c)));
  const taken = new Set(keys);
  const claimed = new Set<string>();
  const out: string[] = new Array<string>(children.length);
  for (const i of order) {
    const c = cands[i]!;
    let key = keys[i]!;
    if (claimed.has(key)) {
      for (let n = 1; ; n++) {
        const suffix = String(n);
        const base = c.base.slice(0, Math.max(0, c.maxBase - suffix.length)) + suffix;
        const next = { ...c, base };
        key = plainIsoName(identifierOf(next));
        if (!taken.has(key)) {
          cands[i] = next;
          break;
        }
      }
      taken.add(key);
    }
    claimed.add(key);
    out[i] = identifierOf(cands[i]!);
  }
  return out;
}

/** An identifier split for §9.3 ordering; sorting many identifiers splits each once. */
export interface IsoOrderKey {
  name: string;
  ext: string;
  version: number;
}

export function isoOrderKey(id: string): IsoOrderKey {
  const semi = id.lastIndexOf(';');
  const body = semi >= 0 ? id.slice(0, semi) : id;
  const version = semi >= 0 ? Number(id.slice(semi + 1)) || 0 : 0;
  const dot = body.indexOf('.');
  return dot >= 0 ? { name: body.slice(0, dot), ext: body.slice(dot + 1), version } : { name: body, ext: '', version };
}

function comparePadded(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = i < a.length ? a.charCodeAt(i) : 0x20;
    const y = i < b.length ? b.charCodeAt(i) : 0x20;
    if (x !== y) return x - y;
  }
  return 0;
}

export function compareIsoOrderKeys(x: IsoOrderKey, y: IsoOrderKey): number {
  return comparePadded(x.name, y.name) || comparePadded(x.ext, y.ext) || y.version - x.version;
}

/** ECMA-119 §9.3 order of two identifiers (the `.` and `..` records are placed first by the caller). */
export function compareIsoIdentifiers(a: string, b: string): number {
  return compareIsoOrderKeys(isoOrderKey(a), isoOrderKey(b));
}

export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What Joliet forbids in a name, each replaced by `_`: control characters, `*`, `/`, `:`,
 * `;`, `?`, backslash, and (UCS-2 being 16-bit) every character outside the BMP.
 */
const JOLIET_FORBIDDEN = /[\u0000-\u001f*/:;?\\\u{10000}-\u{10ffff}\ud800-\udfff]/gu;

/** Cuts `s` to at most `units` code units (mapped names hold no surrogates). */
function cutUnits(s: string, units: number): string {
  return s.length <= units ? s : s.slice(0, units);
}

/** Fits a name into `max` units, keeping its extension (at most 16 units), as xorriso does. */
function fitJoliet(base: string, ext: string, max: number): string {
  return ext === '' ? cutUnits(base, max) : `${cutUnits(base, max - ext.length - 1)}.${ext}`;
}

function jolietCandidate(name: string): { base: string; ext: string } {
  const mapped = name.replace(JOLIET_FORBIDDEN, '_');
  const dot = mapped.lastIndexOf('.');
  // An "extension" longer than 16 units is part of the name, so shortening keeps its start;
  // a trailing dot is part of the name too (`a.` and `...` stay as they are).
  if (dot <= 0 || dot === mapped.length - 1 || mapped.length - dot - 1 > 16) return { base: mapped, ext: '' };
  return { base: mapped.slice(0, dot), ext: mapped.slice(dot + 1) };
}

/**
 * Assigns unique Joliet names to one directory's children. Names longer than
 * 64 units are shortened keeping their extension; collisions (after mapping or
 * shortening) get `~1`, `~2`, ... before the extension, in the same
 * first-claims-it order as the ISO names.
 */
export function assignJolietNames(children: readonly NamedChild[]): string[] {
  const max = WRITE_LIMITS.JOLIET_NAME_UNITS;
  const cands = children.map((c) => jolietCandidate(c.name));
  const first = cands.map((c) => fitJoliet(c.base, c.ext, max));
  const order = children.map((_, i) => i).sort((a, b) => compareCodeUnits(children[a]!.name, children[b]!.name));
  const taken = new Set(first);
  // `.` and `..` are the directory's own records: a name that maps to one must take
  // another, or readers see a second parent.
  const claimed = new Set<string>(['.', '..']);
  const out: string[] = new Array<string>(children.length);
  for (const i of order) {
    let name = first[i]!;
    if (claimed.has(name)) {
      const c = cands[i]!;
      for (let n = 1; ; n++) {
        const base = `${cutUnits(c.base, max - 12 - (c.ext ? c.ext.length + 1 : 0))}~${n}`;
        name = fitJoliet(base, c.ext, max);
        if (!taken.has(name)) break;
      }
      taken.add(name);
    }
    claimed.add(name);
    out[i] = name;
  }
  return out;
}
