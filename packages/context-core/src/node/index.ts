/**
 * The file-system edge of the library: reading the files that pairs name,
 * context directories and disks, and writing outputs atomically. Everything
 * else in the package is pure.
 */
export { readPairs, type ReadPairsOptions } from './read-pairs.js';
export { writeFileAtomic, type AtomicWriteOptions } from './write-file-atomic.js';
export { MAX_DIR_BYTES, MAX_DIR_DEPTH, MAX_DIR_FILES, readContextDir, writeContextDir } from './context-dir.js';
export { MAX_DISK_BYTES, MAX_DISK_FILES, loadContext, readDiskFiles, type LoadContextOptions, type LoadedContext } from './load-context.js';
export { fileContent, isoReadable, isoTreeFromDirectory, openIsoAccess, withIsoFile, writeIsoToFile, type IsoFileAccess } from '../iso9660/node.js';
export { readFatFile } from '../fat/node.js';
