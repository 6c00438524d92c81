import { closeSync, existsSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { ContextError, type FormatName } from '@stratus-context/core';
import { loadContext, type LoadedContext } from '@stratus-context/core/node';
import type { GuestRoot } from './guest-root.js';

/**
 * Where a context comes from, tried in this order:
 *  1. block devices (and, under --root, image files in /dev) whose ISO 9660
 *     volume id names a context, by label: CONTEXT, cidata, CIDATA, config-2,
 *     HEPIX, _STRATUSLAB. The device is read directly: no mount, no blkid,
 *     no iso9660 kernel module.
 *  2. seed directories: cloud-init's and a mounted context disk.
 * A device whose label is ours but whose content does not decode is a broken
 * context: the search stops there with its error, rather than applying
 * something else.
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
/** Device names worth a look: CD-ROMs and virtual disks. */
const DEVICE_NAME = /^(sr\d+|cdrom\d*|hd[a-z]|sd[a-z]+|vd[a-z]+|xvd[a-z]+)$/;
const PVD_OFFSET = 16 * 2048;

export interface FoundContext extends LoadedContext {
  /** The guest path of the device, directory or file it came from. */
  source: string;
}

/** The volume id of an ISO 9660 device or image, or undefined when it is not one. */
export function readVolumeId(hostPath: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(hostPath, 'r');
  } catch {
    return undefined; // no medium in the drive, no permission: not a context
  }
  try {
    const pvd = Buffer.alloc(2048);
    if (readSync(fd, pvd, 0, 2048, PVD_OFFSET) < 2048) return undefined;
    if (pvd[0] !== 1 || pvd.toString('latin1', 1, 6) !== 'CD001') return undefined;
    return pvd.toString('latin1', 40, 72).trimEnd();
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Candidate devices, as guest paths: /dev entries named like disks and CD-ROMs, in name order. */
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
      if (!(st.isBlockDevice() || st.isFile()) || seen.has(real)) continue;
      seen.add(real);
      out.push(`/dev/${name}`);
    } catch {
      // a dangling link: skip
    }
  }
  return out;
}

export interface FindOptions {
  /** A disk image, block device or directory to read instead of searching (a host path). */
  source?: string;
  format?: FormatName;
  maxDecodedBytes?: number;
}

function broken(source: string, e: unknown): ContextError {
  const why = e instanceof ContextError ? e.message : (e as Error).message;
  return new ContextError('broken-context', 'corrupt-data', `broken context on ${source}: ${why}`, { file: source }, { cause: e });
}

export async function findContext(root: GuestRoot, options: FindOptions = {}): Promise<FoundContext> {
  const decode = { format: options.format, maxDecodedBytes: options.maxDecodedBytes };
  if (options.source !== undefined) {
    try {
      return { ...(await loadContext(options.source, decode)), source: options.source };
    } catch (e) {
      if (e instanceof ContextError && e.code === 'unreadable-file') throw e;
      throw broken(options.source, e);
    }
  }
  const labelled = candidateDevices(root)
    .map((guest) => ({ guest, label: readVolumeId(root.path(guest)) }))
    .filter((d): d is { guest: string; label: string } => d.label !== undefined && LABEL_ORDER.includes(d.label))
    .sort((a, b) => LABEL_ORDER.indexOf(a.label) - LABEL_ORDER.indexOf(b.label));
  const first = labelled[0];
  if (first !== undefined) {
    try {
      return { ...(await loadContext(root.path(first.guest), decode)), source: first.guest };
    } catch (e) {
      throw broken(first.guest, e);
    }
  }
  for (const dir of SEED_DIRS) {
    const host = root.path(dir);
    if (!existsSync(host) || !statSync(host).isDirectory()) continue;
    try {
      return { ...(await loadContext(host, decode)), source: dir };
    } catch (e) {
      if (e instanceof ContextError && e.code === 'unknown-context') continue;
      throw broken(dir, e);
    }
  }
  throw new ContextError('no-context', 'invalid-input', `no context found: no disk labelled ${LABEL_ORDER.join(', ')} and no seed directory (${SEED_DIRS.join(', ')})`);
}
