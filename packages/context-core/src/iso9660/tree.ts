/**
 * The caller's tree: what goes on the disk, as POSIX names and contents.
 * Validation here is the one place that blames the caller (`invalid-input`
 * or `limit`); the layout after it trusts the normalised tree.
 */
import { invalidInput, overLimit } from '../errors.js';
import { utf8Bytes } from './bytes.js';
import { DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, WRITE_LIMITS } from './format.js';

/** File contents read in chunks, so large files never sit in memory whole. */
export interface IsoContentSource {
  /** Exact byte length; writing fails if the stream yields more or fewer bytes. */
  readonly size: number;
  /** A fresh stream of the whole content, each time it is called. */
  open(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export type IsoContent = Uint8Array | IsoContentSource;

export interface IsoFileInput {
  kind: 'file';
  /** The POSIX name (Rock Ridge); the ISO and Joliet names derive from it. */
  name: string;
  content: IsoContent;
  /** Permission bits (0o7777 mask); default 0o644. */
  mode?: number;
}

export interface IsoDirectoryInput {
  kind: 'directory';
  name: string;
  children: readonly IsoEntryInput[];
  /** Permission bits (0o7777 mask); default 0o755. */
  mode?: number;
}

export type IsoEntryInput = IsoFileInput | IsoDirectoryInput;

export function isoFile(name: string, content: IsoContent | string, mode?: number): IsoFileInput {
  const bytes = typeof content === 'string' ? utf8Bytes(content) : content;
  return mode === undefined ? { kind: 'file', name, content: bytes } : { kind: 'file', name, content: bytes, mode };
}

export function isoDirectory(name: string, children: readonly IsoEntryInput[], mode?: number): IsoDirectoryInput {
  return mode === undefined ? { kind: 'directory', name, children } : { kind: 'directory', name, children, mode };
}

/**
 * Builds a tree from slash-separated paths (`openstack/latest/meta_data.json`),
 * creating the directories between. A path given twice, or given both as a
 * file and as a directory, is refused.
 */
export function isoTreeFromPaths(
  files: Iterable<{ path: string; content: IsoContent | string; mode?: number }>,
): IsoEntryInput[] {
  interface Dir {
    children: Map<string, Dir | IsoFileInput>;
  }
  const root: Dir = { children: new Map() };
  for (const f of files) {
    const parts = f.path.split('/').filter((p) => p !== '');
    const leaf = parts.pop();
    if (leaf === undefined) throw invalidInput('iso-bad-path', `empty path ${JSON.stringify(f.path)}`, { file: f.path });
    let dir = root;
    for (const p of parts) {
      const next = dir.children.get(p);
      if (next === undefined) {
        const made: Dir = { children: new Map() };
        dir.children.set(p, made);
        dir = made;
      } else if ('children' in next) {
        dir = next;
      } else {
        throw invalidInput('iso-duplicate-name', `${f.path}: ${p} is a file`, { file: f.path });
      }
    }
    if (dir.children.has(leaf)) throw invalidInput('iso-duplicate-name', `${f.path} given twice`, { file: f.path });
    dir.children.set(leaf, isoFile(leaf, f.content, f.mode));
  }
  const build = (d: Dir): IsoEntryInput[] =>
    [...d.children].map(([name, e]) => ('children' in e ? isoDirectory(name, build(e)) : e));
  return build(root);
}

export interface FileNode {
  kind: 'file';
  name: string;
  nameBytes: Uint8Array;
  path: string;
  mode: number;
  size: number;
  content: IsoContent;
}

export interface DirNode {
  kind: 'directory';
  name: string;
  nameBytes: Uint8Array;
  path: string;
  mode: number;
  /** The root is depth 1 (ECMA-119 §6.8.2.1 levels). */
  depth: number;
  parent: DirNode | undefined;
  children: (FileNode | DirNode)[];
}

function checkName(name: unknown, at: string): Uint8Array {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\u0000]/u.test(name)) {
    throw invalidInput('iso-bad-name', `${JSON.stringify(name)} is not a file name`, { file: at });
  }
  if (/\p{Cs}/u.test(name)) throw invalidInput('iso-bad-name', `${at}: name has a lone UTF-16 surrogate`, { file: at });
  const bytes = utf8Bytes(name);
  if (bytes.length > WRITE_LIMITS.MAX_NAME_BYTES) {
    throw overLimit('iso-name-too-long', `${at}: name is ${bytes.length} bytes, over ${WRITE_LIMITS.MAX_NAME_BYTES}`, { file: at });
  }
  return bytes;
}

function checkMode(mode: unknown, fallback: number, at: string): number {
  if (mode === undefined) return fallback;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw invalidInput('iso-bad-mode', `${at}: mode must be permission bits 0..0o7777`, { file: at });
  }
  return mode;
}

function checkContent(content: unknown, at: string): number {
  if (content instanceof Uint8Array) return content.length;
  const src = content as Partial<IsoContentSource> | null;
  if (src === null || typeof src !== 'object' || typeof src.open !== 'function' || typeof src.size !== 'number') {
    throw invalidInput('iso-bad-content', `${at}: content must be a Uint8Array or a { size, open } source`, { file: at });
  }
  if (!Number.isInteger(src.size) || src.size < 0) {
    throw invalidInput('iso-bad-content', `${at}: size ${src.size} is not a byte count`, { file: at });
  }
  if (src.size > WRITE_LIMITS.MAX_FILE_BYTES) {
    throw overLimit('iso-file-too-large', `${at}: ${src.size} bytes exceed the single-extent limit of 4 GiB - 1`, { file: at });
  }
  return src.size;
}

/** Validates the caller's tree and returns the normalised root. */
export function normaliseTree(entries: readonly IsoEntryInput[], rootMode = DEFAULT_DIR_MODE): { root: DirNode; directories: number } {
  const root: DirNode = {
    kind: 'directory',
    name: '',
    nameBytes: new Uint8Array(0),
    path: '',
    mode: checkMode(rootMode, DEFAULT_DIR_MODE, '/'),
    depth: 1,
    parent: undefined,
    children: [],
  };
  let directories = 1;
  const fill = (dir: DirNode, inputs: readonly IsoEntryInput[]) => {
    if (!Array.isArray(inputs)) throw invalidInput('iso-bad-tree', `${dir.path || '/'}: children must be an array`, { file: dir.path });
    const seen = new Set<string>();
    for (const input of inputs) {
      const e = input as Partial<IsoEntryInput> | null;
      const at = `${dir.path}/${String(e?.name)}`;
      const nameBytes = checkName(e?.name, at);
      const name = e!.name!;
      if (seen.has(name)) throw invalidInput('iso-duplicate-name', `${at} given twice`, { file: at });
      seen.add(name);
      if (e!.kind === 'file') {
        const f = e as IsoFileInput;
        const size = checkContent(f.content, at);
        dir.children.push({ kind: 'file', name, nameBytes, path: at, mode: checkMode(f.mode, DEFAULT_FILE_MODE, at), size, content: f.content });
      } else if (e!.kind === 'directory') {
        const d = e as IsoDirectoryInput;
        if (dir.depth + 1 > WRITE_LIMITS.MAX_DEPTH) {
          throw overLimit('iso-too-deep', `${at}: deeper than ${WRITE_LIMITS.MAX_DEPTH} levels`, { file: at });
        }
        if (++directories > WRITE_LIMITS.MAX_DIRECTORIES) {
          throw overLimit('iso-too-many-directories', `more than ${WRITE_LIMITS.MAX_DIRECTORIES} directories`, { file: at });
        }
        const node: DirNode = {
          kind: 'directory',
          name,
          nameBytes,
          path: at,
          mode: checkMode(d.mode, DEFAULT_DIR_MODE, at),
          depth: dir.depth + 1,
          parent: dir,
          children: [],
        };
        dir.children.push(node);
        fill(node, d.children);
      } else {
        throw invalidInput('iso-bad-tree', `${at}: kind must be 'file' or 'directory'`, { file: at });
      }
    }
  };
  fill(root, entries);
  return { root, directories };
}
