/**
 * Every field offset, magic value and limit of the FAT code, in one place.
 * References: Microsoft's "FAT: General Overview of On-Disk Format" 1.03
 * (fatgen103), and Linux fs/fat where it is stricter or looser.
 */

/** The only sector size we write; the reader takes 512..4096 (powers of two, fatgen103 BPB_BytsPerSec). */
export const SECTOR_BYTES = 512;
export const MIN_SECTOR_BYTES = 512;
export const MAX_SECTOR_BYTES = 4096;

/** fatgen103 boot sector and BPB (the FAT12/FAT16 layout), 0-based offsets. */
export const BS = {
  JUMP: 0,
  OEM_NAME: 3,
  OEM_NAME_LEN: 8,
  BYTES_PER_SECTOR: 11,
  SECTORS_PER_CLUSTER: 13,
  RESERVED_SECTORS: 14,
  NUM_FATS: 16,
  ROOT_ENTRIES: 17,
  TOTAL_SECTORS_16: 19,
  MEDIA: 21,
  FAT_SIZE_16: 22,
  SECTORS_PER_TRACK: 24,
  HEADS: 26,
  HIDDEN_SECTORS: 28,
  TOTAL_SECTORS_32: 32,
  DRIVE_NUMBER: 36,
  RESERVED1: 37,
  BOOT_SIGNATURE: 38,
  VOLUME_ID: 39,
  VOLUME_LABEL: 43,
  VOLUME_LABEL_LEN: 11,
  FS_TYPE: 54,
  FS_TYPE_LEN: 8,
  BOOT_CODE: 62,
  SIGNATURE: 510,
} as const;

/** FAT32's extended boot record, for the label sniff only (fatgen103 §3.3). */
export const BS32 = {
  BOOT_SIGNATURE: 66,
  VOLUME_LABEL: 71,
} as const;

/** jmp short to the boot code at 0x3E, nop (fatgen103: EB xx 90 or E9 xx xx). */
export const JUMP = [0xeb, 0x3c, 0x90] as const;
/**
 * Our boot code: `int 18h` (the BIOS tries the next boot device), then
 * `hlt; jmp $-1` should it return. The volume is data, not bootable.
 */
export const BOOT_CODE = [0xcd, 0x18, 0xf4, 0xeb, 0xfd] as const;
/** fatgen103 recommends this OEM name: some old drivers check it. */
export const OEM_NAME = 'MSWIN4.1';
export const BOOT_SIGNATURE_VALUE = 0x29;
export const SIGNATURE = [0x55, 0xaa] as const;
/** A fixed disk (fatgen103); also FAT[0]'s low byte. */
export const MEDIA_FIXED = 0xf8;
/** The first hard disk, as mkfs.fat writes for a fixed disk. */
export const DRIVE_NUMBER = 0x80;
/** BS_VolLab when there is no label (fatgen103). */
export const NO_NAME = 'NO NAME    ';

/** fatgen103 p. 14-15: the type follows from the cluster count and nothing else. */
export const FAT12_MAX_CLUSTERS = 4084;
export const FAT16_MAX_CLUSTERS = 65524;
export type FatType = 'fat12' | 'fat16';
/**
 * The counts we write keep clear of the boundary, as mkfs.fat does (its
 * MIN_CLUST_16 is 4087): blkid calls 4084 clusters FAT16 (it tests
 * `< 4084`), and old Windows mishandled 4085 and 4086.
 */
export const WRITE_FAT12_MAX_CLUSTERS = 4083;
export const WRITE_FAT16_MIN_CLUSTERS = 4087;
/** Data clusters are numbered from 2 (entries 0 and 1 are reserved). */
export const FIRST_CLUSTER = 2;
/** End-of-chain values written, and the smallest value read as end of chain. */
export const EOC = { fat12: 0xfff, fat16: 0xffff } as const;
export const EOC_MIN = { fat12: 0xff8, fat16: 0xfff8 } as const;
export const BAD_CLUSTER = { fat12: 0xff7, fat16: 0xfff7 } as const;

/** Directory entry (fatgen103 §6), 32 bytes. */
export const DIR = {
  ENTRY_BYTES: 32,
  NAME: 0,
  NAME_LEN: 11,
  ATTR: 11,
  NT_RES: 12,
  CREATE_TENTHS: 13,
  CREATE_TIME: 14,
  CREATE_DATE: 16,
  ACCESS_DATE: 18,
  CLUSTER_HI: 20,
  WRITE_TIME: 22,
  WRITE_DATE: 24,
  CLUSTER_LO: 26,
  SIZE: 28,
} as const;

export const ATTR = {
  READ_ONLY: 0x01,
  HIDDEN: 0x02,
  SYSTEM: 0x04,
  VOLUME_ID: 0x08,
  DIRECTORY: 0x10,
  ARCHIVE: 0x20,
  LONG_NAME: 0x0f,
  /** The bits that tell a long-name entry (the low six). */
  LONG_NAME_MASK: 0x3f,
} as const;

/** DIR_Name[0] markers. */
export const ENTRY_END = 0x00;
export const ENTRY_DELETED = 0xe5;
/** DIR_Name[0] = 0x05 stands for a name that starts with 0xE5. */
export const ENTRY_KANJI_E5 = 0x05;

/** DIR_NTRes case bits (Windows NT; Linux shortname=mixed shows them, mtools writes them). */
export const NT_LOWER_BASE = 0x08;
export const NT_LOWER_EXT = 0x10;

/** VFAT long-name entry (Microsoft's LFN layout), 32 bytes. */
export const LFN = {
  ORD: 0,
  NAME1: 1,
  NAME1_UNITS: 5,
  ATTR: 11,
  TYPE: 12,
  CHECKSUM: 13,
  NAME2: 14,
  NAME2_UNITS: 6,
  CLUSTER: 26,
  NAME3: 28,
  NAME3_UNITS: 2,
  UNITS_PER_ENTRY: 13,
  LAST: 0x40,
  ORD_MASK: 0x3f,
  /** 255 UTF-16 units in at most 20 entries. */
  MAX_ENTRIES: 20,
  MAX_UNITS: 255,
} as const;

/** DOS dates run from 1980 to 2107, in two-second steps. */
export const DOS_EPOCH = Date.UTC(1980, 0, 1) / 1000;
export const DOS_LAST = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;

/**
 * The default timestamp of every entry: 1980-01-01 00:00:00, the first DOS
 * date. Callers pass SOURCE_DATE_EPOCH (seconds) for a meaningful one.
 */
export const DEFAULT_FAT_TIMESTAMP = DOS_EPOCH;

/** Writer-side limits, each with its reason. */
export const FAT_WRITE_LIMITS = {
  /** What we return is one Uint8Array; FAT16 with 32 KiB clusters reaches just past 2 GiB. */
  MAX_VOLUME_BYTES: 2 * 1024 * 1024 * 1024,
  /** Enough for a boot sector, two FATs, a root directory and a few clusters. */
  MIN_VOLUME_BYTES: 64 * 1024,
  /** The default size is rounded up to this (mkfs.fat images are usually whole KiB; we leave a little slack). */
  DEFAULT_SIZE_STEP: 64 * 1024,
  /** mkfs.fat's root directory for a fixed disk; grown in steps of 16 when the root holds more. */
  ROOT_ENTRIES: 512,
  /** BPB_RootEntCnt is 16 bits; a multiple of 16 keeps the root whole sectors. */
  MAX_ROOT_ENTRIES: 0xfff0,
  /** Linux's FAT_MAX_DIR_ENTRIES: a directory of more 32-byte slots is refused there. */
  MAX_DIR_SLOTS: 65536,
  /** The reader's limit, so we read all we write. */
  MAX_DEPTH: 64,
  /** FileSize is 32 bits. */
  MAX_FILE_BYTES: 0xffffffff,
} as const;

/** Reader-side limits, each with its reason. All are options of `readFat`. */
export interface FatReadLimits {
  /** Entries in the whole tree. Bounds memory and work; real context disks have a handful. */
  maxEntries: number;
  /** Directory nesting depth. Bounds recursion. */
  maxDepth: number;
  /** Bytes of one directory. Linux refuses directories of over 65 536 slots (2 MiB). */
  maxDirectoryBytes: number;
  /** File bytes held in memory for the whole tree: the reader returns every file's contents. */
  maxTotalBytes: number;
}

export const DEFAULT_FAT_READ_LIMITS: Readonly<FatReadLimits> = {
  maxEntries: 100_000,
  maxDepth: 64,
  maxDirectoryBytes: 65536 * 32,
  maxTotalBytes: 256 * 1024 * 1024,
};
