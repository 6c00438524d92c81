import { existsSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { ContextError } from '@stratus-context/core';
import { GuestRoot } from './guest-root.js';
import { AGENT_FILE, INIT_SCRIPT_PATH, INSTALL_DIR, UNIT_PATH, UNIT_WANTS, WRAPPER_PATH, agentBundlePath, systemdUnit, sysvInitScript, wrapperScript } from './units.js';

/**
 * Installs the agent into a mounted image root: the bundled agent, a wrapper
 * command, the systemd unit (enabled) and the SysV init script. Returns what
 * it did, a line each.
 */
export function installAgent(rootDir: string, node: string): string[] {
  const root = new GuestRoot(rootDir);
  if (!existsSync(root.dir)) throw new ContextError('no-root', 'invalid-input', `${rootDir} does not exist`, { file: rootDir });
  let bundle: Buffer;
  try {
    bundle = readFileSync(agentBundlePath());
  } catch (e) {
    throw new ContextError('no-bundle', 'internal', `the bundled agent ${agentBundlePath()} is missing: run npm run build`, {}, { cause: e });
  }
  const put = (guestPath: string, content: string | Buffer, mode: number) => {
    root.assertNoSymlinks(guestPath);
    mkdirSync(dirname(root.path(guestPath)), { recursive: true });
    writeFileSync(root.path(guestPath), content);
    chmodSync(root.path(guestPath), mode);
  };
  put(`${INSTALL_DIR}/${AGENT_FILE}`, bundle, 0o644);
  put(WRAPPER_PATH, wrapperScript(node), 0o755);
  put(UNIT_PATH, systemdUnit(node), 0o644);
  root.assertNoSymlinks(dirname(UNIT_WANTS));
  mkdirSync(dirname(root.path(UNIT_WANTS)), { recursive: true });
  try {
    unlinkSync(root.path(UNIT_WANTS));
  } catch {
    // not enabled yet
  }
  symlinkSync(UNIT_PATH, root.path(UNIT_WANTS));
  put(INIT_SCRIPT_PATH, sysvInitScript(node), 0o755);
  return [
    `installed ${INSTALL_DIR}/${AGENT_FILE} (${bundle.length} bytes) and ${WRAPPER_PATH}`,
    `installed ${UNIT_PATH}, enabled in multi-user.target`,
    `installed ${INIT_SCRIPT_PATH}`,
  ];
}
