/**
 * The file-system edge of the FAT code (Node only): reading an image file
 * or a block device, through the ISO code's random access to files.
 */
import { openIsoAccess } from '../iso9660/fs.js';
import { readFat, type FatReadOptions, type FatVolume } from './reader.js';

/** Reads the volume in an image file or device (e.g. /dev/vdb); the file is closed afterwards. */
export async function readFatFile(path: string, options: FatReadOptions = {}): Promise<FatVolume> {
  const access = await openIsoAccess(path);
  try {
    return await readFat(access, { name: path, ...options });
  } finally {
    await access.close();
  }
}
