import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContextError, type FormatName } from '@stratus-context/core';
import { loadContext, type LoadedContext } from '@stratus-context/core/node';
import { CONFIG_FILE, loadConfig, type AgentConfig } from './config.js';
import type { GuestRoot } from './guest-root.js';

/**
 * Where a context comes from, tried in this order:
 *  1. devices in /dev whose volume label names a context (CONTEXT, cidata,
 *     CIDATA, config-2, HEPIX, _STRATUSLAB), read directly: no mount, no
 *     blkid, no iso9660 kernel module. Read-only and removable devices (the
 *     cloud's CD-ROM) come first; a writable disk is a context source only
 *     when agent.conf says `writable_disks = yes`, since anyone who can attach
 *     a data volume could otherwise label it CONTEXT and get root on the next
 *     boot (cloud-init's CVE-2020-11933). When no device is there yet, the
 *     agent polls for one for agent.conf's `device_wait` rather than trust
 *     udev to have settled.
 *  2. seed directories: cloud-init's and a mounted context disk.
 * A device that is a context source and does not decode is a broken context:
 * the search stops there with its error, rather than applying something else.
 */
export const LABEL_ORDER = ['CONTEXT', 'cidata', 'CIDATA', 'config-2', 'HEPIX', '_STRATUSLAB'];
export const SEED_DIRS = [
  '/var/lib/cloud/seed/nocloud',
  '/var/lib/cloud/seed/nocloud-net',
  '/var/lib/cloud/seed/config_drive',
  '/var/lib/cloud/seed/opennebula',
  '/mnt/context',
  '/media/context',
];
/** Device names worth a look: CD-ROMs and virtual disks (whole disks: partitions carry no ISO 9660 volume). */
const DEVICE_NAME = /^(sr\d+|cdrom\d*|hd[a-z]|sd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+)$/;
/** How often /dev is looked at again while waiting for the context device. */
export const DEVICE_POLL_MS = 100;
const PVD_OFFSET = 16 * 2048;
const SECTOR = 2048;

export interface FoundContext extends LoadedContext {
  /** The guest path of the device, directory or file it came from. */
  source: string;
  /** What the search passed over and the operator should know: other labelled devices, refused writable disks. */
  warnings: string[];
}

/** A device that carries a context label. */
export interface LabelledDevice {
  /** Its guest path, e.g. /dev/sr0. */
  path: string;
  label: string;
  /** Read-only or removable (a CD-ROM): the cloud's. Otherwise a writable disk. */
  readOnly: boolean;
}

type Kind = { isBlockDevice(): boolean; isFile(): boolean };

/** Opens read-only without blocking (a FIFO or a tty opens at once); keeps the descriptor only when fstat's answer is `wanted`. */
function openIf(hostPath: string, wanted: (st: Kind) => boolean): number | undefined {
  let fd: number;
  try {
    fd = openSync(hostPath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return undefined; // gone, no medium in the drive, no permission: not a context
  }
  try {
    if (wanted(fstatSync(fd))) return fd;
  } catch {
    // fall through
  }
  closeSync(fd);
  return undefined;
}

/**
 * Opens a block device, or when `files` (under --root) an image file, to
 * read it. Anything else is not even opened: for some character devices
 * (tapes) that alone acts.
 */
function openDevice(hostPath: string, files: boolean): number | undefined {
  const wanted = (st: Kind) => st.isBlockDevice() || (files && st.isFile());
  try {
    if (!wanted(statSync(hostPath))) return undefined;
  } catch {
    return undefined;
  }
  return openIf(hostPath, wanted);
}

function readAt(fd: number, length: number, position: number): Buffer | undefined {
  const buf = Buffer.alloc(length);
  try {
    return readSync(fd, buf, 0, length, position) === length ? buf : undefined;
  } catch {
    return undefined; // EIO on a drive without a medium
  }
}

/**
 * The volume label of an open device, or undefined when it has none we read.
 * One place for every file system a context disk may use: today ISO 9660
 * (the primary volume descriptor's volume id, ECMA-119 8.4.6); a FAT volume
 * label would be read here too.
 */
export function sniffLabel(fd: number): string | undefined {
  const pvd = readAt(fd, SECTOR, PVD_OFFSET);
  if (pvd !== undefined && pvd[0] === 1 && pvd.toString('latin1', 1, 6) === 'CD001') return pvd.toString('latin1', 40, 72).trimEnd();
  return undefined;
}

/** The volume label of a block device, or image file when `files`; undefined when it is neither or has none. */
export function readVolumeId(hostPath: string, files = true): string | undefined {
  const fd = openDevice(hostPath, files);
  if (fd === undefined) return undefined;
  try {
    return sniffLabel(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Candidate devices, as guest paths: /dev entries named like disks and
 * CD-ROMs, in name order, each real device once. On a real root only block
 * devices; under --root, image files too.
 */
export function candidateDevices(root: GuestRoot): string[] {
  const dev = root.path('/dev');
  if (!existsSync(dev)) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of readdirSync(dev).sort()) {
    if (!DEVICE_NAME.test(name)) continue;
    try {
      const real = realpathSync(`${dev}/${name}`);
      const st = statSync(real);
      if (!(st.isBlockDevice() || (!root.isReal && st.isFile())) || seen.has(real)) continue;
      seen.add(real);
      out.push(`/dev/${name}`);
    } catch {
      // a dangling link: skip
    }
  }
  return out;
}

/** A small sysfs attribute (`1`, `0`), read without blocking; undefined when absent. */
function sysAttr(root: GuestRoot, path: string): string | undefined {
  const fd = openIf(root.path(path), (st) => st.isFile());
  if (fd === undefined) return undefined;
  try {
    const buf = Buffer.alloc(16);
    return buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).trim();
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Read-only or removable: a CD-ROM (sr*), or sysfs's `ro` or `removable` is 1 (under --root, DIR/sys/block/NAME/...). */
export function isReadOnlyDevice(root: GuestRoot, guestPath: string): boolean {
  let name: string;
  try {
    name = basename(realpathSync(root.path(guestPath)));
  } catch {
    return false;
  }
  if (/^sr\d+$/.test(name)) return true;
  return sysAttr(root, `/sys/block/${name}/ro`) === '1' || sysAttr(root, `/sys/block/${name}/removable`) === '1';
}

/** Every candidate device that carries one of LABEL_ORDER's labels. */
export function labelledDevices(root: GuestRoot): LabelledDevice[] {
  const out: LabelledDevice[] = [];
  for (const path of candidateDevices(root)) {
    const label = readVolumeId(root.path(path), !root.isReal);
    if (label !== undefined && LABEL_ORDER.includes(label)) out.push({ path, label, readOnly: isReadOnlyDevice(root, path) });
  }
  return out;
}

interface DeviceChoice {
  /** The devices that may be the context, best first. */
  usable: LabelledDevice[];
  /** Labelled devices that agent.conf does not let be the context, with why. */
  refused: { device: LabelledDevice; why: string }[];
}

/** Read-only before writable, then by label in LABEL_ORDER, then by name. */
export function chooseDevices(devices: readonly LabelledDevice[], config: AgentConfig): DeviceChoice {
  const choice: DeviceChoice = { usable: [], refused: [] };
  const labels = config.labels ?? LABEL_ORDER;
  for (const device of devices) {
    if (!labels.includes(device.label)) choice.refused.push({ device, why: `its label ${device.label} is not in the labels of ${CONFIG_FILE}` });
    else if (!device.readOnly && !config.writableDisks) choice.refused.push({ device, why: `a writable disk labelled ${device.label} is a context source only with writable_disks = yes in ${CONFIG_FILE}` });
    else choice.usable.push(device);
  }
  const rank = (d: LabelledDevice) => (d.readOnly ? 0 : LABEL_ORDER.length) + LABEL_ORDER.indexOf(d.label);
  choice.usable.sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return choice;
}

const named = (d: LabelledDevice) => `${d.path} (${d.label}${d.readOnly ? '' : ', writable'})`;

export interface FindOptions {
  /** A disk image, block device or directory to read instead of searching (a host path); agent.conf does not apply to it. */
  source?: string;
  format?: FormatName;
  maxDecodedBytes?: number;
  /** The agent configuration; read from the guest's agent.conf when not given. */
  config?: AgentConfig;
  /** Called with each warning as it is found (they are in the result too). */
  onWarning?: (message: string) => void;
}

function broken(source: string, e: unknown): ContextError {
  const why = e instanceof ContextError ? e.message : (e as Error).message;
  return new ContextError('broken-context', 'corrupt-data', `broken context on ${source}: ${why}`, { file: source }, { cause: e });
}

/** Polls until a usable labelled device is there or the wait is over. */
async function waitForDevices(root: GuestRoot, config: AgentConfig): Promise<DeviceChoice> {
  const deadline = Date.now() + config.deviceWaitMs;
  for (;;) {
    const choice = chooseDevices(labelledDevices(root), config);
    if (choice.usable.length > 0 || Date.now() >= deadline) return choice;
    await sleep(Math.min(DEVICE_POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

export async function findContext(root: GuestRoot, options: FindOptions = {}): Promise<FoundContext> {
  const decode = { format: options.format, maxDecodedBytes: options.maxDecodedBytes };
  if (options.source !== undefined) {
    try {
      return { ...(await loadContext(options.source, decode)), source: options.source, warnings: [] };
    } catch (e) {
      if (e instanceof ContextError && e.code === 'unreadable-file') throw e;
      throw broken(options.source, e);
    }
  }
  const config = options.config ?? loadConfig(root, LABEL_ORDER);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  /** A context of a format agent.conf does not accept is passed over, as a disk that is not ours. */
  const accepted = (found: LoadedContext, source: string): boolean => {
    if (config.formats === undefined || config.formats.includes(found.format)) return true;
    warn(`ignoring the ${found.format} context on ${source}: ${CONFIG_FILE} accepts only ${config.formats.join(', ')}`);
    return false;
  };

  const { usable, refused } = await waitForDevices(root, config);
  for (const { device, why } of refused) warn(`ignoring ${device.path}: ${why}`);
  if (usable.length > 1) warn(`several devices carry a context: using ${named(usable[0]!)}, ignoring ${usable.slice(1).map(named).join(', ')}`);
  for (const device of usable) {
    let found: LoadedContext;
    try {
      found = await loadContext(root.path(device.path), decode);
    } catch (e) {
      throw broken(device.path, e);
    }
    if (accepted(found, device.path)) return { ...found, source: device.path, warnings };
  }
  for (const dir of SEED_DIRS) {
    const host = root.path(dir);
    if (!existsSync(host) || !statSync(host).isDirectory()) continue;
    let found: LoadedContext;
    try {
      found = await loadContext(host, decode);
    } catch (e) {
      if (e instanceof ContextError && e.code === 'unknown-context') continue;
      throw broken(dir, e);
    }
    if (accepted(found, dir)) return { ...found, source: dir, warnings };
  }
  const labels = (config.labels ?? LABEL_ORDER).join(', ');
  throw new ContextError('no-context', 'invalid-input', `no context found: no ${config.writableDisks ? '' : 'read-only '}device labelled ${labels} and no seed directory (${SEED_DIRS.join(', ')})`);
}
