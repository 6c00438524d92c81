/**
 * Every field offset, magic value and limit of the ISO 9660 code, in one
 * place. Offsets are 0-based (ECMA-119 "BP n" is offset n - 1). The byte-level
 * facts behind them are in shared/docs/iso9660.md.
 */

/** ECMA-119 §6.1.2: a logical sector, and the only logical block size we write or read. */
export const BLOCK_SIZE = 2048;
/** ECMA-119 §6.2.1: blocks 0-15 are the System Area. */
export const SYSTEM_AREA_BLOCKS = 16;
/** ECMA-119 §8.1: the first volume descriptor is at block 16. */
export const FIRST_DESCRIPTOR_BLOCK = 16;

/** ECMA-119 §8.1.1 volume descriptor types. */
export const VD_TYPE = {
  BOOT: 0,
  PRIMARY: 1,
  SUPPLEMENTARY: 2,
  PARTITION: 3,
  TERMINATOR: 255,
} as const;

/** ECMA-119 §8.1.2 standard identifier. */
export const STANDARD_ID = 'CD001';

/** ECMA-119 §8.4 (PVD) and §8.5 (SVD) field offsets. */
export const VD = {
  TYPE: 0,
  STANDARD_ID: 1,
  VERSION: 6,
  FLAGS: 7,
  SYSTEM_ID: 8,
  SYSTEM_ID_LEN: 32,
  VOLUME_ID: 40,
  VOLUME_ID_LEN: 32,
  SPACE_SIZE: 80,
  ESCAPES: 88,
  SET_SIZE: 120,
  SEQUENCE: 124,
  BLOCK_SIZE: 128,
  PATH_TABLE_SIZE: 132,
  PATH_TABLE_L: 140,
  PATH_TABLE_L_OPT: 144,
  PATH_TABLE_M: 148,
  PATH_TABLE_M_OPT: 152,
  ROOT_RECORD: 156,
  VOLUME_SET_ID: 190,
  PUBLISHER_ID: 318,
  PREPARER_ID: 446,
  APPLICATION_ID: 574,
  LONG_ID_LEN: 128,
  COPYRIGHT_FILE: 702,
  ABSTRACT_FILE: 739,
  BIBLIOGRAPHIC_FILE: 776,
  FILE_ID_LEN: 37,
  CREATED: 813,
  MODIFIED: 830,
  EXPIRES: 847,
  EFFECTIVE: 864,
  FILE_STRUCTURE_VERSION: 881,
  APPLICATION_USE: 883,
  APPLICATION_USE_LEN: 512,
} as const;

/** Joliet spec p. 3: escape sequences at VD.ESCAPES marking UCS-2 levels 1, 2 and 3. */
export const JOLIET_ESCAPES: readonly (readonly [number, number, number])[] = [
  [0x25, 0x2f, 0x40],
  [0x25, 0x2f, 0x43],
  [0x25, 0x2f, 0x45],
];
/** The level we write (what genisoimage and xorriso write). */
export const JOLIET_ESCAPE_WRITTEN = JOLIET_ESCAPES[2]!;

/** ECMA-119 §9.1 directory record field offsets. */
export const DR = {
  LENGTH: 0,
  EXT_ATTR_LENGTH: 1,
  EXTENT: 2,
  DATA_LENGTH: 10,
  DATE: 18,
  FLAGS: 25,
  UNIT_SIZE: 26,
  INTERLEAVE: 27,
  SEQUENCE: 28,
  ID_LENGTH: 32,
  ID: 33,
  /** The fixed part before the identifier. */
  FIXED_LENGTH: 33,
  /** ECMA-119 §9.1.1: LEN_DR is one byte and must be even. */
  MAX_LENGTH: 254,
  /** The PVD's root record: 33 bytes plus a one-byte identifier. */
  ROOT_LENGTH: 34,
} as const;

/** ECMA-119 §9.1.6 file flags. */
export const DR_FLAG = {
  HIDDEN: 0x01,
  DIRECTORY: 0x02,
  ASSOCIATED: 0x04,
  RECORD: 0x08,
  PROTECTION: 0x10,
  MULTI_EXTENT: 0x80,
} as const;

/** ECMA-119 §9.4 path table record field offsets. */
export const PT = {
  ID_LENGTH: 0,
  EXT_ATTR_LENGTH: 1,
  EXTENT: 2,
  PARENT: 6,
  ID: 8,
} as const;

/** SUSP 1.12 §4/§5 entry header and the signatures we write or read. */
export const SUSP = {
  HEADER_LENGTH: 4,
  SP_LENGTH: 7,
  SP_CHECK: [0xbe, 0xef] as const,
  CE_LENGTH: 28,
  ER_FIXED_LENGTH: 8,
  ST_LENGTH: 4,
  VERSION: 1,
  /**
   * CD-XA's 14-byte System Use field (`XA` at its offset 6) comes first in
   * every record of a `genisoimage -XA` image, so the root's SP is found
   * there, its LEN_SKP 14; Linux looks there too (rock.c RR_REGARD_XA).
   */
  XA_LENGTH: 14,
} as const;

/** RRIP 1.10 ("RRIP_1991A") as genisoimage and xorriso's default write it; shared/docs/iso9660.md §7. */
export const RRIP_ER = {
  ID: 'RRIP_1991A',
  DESCRIPTOR: 'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS',
  SOURCE:
    'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.',
  VERSION: 1,
} as const;

/** ER identifiers that switch Rock Ridge on in a reader (RRIP 1.09/1.10, 1.12 xorriso, 1.12 others). */
export const RRIP_IDS: readonly string[] = ['RRIP_1991A', 'IEEE_1282', 'IEEE_P1282'];

/** RRIP 1.10 §4.1.1: PX without the 1.12 serial number. */
export const PX_LENGTH = 36;
export const PX_LENGTH_112 = 44;
/** RRIP 1.10 §4.1.4 NM flags. */
export const NM_FLAG = { CONTINUE: 0x01, CURRENT: 0x02, PARENT: 0x04, HOST: 0x20 } as const;
/** RRIP 1.10 §4.1.3 SL component flags. */
export const SL_FLAG = { CONTINUE: 0x01, CURRENT: 0x02, PARENT: 0x04, ROOT: 0x08 } as const;
/** RRIP 1.10 §4.1.6 TF flags. */
export const TF_FLAG = {
  CREATION: 0x01,
  MODIFY: 0x02,
  ACCESS: 0x04,
  ATTRIBUTES: 0x08,
  BACKUP: 0x10,
  EXPIRATION: 0x20,
  EFFECTIVE: 0x40,
  LONG_FORM: 0x80,
} as const;

/** zisofs (zisofs.ts): the file header, and the block sizes Linux reads (compress.c). */
export const ZISOFS = {
  MAGIC: [0x37, 0xe4, 0x53, 0x96, 0xc9, 0xdb, 0xd6, 0x07] as const,
  HEADER_LENGTH: 16,
  /** The ZF algorithm of zisofs version 1, the one Linux reads. */
  ALGORITHM: 'pz',
  MIN_BLOCK_LOG2: 15,
  MAX_BLOCK_LOG2: 17,
} as const;

/** POSIX file type bits used in PX modes. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFSOCK = 0o140000;

/**
 * Zero blocks after the data when the caller gives no padBlocks: 150 (300 KiB), what
 * genisoimage and `xorriso -as mkisofs` append by default (`-pad`). Without it a small
 * image is 48 KiB or less, which libarchive (bsdtar) does not take for ISO 9660: its
 * bid wants more than the system area and 8 blocks.
 */
export const DEFAULT_PAD_BLOCKS = 150;

/** Default permission bits when the caller gives none (what `install -m` gives data and directories). */
export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIR_MODE = 0o755;

/**
 * The default timestamp (seconds since the Unix epoch) for every date in an
 * image: the Unix epoch itself, as SOURCE_DATE_EPOCH=0 would give. Callers
 * pass their own (SOURCE_DATE_EPOCH, a release date) for meaningful dates.
 */
export const DEFAULT_TIMESTAMP = 0;

/** Fixed ID strings so the output never depends on the host (§10 of the fact sheet). */
export const DEFAULT_APPLICATION_ID = 'STRATUS-CONTEXT';

/** Writer-side limits, each with its reason. */
export const WRITE_LIMITS = {
  /**
   * Rock Ridge name bytes. POSIX NAME_MAX is 255, but Linux isofs truncates
   * NM names of 254 bytes or more (rock.c) and the xorriso man page gives 253.
   */
  MAX_NAME_BYTES: 253,
  /** Joliet spec p. 4: at most 64 UCS-2 characters per identifier (we shorten longer names). */
  JOLIET_NAME_UNITS: 64,
  /** The parent number in a path table record is 16 bits (ECMA-119 §9.4.5). */
  MAX_DIRECTORIES: 0xffff,
  /**
   * Nesting depth, the root being depth 1. ECMA-119 allows 8; we write deeper
   * trees unrelocated as xorriso does (-D), up to this bound so that our own
   * reader, with the same limit, reads every image we write.
   */
  MAX_DEPTH: 64,
  /** A single-extent data length is a 32-bit field (ECMA-119 §9.1.4); multi-extent is not written. */
  MAX_FILE_BYTES: 0xffffffff,
  /** A block address is 32 bits (ECMA-119 §9.1.3). */
  MAX_VOLUME_BLOCKS: 0xffffffff,
} as const;

/** Reader-side limits, each with its reason. All are options of `openIso`. */
export interface IsoReadLimits {
  /** Volume descriptors scanned before giving up on a terminator. Real images have 2-4; garbage would scan forever. */
  maxDescriptors: number;
  /** Directory nesting depth. Bounds recursion; real context disks are 2-3 deep, xorriso writes deeper than ECMA's 8. */
  maxDepth: number;
  /** Entries in the whole tree. Bounds memory: each entry costs a few hundred bytes. */
  maxEntries: number;
  /** Bytes of one directory extent. 16 MiB holds over 80 000 records; bounds one allocation. */
  maxDirectoryBytes: number;
  /** CE hops per System Use area. Linux isofs allows 32 (rock.c RR_MAX_CE_ENTRIES). */
  maxContinuations: number;
  /**
   * System Use entries framed in the whole image, CE, PD and ST included, a
   * shared continuation area counted each time it is read. Bounds the work
   * of an image whose every record points into one chain of 32 full
   * continuation blocks (16 000 entries a record); a tree of maxEntries
   * records of 4-5 entries each (PX, TF, NM, CE, SL) stays under it. The
   * reader also stops at one entry per 4 bytes of the image: an entry takes
   * at least 4 bytes and a well-formed image reads no area twice, so only a
   * forged one needs more.
   */
  maxSuspEntries: number;
  /** Bytes of one Rock Ridge name or symlink target after joining NM/SL pieces. PATH_MAX is 4096. */
  maxNameBytes: number;
  /** Sections of one multi-extent file. Linux stops after 100 (inode.c). */
  maxSections: number;
}

export const DEFAULT_READ_LIMITS: Readonly<IsoReadLimits> = {
  maxDescriptors: 64,
  maxDepth: 64,
  maxEntries: 100_000,
  maxDirectoryBytes: 16 * 1024 * 1024,
  maxContinuations: 32,
  maxSuspEntries: 1_000_000,
  maxNameBytes: 4096,
  maxSections: 100,
};
