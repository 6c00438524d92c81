/**
 * The file-system edge of the library: reading the files that pairs name,
 * context directories, and writing outputs atomically. Everything else in
 * the package is pure.
 */
export { readPairs, type ReadPairsOptions } from './read-pairs.js';
export { writeFileAtomic } from './write-file-atomic.js';
export { MAX_DIR_BYTES, MAX_DIR_DEPTH, MAX_DIR_FILES, readContextDir, writeContextDir } from './context-dir.js';
