import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ContextError } from '@stratus-context/core';
import { GuestRoot } from './guest-root.js';
import { ensureDir, writeGuestFile } from './safe-fs.js';
import {
  AGENT_FILE,
  INIT_DIR,
  INIT_SCRIPT_NAME,
  INSTALL_DIR,
  RH_SYSV_DIR,
  SCRIPTS_UNIT_PATH,
  SCRIPTS_UNIT_WANTS,
  SYSTEMD_BINARIES,
  SYSV_RUNLEVELS,
  SYSV_START_LINK,
  UNIT_PATH,
  UNIT_WANTS,
  WRAPPER_PATH,
  agentBundlePath,
  systemdScriptsUnit,
  systemdUnit,
  sysvInitScript,
  wrapperScript,
} from './units.js';

/**
 * Installs the agent into a mounted image root (or `/`): the bundled agent,
 * a wrapper command, both systemd units (enabled: inert where systemd is
 * not the init) and the SysV init script, enabled when the image has no
 * systemd. Every file is written to a temporary name and renamed, with a
 * fixed mode, owned by root when this runs as root, never through a
 * symbolic link; so is every link. Returns what it did, a line each.
 */

const ROOT_OWNED = { uid: 0, gid: 0 };
const FILE_MODE = 0o644;
const EXEC_MODE = 0o755;
const DIR_MODE = 0o755;

function isDir(root: GuestRoot, guestPath: string): boolean {
  try {
    return lstatSync(root.path(guestPath)).isDirectory();
  } catch {
    return false;
  }
}

/** A folder we put something in: created root-owned 0755 when missing, left as it is when there. */
function folder(root: GuestRoot, guestPath: string): void {
  root.assertNoSymlinks(guestPath);
  if (!isDir(root, guestPath)) ensureDir(root, guestPath, { mode: DIR_MODE, ...ROOT_OWNED });
}

/** Makes `guestPath` a symbolic link to `target`: a new link beside it, renamed over whatever was there. */
function link(root: GuestRoot, guestPath: string, target: string): void {
  folder(root, dirname(guestPath));
  const host = root.path(guestPath);
  const tmp = `${dirname(host)}/.${basename(host)}.${process.pid}.tmp`;
  try {
    unlinkSync(tmp);
  } catch {
    // none left over
  }
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, host);
  } catch (e) {
    unlinkSync(tmp);
    throw new ContextError('install-failed', 'invalid-input', `cannot enable ${guestPath}: ${(e as Error).message}`, { file: guestPath }, { cause: e });
  }
}

function put(root: GuestRoot, guestPath: string, content: string | Buffer, mode: number): void {
  folder(root, dirname(guestPath));
  writeGuestFile(root, guestPath, content, { mode, ...ROOT_OWNED });
}

/** Where SysV scripts live: /etc, or /etc/rc.d where /etc/init.d is Red Hat's link into it. */
function sysvDir(root: GuestRoot): string {
  let initdIsLink = false;
  try {
    initdIsLink = lstatSync(root.path(INIT_DIR)).isSymbolicLink();
  } catch {
    // no /etc/init.d yet
  }
  return initdIsLink && isDir(root, `${RH_SYSV_DIR}/init.d`) ? RH_SYSV_DIR : '/etc';
}

/** Enables the SysV script: update-rc.d on a running system that has it, else the start links. */
function enableSysv(root: GuestRoot, sysv: string): string {
  if (root.isReal) {
    const res = spawnSync('update-rc.d', [INIT_SCRIPT_NAME, 'defaults'], { encoding: 'utf8' });
    if (!res.error) {
      if (res.status !== 0) throw new ContextError('install-failed', 'invalid-input', `update-rc.d ${INIT_SCRIPT_NAME} defaults failed: ${res.stderr.trim()}`);
      return 'enabled by update-rc.d';
    }
  }
  for (const n of SYSV_RUNLEVELS) link(root, `${sysv}/rc${n}.d/${SYSV_START_LINK}`, `../init.d/${INIT_SCRIPT_NAME}`);
  return `enabled in runlevels ${SYSV_RUNLEVELS.join(' ')}`;
}

export function installAgent(rootDir: string, node: string): string[] {
  const root = new GuestRoot(rootDir);
  if (!existsSync(root.dir)) throw new ContextError('no-root', 'invalid-input', `${rootDir} does not exist`, { file: rootDir });
  let bundle: Buffer;
  try {
    bundle = readFileSync(agentBundlePath());
  } catch (e) {
    throw new ContextError('no-bundle', 'internal', `the bundled agent ${agentBundlePath()} is missing: run npm run build`, {}, { cause: e });
  }
  put(root, `${INSTALL_DIR}/${AGENT_FILE}`, bundle, FILE_MODE);
  put(root, WRAPPER_PATH, wrapperScript(node), EXEC_MODE);
  put(root, UNIT_PATH, systemdUnit(node), FILE_MODE);
  put(root, SCRIPTS_UNIT_PATH, systemdScriptsUnit(node), FILE_MODE);
  link(root, UNIT_WANTS, UNIT_PATH);
  link(root, SCRIPTS_UNIT_WANTS, SCRIPTS_UNIT_PATH);
  const sysv = sysvDir(root);
  const script = `${sysv}/init.d/${INIT_SCRIPT_NAME}`;
  put(root, script, sysvInitScript(node), EXEC_MODE);
  const systemd = SYSTEMD_BINARIES.some((b) => existsSync(root.path(b)));
  return [
    `installed ${INSTALL_DIR}/${AGENT_FILE} (${bundle.length} bytes) and ${WRAPPER_PATH}`,
    `installed ${UNIT_PATH} and ${SCRIPTS_UNIT_PATH}, enabled in multi-user.target`,
    `installed ${script}, ${systemd ? 'not enabled: the image has systemd' : enableSysv(root, sysv)}`,
  ];
}
