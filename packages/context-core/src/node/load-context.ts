import { open, stat as statPath } from 'node:fs/promises';
import { ContextError, corruptData, invalidInput, overLimit } from '../errors.js';
import { CLOUD_INIT_TXT, CONTEXT_SH, detectFormat, formatByName, type DecodeOptions, type FormatName } from '../formats/index.js';
import type { IsoDirectoryEntry } from '../iso9660/index.js';
import { withIsoFile } from '../iso9660/node.js';
import type { Context } from '../model.js';
import { readContextDir } from './context-dir.js';

/** ISO 9660 images carry `CD001` at byte 32769 (block 16, offset 1). */
const ISO_MAGIC_OFFSET = 32769;
/** A single context file is read whole only up to this size: real ones are a few KiB. */
export const MAX_CONTEXT_FILE_BYTES = 64 * 1024 * 1024;
/** Files read from one disk at most, and bytes: contexts hold a handful of small files. */
export const MAX_DISK_FILES = 10_000;
export const MAX_DISK_BYTES = 256 * 1024 * 1024;

export interface LoadedContext {
  context: Context;
  format: FormatName;
  /** What the source was. */
  kind: 'disk' | 'directory' | 'file';
  /** The disk's volume id, for a disk. */
  volumeId?: string;
}

export interface LoadContextOptions extends DecodeOptions {
  /** Decode as this format instead of detecting it. */
  format?: FormatName;
}

function isIso(head: Uint8Array): boolean {
  return Buffer.from(head.subarray(ISO_MAGIC_OFFSET, ISO_MAGIC_OFFSET + 5)).toString('latin1') === 'CD001';
}

/** Every regular file of a disk, by path (symbolic links are not followed). */
export async function readDiskFiles(path: string): Promise<{ volumeId: string; files: Map<string, Uint8Array> }> {
  return withIsoFile(path, async (image) => {
    const files = new Map<string, Uint8Array>();
    let total = 0;
    const walk = async (dir: IsoDirectoryEntry) => {
      for (const entry of dir.children) {
        if (entry.kind === 'directory') await walk(entry);
        else if (entry.kind === 'file') {
          total += entry.size;
          if (files.size >= MAX_DISK_FILES || total > MAX_DISK_BYTES) {
            throw corruptData('disk-too-large', `${path} holds more than ${MAX_DISK_FILES} files or ${MAX_DISK_BYTES} bytes: not a context disk`, { file: path });
          }
          files.set(entry.path, await image.readFileBytes(entry));
        }
      }
    };
    await walk(image.root);
    return { volumeId: image.volumeId, files };
  });
}

/** Bytes of a single file looked at to tell its format. */
const SNIFF_BYTES = 65536;
/**
 * A line that assigns a cloud-init key. Matched line by line: a multi-line
 * pattern whose leading `\s*` crosses line breaks rescans the rest of the
 * text from every line start (quadratic on a run of newlines).
 */
const CLOUD_INIT_LINE = /^[ \t\r\f\v]*(?:export[ \t]+)?(?:CONTEXT_METHOD|CLOUD_INIT_USER_DATA|CLOUD_INIT_AUTHORIZED_KEYS)[ \t]*=/;

/** A single context file: `cloud-init.txt` when it has the cloud-init keys, else OpenNebula's `context.sh`. */
function singleFileFormat(bytes: Uint8Array): 'cloud-init' | 'opennebula' {
  const head = Buffer.from(bytes.subarray(0, SNIFF_BYTES)).toString('latin1');
  return head.split('\n').some((line) => CLOUD_INIT_LINE.test(line)) ? 'cloud-init' : 'opennebula';
}

/**
 * Reads a context from a disk image or block device (read directly, no
 * mount), a directory (a mounted disk or seed folder), or a single file
 * (`cloud-init.txt`, `context.sh`); `-` reads a single file from standard
 * input. The format is detected unless given.
 */
export async function loadContext(path: string, options: LoadContextOptions = {}): Promise<LoadedContext> {
  const source = path === '-' ? '(stdin)' : path;
  let stat;
  try {
    stat = path === '-' ? undefined : await statPath(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalidInput('unreadable-file', `cannot read ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { file: path }, e);
  }
  const decode = (format: FormatName, files: Map<string, Uint8Array>, src: string) => formatByName(format).decode(files, { ...options, source: src });

  if (stat?.isDirectory()) {
    const files = readContextDir(path);
    const format = options.format ?? detectFormat(files);
    if (format === undefined) throw corruptData('unknown-context', `${path} holds no context (no context.sh, meta-data, cloud-init.txt or openstack/latest/meta_data.json)`, { file: path });
    return { context: decode(format, files, path), format, kind: 'directory' };
  }

  let head: Uint8Array;
  try {
    head = path === '-' ? new Uint8Array(await readStdin()) : await readHead(path);
  } catch (e) {
    if (e instanceof ContextError) throw e;
    throw invalidInput('unreadable-file', `cannot read ${source}: ${(e as Error).message}`, { file: path }, e);
  }
  if (stat?.isBlockDevice() || isIso(head)) {
    const { volumeId, files } = await readDiskFiles(path);
    const format = options.format ?? detectFormat(files, volumeId);
    if (format === undefined) throw corruptData('unknown-context', `${path} (volume ${JSON.stringify(volumeId)}) holds no context`, { file: path });
    return { context: decode(format, files, path), format, kind: 'disk', volumeId };
  }
  const format = options.format ?? singleFileFormat(head);
  if (format !== 'cloud-init' && format !== 'opennebula') {
    throw invalidInput('not-one-file', `${source} is a single file: a ${format} context is a disk or a directory`, { file: path });
  }
  const fmt = formatByName(format);
  const own = format === 'cloud-init' ? CLOUD_INIT_TXT : CONTEXT_SH;
  return { context: fmt.decode(new Map([[own, head]]), { ...options, file: source }), format, kind: 'file' };
}

/**
 * The start of a file: enough to see the ISO 9660 signature (then the disk
 * is read block by block), else the whole of a context file, refused over
 * MAX_CONTEXT_FILE_BYTES.
 */
async function readHead(path: string): Promise<Uint8Array> {
  const h = await open(path, 'r');
  try {
    const st = await h.stat();
    if (st.isBlockDevice()) return new Uint8Array();
    const probe = Buffer.alloc(ISO_MAGIC_OFFSET + 5);
    const { bytesRead } = await h.read(probe, 0, probe.length, 0);
    if (bytesRead === probe.length && isIso(probe)) return new Uint8Array(probe);
    if (st.size > MAX_CONTEXT_FILE_BYTES) throw overLimit('file-too-large', `${path} is over ${MAX_CONTEXT_FILE_BYTES} bytes and not a disk image: not a context`, { file: path });
    return new Uint8Array(await h.readFile());
  } finally {
    await h.close();
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
