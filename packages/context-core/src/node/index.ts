/**
 * The file-system edge of the library: reading the files that pairs name,
 * and writing outputs atomically. Everything else in the package is pure.
 */
export { readPairs, type ReadPairsOptions } from './read-pairs.js';
export { writeFileAtomic } from './write-file-atomic.js';
