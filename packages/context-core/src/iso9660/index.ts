/**
 * ISO 9660 context disks: a writer (ECMA-119 with Rock Ridge and Joliet) and
 * a reader that distrusts its input. Bytes in, bytes out: nothing here reads
 * the clock, the environment or the file system; see `node.ts` for the
 * file-system edge.
 */
export {
  BLOCK_SIZE,
  DEFAULT_DIR_MODE,
  DEFAULT_FILE_MODE,
  DEFAULT_READ_LIMITS,
  DEFAULT_TIMESTAMP,
  WRITE_LIMITS,
  type IsoReadLimits,
} from './format.js';
export { isoDirectory, isoFile, isoTreeFromPaths, type IsoContent, type IsoContentSource, type IsoDirectoryInput, type IsoEntryInput, type IsoFileInput } from './tree.js';
export type { IsoWriteOptions } from './options.js';
export type { IsoLevel } from './names.js';
export { planIso, type IsoExtent, type IsoExtentKind, type IsoPlan } from './layout.js';
export { encodeIso, writeIso, writeIsoToBuffer } from './writer.js';
export { bufferSource, type IsoRandomAccess } from './source.js';
export { IsoImage, openIso, type IsoReadOptions } from './reader.js';
export type {
  IsoDirectoryEntry,
  IsoEntry,
  IsoFileEntry,
  IsoNamespace,
  IsoSection,
  IsoSpecialEntry,
  IsoSpecialType,
  IsoSymlinkEntry,
} from './directory-walk.js';
