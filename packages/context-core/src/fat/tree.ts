/**
 * The caller's tree: what goes on the volume, as long names and contents.
 * Validation here is the one place that blames the caller (`invalid-input`
 * or `limit`); the layout after it trusts the normalised tree.
 */
import { invalidInput, overLimit } from '../errors.js';
import { FAT_WRITE_LIMITS, LFN } from './format.js';

export interface FatFileInput {
  kind: 'file';
  /** The long name; the 8.3 name derives from it. */
  name: string;
  content: Uint8Array;
}

export interface FatDirectoryInput {
  kind: 'directory';
  name: string;
  children: readonly FatEntryInput[];
}

export type FatEntryInput = FatFileInput | FatDirectoryInput;

const utf8Encoder = new TextEncoder();

export function fatFile(name: string, content: Uint8Array | string): FatFileInput {
  return { kind: 'file', name, content: typeof content === 'string' ? utf8Encoder.encode(content) : content };
}

export function fatDirectory(name: string, children: readonly FatEntryInput[]): FatDirectoryInput {
  return { kind: 'directory', name, children };
}

export interface FatFileNode {
  kind: 'file';
  name: string;
  path: string;
  content: Uint8Array;
}

export interface FatDirNode {
  kind: 'directory';
  name: string;
  path: string;
  /** The root is depth 1. */
  depth: number;
  children: (FatFileNode | FatDirNode)[];
}

/**
 * Long names as Linux vfat accepts them (vfat_bad_char): no control
 * characters and none of `"*\/:<>?|`. A name may not end in a dot (Linux
 * drops trailing dots) or a space (Windows does), so that it reads back as
 * written. At most 255 UTF-16 units, no lone surrogates.
 */
const BAD_NAME = /[\u0000-\u001f"*/:<>?\\|]|[. ]$|\p{Cs}/u;

function checkName(name: unknown, at: string): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || BAD_NAME.test(name)) {
    throw invalidInput('fat-bad-name', `${JSON.stringify(name)} is not a FAT long name`, { file: at });
  }
  if (name.length > LFN.MAX_UNITS) throw overLimit('fat-name-too-long', `${at}: name is ${name.length} UTF-16 units, over ${LFN.MAX_UNITS}`, { file: at });
  return name;
}

/** Validates the caller's tree and returns the normalised root. */
export function normaliseFatTree(entries: readonly FatEntryInput[]): FatDirNode {
  const root: FatDirNode = { kind: 'directory', name: '', path: '', depth: 1, children: [] };
  const fill = (dir: FatDirNode, inputs: readonly FatEntryInput[]) => {
    if (!Array.isArray(inputs)) throw invalidInput('fat-bad-tree', `${dir.path || '/'}: children must be an array`, { file: dir.path });
    const seen = new Set<string>();
    for (const input of inputs) {
      const e = input as Partial<FatEntryInput> | null;
      const at = `${dir.path}/${String(e?.name)}`;
      const name = checkName(e?.name, at);
      // FAT names are case-insensitive: `README` and `readme` are one name.
      const key = name.toUpperCase();
      if (seen.has(key)) throw invalidInput('fat-duplicate-name', `${at}: a name equal to it but for case is given already`, { file: at });
      seen.add(key);
      if (e!.kind === 'file') {
        const content = (e as FatFileInput).content;
        if (!(content instanceof Uint8Array)) throw invalidInput('fat-bad-content', `${at}: content must be a Uint8Array`, { file: at });
        if (content.length > FAT_WRITE_LIMITS.MAX_FILE_BYTES) throw overLimit('fat-file-too-large', `${at}: over 4 GiB - 1`, { file: at });
        dir.children.push({ kind: 'file', name, path: at, content });
      } else if (e!.kind === 'directory') {
        if (dir.depth + 1 > FAT_WRITE_LIMITS.MAX_DEPTH) throw overLimit('fat-too-deep', `${at}: deeper than ${FAT_WRITE_LIMITS.MAX_DEPTH} levels`, { file: at });
        const node: FatDirNode = { kind: 'directory', name, path: at, depth: dir.depth + 1, children: [] };
        dir.children.push(node);
        fill(node, (e as FatDirectoryInput).children);
      } else {
        throw invalidInput('fat-bad-tree', `${at}: kind must be 'file' or 'directory'`, { file: at });
      }
    }
  };
  fill(root, entries);
  return root;
}
