/**
 * FAT12/FAT16 volumes (the VFAT context disks of StratusLab, cloud-localds
 * -f vfat and OpenStack's config_drive_format=vfat): a writer with VFAT
 * long names and Linux's 8.3 names, and a reader that distrusts its input.
 * Bytes in, bytes out; see `node.ts` for the file-system edge.
 */
export { DEFAULT_FAT_READ_LIMITS, DEFAULT_FAT_TIMESTAMP, FAT_WRITE_LIMITS, type FatReadLimits, type FatType } from './format.js';
export { fatDirectory, fatFile, type FatDirectoryInput, type FatEntryInput, type FatFileInput } from './tree.js';
export type { FatWriteOptions } from './options.js';
export { planFat, type FatPlan } from './layout.js';
export { encodeFatPlan, writeFat } from './writer.js';
export { fatVolumeLabel } from './boot-sector.js';
export { readFat, type FatDirectoryEntry, type FatEntry, type FatFileEntry, type FatRandomAccess, type FatReadOptions, type FatVolume } from './reader.js';
