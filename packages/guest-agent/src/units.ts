import { fileURLToPath } from 'node:url';

/**
 * What installs the agent into an image: where its files go, the systemd
 * unit, the SysV init script and the shell installer of the bundle tarball.
 */

export const AGENT_FILE = 'stratus-context-agent.mjs';
export const INSTALL_DIR = '/opt/stratus-context';
export const UNIT_PATH = '/etc/systemd/system/stratus-context.service';
export const UNIT_WANTS = '/etc/systemd/system/multi-user.target.wants/stratus-context.service';
export const INIT_SCRIPT_PATH = '/etc/init.d/stratus-context';
export const WRAPPER_PATH = '/usr/local/sbin/stratus-context-agent';

/** The one-file agent, built by `npm run build` beside this module (or this very file, once bundled). */
export function agentBundlePath(): string {
  return fileURLToPath(new URL(`./${AGENT_FILE}`, import.meta.url));
}

/**
 * Ordered before sshd so the keys are there when logins start. Type=oneshot
 * with RemainAfterExit=yes: a server that a script starts stays in the
 * unit's cgroup and is not killed when the agent exits.
 */
export function systemdUnit(node: string): string {
  return `[Unit]
Description=stratus-context: apply the VM context (ssh keys, hostname, scripts)
Documentation=man:stratus-context-agent(8)
After=local-fs.target systemd-udev-trigger.service
Before=ssh.service sshd.service cloud-init.service
ConditionPathExists=${INSTALL_DIR}/${AGENT_FILE}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${node} ${INSTALL_DIR}/${AGENT_FILE} apply
TimeoutStartSec=30min
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;
}

export function sysvInitScript(node: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          stratus-context
# Required-Start:    $local_fs
# Required-Stop:
# X-Start-Before:    ssh sshd
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: apply the VM context (ssh keys, hostname, scripts)
### END INIT INFO

case "$1" in
  start)
    ${node} ${INSTALL_DIR}/${AGENT_FILE} apply
    ;;
  status)
    ${node} ${INSTALL_DIR}/${AGENT_FILE} status
    ;;
  stop|restart|force-reload)
    ;;
  *)
    echo "usage: $0 start|status" >&2
    exit 2
    ;;
esac
`;
}

export function wrapperScript(node: string): string {
  return `#!/bin/sh\nexec ${node} ${INSTALL_DIR}/${AGENT_FILE} "$@"\n`;
}

/** The installer shipped in the bundle tarball: `sh install.sh [ROOT]`. */
export function installShellScript(node: string): string {
  return `#!/bin/sh
# Installs the stratus-context agent into ROOT (default /): the agent, a
# systemd unit ordered before sshd (enabled) or, without systemd, a SysV
# init script. Needs only node (${node}) in the guest.
set -eu
ROOT="\${1:-/}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$ROOT${INSTALL_DIR}" "$ROOT$(dirname ${WRAPPER_PATH})"
install -m 0644 "$HERE/${AGENT_FILE}" "$ROOT${INSTALL_DIR}/${AGENT_FILE}"
install -m 0755 "$HERE/stratus-context-agent" "$ROOT${WRAPPER_PATH}"
if [ -d "$ROOT/etc/systemd/system" ] || [ -d "$ROOT/lib/systemd/system" ]; then
  mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
  install -m 0644 "$HERE/stratus-context.service" "$ROOT${UNIT_PATH}"
  ln -sf ${UNIT_PATH} "$ROOT${UNIT_WANTS}"
  echo "installed the systemd unit stratus-context.service (enabled)"
else
  mkdir -p "$ROOT/etc/init.d"
  install -m 0755 "$HERE/stratus-context.init" "$ROOT${INIT_SCRIPT_PATH}"
  if [ "$ROOT" = / ] && command -v update-rc.d >/dev/null 2>&1; then update-rc.d stratus-context defaults; fi
  echo "installed the SysV init script ${INIT_SCRIPT_PATH}"
fi
echo "installed ${INSTALL_DIR}/${AGENT_FILE} and ${WRAPPER_PATH}"
`;
}
