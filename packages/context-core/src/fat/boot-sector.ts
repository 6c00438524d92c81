/**
 * The boot sector and its BIOS Parameter Block (fatgen103 §3, the FAT12 and
 * FAT16 layout): the geometry we choose for a size, its encoding, and a
 * decoder that checks every field against the others and the image.
 */
import { corruptData } from '../errors.js';
import { FatBytes, putAscii, putLe16, putLe32 } from './bytes.js';
import {
  BOOT_CODE,
  BOOT_SIGNATURE_VALUE,
  BS,
  BS32,
  DIR,
  DRIVE_NUMBER,
  FAT12_MAX_CLUSTERS,
  FAT16_MAX_CLUSTERS,
  JUMP,
  MAX_SECTOR_BYTES,
  MEDIA_FIXED,
  MIN_SECTOR_BYTES,
  NO_NAME,
  OEM_NAME,
  SECTOR_BYTES,
  SIGNATURE,
  WRITE_FAT12_MAX_CLUSTERS,
  WRITE_FAT16_MIN_CLUSTERS,
  type FatType,
} from './format.js';
import { decodeOem } from './short-name.js';

/** Where everything is: the BPB's numbers and what follows from them. */
export interface FatGeometry {
  type: FatType;
  sectorBytes: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  numFats: number;
  rootEntries: number;
  totalSectors: number;
  fatSectors: number;
  /** Derived: the root directory's sectors, the first data sector, the cluster count and size. */
  rootSectors: number;
  dataStart: number;
  clusters: number;
  clusterBytes: number;
}

function derive(g: Omit<FatGeometry, 'type' | 'rootSectors' | 'dataStart' | 'clusters' | 'clusterBytes'>): FatGeometry {
  const rootSectors = Math.ceil((g.rootEntries * DIR.ENTRY_BYTES) / g.sectorBytes);
  const dataStart = g.reservedSectors + g.numFats * g.fatSectors + rootSectors;
  const clusters = Math.max(0, Math.floor((g.totalSectors - dataStart) / g.sectorsPerCluster));
  return { ...g, type: clusters <= FAT12_MAX_CLUSTERS ? 'fat12' : 'fat16', rootSectors, dataStart, clusters, clusterBytes: g.sectorsPerCluster * g.sectorBytes };
}

const fatBits = (type: FatType) => (type === 'fat12' ? 12 : 16);

/** Sectors one FAT needs for `clusters` data clusters plus the two reserved entries. */
function fatSectorsFor(type: FatType, clusters: number, sectorBytes: number): number {
  return Math.ceil(((clusters + 2) * fatBits(type)) / 8 / sectorBytes);
}

/**
 * The geometry of a volume of `totalSectors` 512-byte sectors: 2 FATs, one
 * reserved sector, a root of `rootEntries`, and clusters of 4 sectors
 * (2 KiB, mkfs.fat's choice up to 128 MiB) doubled until FAT16 can count
 * them. The type follows from the cluster count alone (fatgen103): FAT12
 * below 4085 clusters, FAT16 below 65525; we write no count from 4084 to
 * 4086 (format.ts says why). A FAT is made just large enough; where a
 * FAT12-sized FAT would leave too many clusters for FAT12 and a
 * FAT16-sized one too few for FAT16, the FAT12 FAT grows until the count
 * is FAT12's. Undefined when the volume cannot hold its own metadata and
 * one cluster.
 */
export function planGeometry(totalSectors: number, rootEntries: number): FatGeometry | undefined {
  for (let spc = 4; spc <= 64; spc *= 2) {
    const base = { sectorBytes: SECTOR_BYTES, sectorsPerCluster: spc, reservedSectors: 1, numFats: 2, rootEntries, totalSectors };
    const sized = (type: FatType) => {
      let fatSectors = 1;
      for (;;) {
        const g = derive({ ...base, fatSectors });
        const need = fatSectorsFor(type, g.clusters, SECTOR_BYTES);
        if (need <= fatSectors) return g;
        fatSectors = need;
      }
    };
    const g12 = sized('fat12');
    if (g12.clusters < 1) return undefined;
    if (g12.clusters <= WRITE_FAT12_MAX_CLUSTERS) return g12;
    const g16 = sized('fat16');
    if (g16.clusters > FAT16_MAX_CLUSTERS) continue;
    if (g16.clusters >= WRITE_FAT16_MIN_CLUSTERS) return g16;
    for (let f = g12.fatSectors; ; f++) {
      const g = derive({ ...base, fatSectors: f });
      if (g.clusters <= WRITE_FAT12_MAX_CLUSTERS) return g;
    }
  }
  return undefined;
}

/**
 * Sectors per track and heads as mkfs.fat (dosfstools 4.2) sets them for an
 * image file or a disk that reports no geometry: the table of sizes it
 * shares with the kernel's default BIOS geometry.
 */
export function mkfsGeometry(totalSectors: number): { sectorsPerTrack: number; heads: number } {
  if (totalSectors <= 4096) return { sectorsPerTrack: 16, heads: 2 };
  if (totalSectors <= 32768) return { sectorsPerTrack: 32, heads: 2 };
  if (totalSectors <= 65536) return { sectorsPerTrack: 32, heads: 4 };
  if (totalSectors <= 262144) return { sectorsPerTrack: 32, heads: 8 };
  if (totalSectors <= 524288) return { sectorsPerTrack: 32, heads: 16 };
  if (totalSectors <= 1048576) return { sectorsPerTrack: 63, heads: 32 };
  if (totalSectors <= 2097152) return { sectorsPerTrack: 63, heads: 64 };
  if (totalSectors <= 4194304) return { sectorsPerTrack: 63, heads: 128 };
  return { sectorsPerTrack: 63, heads: 255 };
}

/** The boot sector of a planned volume; the serial is patched in last (writer.ts). */
export function encodeBootSector(g: FatGeometry, label: string, serial: number): Uint8Array {
  const out = new Uint8Array(g.sectorBytes);
  out.set(JUMP, BS.JUMP);
  putAscii(out, BS.OEM_NAME, OEM_NAME, BS.OEM_NAME_LEN);
  putLe16(out, BS.BYTES_PER_SECTOR, g.sectorBytes);
  out[BS.SECTORS_PER_CLUSTER] = g.sectorsPerCluster;
  putLe16(out, BS.RESERVED_SECTORS, g.reservedSectors);
  out[BS.NUM_FATS] = g.numFats;
  putLe16(out, BS.ROOT_ENTRIES, g.rootEntries);
  putLe16(out, BS.TOTAL_SECTORS_16, g.totalSectors < 0x10000 ? g.totalSectors : 0);
  out[BS.MEDIA] = MEDIA_FIXED;
  putLe16(out, BS.FAT_SIZE_16, g.fatSectors);
  const { sectorsPerTrack, heads } = mkfsGeometry(g.totalSectors);
  putLe16(out, BS.SECTORS_PER_TRACK, sectorsPerTrack);
  putLe16(out, BS.HEADS, heads);
  putLe32(out, BS.HIDDEN_SECTORS, 0);
  putLe32(out, BS.TOTAL_SECTORS_32, g.totalSectors < 0x10000 ? 0 : g.totalSectors);
  out[BS.DRIVE_NUMBER] = DRIVE_NUMBER;
  out[BS.BOOT_SIGNATURE] = BOOT_SIGNATURE_VALUE;
  putLe32(out, BS.VOLUME_ID, serial);
  putAscii(out, BS.VOLUME_LABEL, label === '' ? NO_NAME : label, BS.VOLUME_LABEL_LEN);
  putAscii(out, BS.FS_TYPE, g.type === 'fat12' ? 'FAT12' : 'FAT16', BS.FS_TYPE_LEN);
  out.set(BOOT_CODE, BS.BOOT_CODE);
  out.set(SIGNATURE, BS.SIGNATURE);
  return out;
}

export interface DecodedBootSector {
  geometry: FatGeometry;
  media: number;
  /** BS_VolID, when the extended boot signature (0x29) is present. */
  serial: number | undefined;
  /** BS_VolLab without its padding; undefined for none or `NO NAME`. */
  label: string | undefined;
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** True when the sector starts as a FAT boot sector does: a jump, a sane sector size, the 55 AA signature. */
function looksLikeFat(b: Uint8Array): boolean {
  if (b.length < BS.SIGNATURE + 2) return false;
  const jump = (b[0] === 0xeb && b[2] === 0x90) || b[0] === 0xe9;
  const bps = b[BS.BYTES_PER_SECTOR]! | (b[BS.BYTES_PER_SECTOR + 1]! << 8);
  return jump && isPowerOfTwo(bps) && bps >= MIN_SECTOR_BYTES && bps <= MAX_SECTOR_BYTES && b[BS.SIGNATURE] === SIGNATURE[0] && b[BS.SIGNATURE + 1] === SIGNATURE[1];
}

function labelAt(b: Uint8Array, at: number): string | undefined {
  const label = decodeOem(b.subarray(at, at + BS.VOLUME_LABEL_LEN)).replace(/[ \u0000]+$/u, '');
  return label === '' || label === NO_NAME.trimEnd() ? undefined : label;
}

/**
 * The volume label in a FAT boot sector (BS_VolLab; FAT32's sits further
 * on), for telling context disks apart by their first sector alone.
 * Undefined when the bytes are not a FAT boot sector, have no extended
 * boot signature, or carry no label. Never throws for a Uint8Array.
 */
export function fatVolumeLabel(firstSector: Uint8Array): string | undefined {
  if (!(firstSector instanceof Uint8Array) || !looksLikeFat(firstSector)) return undefined;
  const b = firstSector;
  const fat32 = (b[BS.ROOT_ENTRIES]! | b[BS.ROOT_ENTRIES + 1]!) === 0 && (b[BS.FAT_SIZE_16]! | b[BS.FAT_SIZE_16 + 1]!) === 0;
  if (b[fat32 ? BS32.BOOT_SIGNATURE : BS.BOOT_SIGNATURE] !== BOOT_SIGNATURE_VALUE) return undefined;
  return labelAt(b, fat32 ? BS32.VOLUME_LABEL : BS.VOLUME_LABEL);
}

/** Linux fat_valid_media: 0xF0, or 0xF8 to 0xFF. */
const validMedia = (m: number) => m === 0xf0 || m >= 0xf8;

/**
 * Decodes and checks the BPB against itself and the image size. Codes:
 * fat-not-fat (no boot sector of FAT), fat-unsupported (FAT32), fat-bad-bpb
 * (a field out of range or inconsistent), fat-truncated (the volume is
 * larger than the image).
 */
export function decodeBootSector(r: FatBytes, imageBytes: number): DecodedBootSector {
  if (!looksLikeFat(r.bytes)) throw corruptData('fat-not-fat', 'no FAT boot sector (jump, sector size and 55 AA signature)', r.where(0));
  const bad = (what: string, at: number) => corruptData('fat-bad-bpb', `boot sector: ${what}`, r.where(at));
  const sectorBytes = r.le16(BS.BYTES_PER_SECTOR);
  const sectorsPerCluster = r.u8(BS.SECTORS_PER_CLUSTER);
  const reservedSectors = r.le16(BS.RESERVED_SECTORS);
  const numFats = r.u8(BS.NUM_FATS);
  const rootEntries = r.le16(BS.ROOT_ENTRIES);
  const total16 = r.le16(BS.TOTAL_SECTORS_16);
  const media = r.u8(BS.MEDIA);
  const fatSectors = r.le16(BS.FAT_SIZE_16);
  const totalSectors = total16 !== 0 ? total16 : r.le32(BS.TOTAL_SECTORS_32);
  if (fatSectors === 0 && rootEntries === 0) throw corruptData('fat-unsupported', 'FAT32 volumes are not read (only FAT12 and FAT16)', r.where(BS.FAT_SIZE_16));
  if (!isPowerOfTwo(sectorsPerCluster)) throw bad(`sectors per cluster ${sectorsPerCluster} is not a power of two`, BS.SECTORS_PER_CLUSTER);
  if (sectorsPerCluster * sectorBytes > 64 * 1024) throw bad(`clusters of ${sectorsPerCluster * sectorBytes} bytes exceed 64 KiB`, BS.SECTORS_PER_CLUSTER);
  if (reservedSectors < 1) throw bad('no reserved sector', BS.RESERVED_SECTORS);
  if (numFats < 1 || numFats > 2) throw bad(`${numFats} FATs (1 or 2 allowed)`, BS.NUM_FATS);
  if (!validMedia(media)) throw bad(`media descriptor 0x${media.toString(16)}`, BS.MEDIA);
  if (fatSectors === 0) throw bad('FAT size 0', BS.FAT_SIZE_16);
  if (rootEntries === 0 || (rootEntries * DIR.ENTRY_BYTES) % sectorBytes !== 0) throw bad(`root entries ${rootEntries} do not fill whole sectors`, BS.ROOT_ENTRIES);
  const g = derive({ sectorBytes, sectorsPerCluster, reservedSectors, numFats, rootEntries, totalSectors, fatSectors });
  if (g.dataStart >= totalSectors || g.clusters < 1) throw bad(`${totalSectors} sectors leave no data cluster after ${g.dataStart} of metadata`, BS.TOTAL_SECTORS_16);
  if (g.clusters > FAT16_MAX_CLUSTERS) throw corruptData('fat-unsupported', `${g.clusters} clusters: FAT32, which is not read`, r.where(BS.TOTAL_SECTORS_16));
  if (fatSectors * sectorBytes * 8 < (g.clusters + 2) * fatBits(g.type)) throw bad(`a FAT of ${fatSectors} sectors cannot map ${g.clusters} clusters`, BS.FAT_SIZE_16);
  if (totalSectors * sectorBytes > imageBytes) {
    throw corruptData('fat-truncated', `the volume is ${totalSectors * sectorBytes} bytes, the image ${imageBytes}`, r.where(BS.TOTAL_SECTORS_16));
  }
  const extended = r.u8(BS.BOOT_SIGNATURE) === BOOT_SIGNATURE_VALUE;
  return {
    geometry: g,
    media,
    serial: extended ? r.le32(BS.VOLUME_ID) : undefined,
    label: extended ? labelAt(r.bytes, BS.VOLUME_LABEL) : undefined,
  };
}
