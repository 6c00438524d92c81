/**
 * The file-system edge of the ISO code (Node only): streaming file sources,
 * a host directory as a tree, writing an image to a file, and reading an
 * image file or block device.
 */
export { writeIsoToFile } from './file-writer.js';
export { fileContent, isoReadable, isoTreeFromDirectory, openIsoAccess, withIsoFile, type IsoFileAccess } from './fs.js';
