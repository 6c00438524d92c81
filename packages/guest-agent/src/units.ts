import { fileURLToPath } from 'node:url';

/**
 * What installs the agent into an image: where its files go, the two
 * systemd units, the SysV init script and the shell installer of the bundle
 * tarball.
 *
 * The agent runs in two phases, as cloud-init's stages do:
 *   stratus-context.service          `apply --phase config`: find, decode,
 *                                    users, keys, hostname, files; before
 *                                    sshd, cron and user logins, so the keys
 *                                    are there when logins start;
 *   stratus-context-scripts.service  `apply --phase scripts`: the context's
 *                                    scripts, after the network is up and
 *                                    without holding sshd back.
 */

export const AGENT_FILE = 'stratus-context-agent.mjs';
export const INSTALL_DIR = '/opt/stratus-context';
export const UNIT_NAME = 'stratus-context.service';
export const SCRIPTS_UNIT_NAME = 'stratus-context-scripts.service';
export const UNIT_DIR = '/etc/systemd/system';
export const UNIT_PATH = `${UNIT_DIR}/${UNIT_NAME}`;
export const SCRIPTS_UNIT_PATH = `${UNIT_DIR}/${SCRIPTS_UNIT_NAME}`;
/** Where `systemctl enable` puts the link of a unit wanted by multi-user.target. */
export const WANTS_DIR = `${UNIT_DIR}/multi-user.target.wants`;
export const UNIT_WANTS = `${WANTS_DIR}/${UNIT_NAME}`;
export const SCRIPTS_UNIT_WANTS = `${WANTS_DIR}/${SCRIPTS_UNIT_NAME}`;
export const INIT_SCRIPT_NAME = 'stratus-context';
export const INIT_DIR = '/etc/init.d';
export const INIT_SCRIPT_PATH = `${INIT_DIR}/${INIT_SCRIPT_NAME}`;
/** The runlevels the SysV script starts in, and its start link's name (before ssh's, which Debian numbers S01 or later). */
export const SYSV_RUNLEVELS = [2, 3, 4, 5] as const;
export const SYSV_START_LINK = `S01${INIT_SCRIPT_NAME}`;
/** Red Hat's SysV folders, where its /etc/init.d and /etc/rcN.d links lead. */
export const RH_SYSV_DIR = '/etc/rc.d';
export const WRAPPER_PATH = '/usr/local/sbin/stratus-context-agent';
/** Present in an image whose init is systemd: there the SysV script stays installed but is not enabled. */
export const SYSTEMD_BINARIES = ['/lib/systemd/systemd', '/usr/lib/systemd/systemd'];

/** The one-file agent, built by `npm run build` beside this module (or this very file, once bundled). */
export function agentBundlePath(): string {
  return fileURLToPath(new URL(`./${AGENT_FILE}`, import.meta.url));
}

const agentCommand = (node: string, args: string) => `${node} ${INSTALL_DIR}/${AGENT_FILE} ${args}`;

/**
 * The config phase, ordered before sshd, cron and user sessions: keys,
 * hostname and files are in place when the first login can happen. Not
 * after the network: nothing it does needs one, and a hostname set before
 * DHCP is the one DHCP sends. Its only wait is for the context device
 * (agent.conf's device_wait), so a bounded timeout keeps a stuck read from
 * holding logins back for ever.
 */
export function systemdUnit(node: string): string {
  return `[Unit]
Description=stratus-context: apply the VM context (ssh keys, hostname, files)
Documentation=man:stratus-context-agent(8)
After=local-fs.target systemd-udev-trigger.service
Before=ssh.service sshd.service systemd-user-sessions.service cron.service cloud-init.service
ConditionPathExists=${INSTALL_DIR}/${AGENT_FILE}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${agentCommand(node, 'apply --phase config')}
TimeoutStartSec=5min
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The scripts phase, after the network (what cloud-init's final stage
 * does): scripts that fetch or serve something find it up. Type=oneshot
 * with RemainAfterExit=yes: a server that a script starts stays in the
 * unit's cgroup and is not killed when the agent exits. No start timeout:
 * the agent times each script out itself (--script-timeout), and a
 * context may hold many.
 */
export function systemdScriptsUnit(node: string): string {
  return `[Unit]
Description=stratus-context: run the VM context's scripts
Documentation=man:stratus-context-agent(8)
Wants=network-online.target
After=network-online.target ${UNIT_NAME}
ConditionPathExists=${INSTALL_DIR}/${AGENT_FILE}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${agentCommand(node, 'apply --phase scripts')}
TimeoutStartSec=infinity
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The SysV script: `start` runs the config phase and waits for it (sshd is
 * started after this script), then the scripts phase in the background, so
 * a long script holds back neither sshd nor the rest of the boot. The
 * scripts run only when the config phase applied a context.
 */
export function sysvInitScript(node: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${INIT_SCRIPT_NAME}
# Required-Start:    $local_fs
# Should-Start:      $network
# Required-Stop:
# X-Start-Before:    ssh sshd cron
# Default-Start:     ${SYSV_RUNLEVELS.join(' ')}
# Default-Stop:
# Short-Description: apply the VM context (ssh keys, hostname, files, then scripts)
### END INIT INFO

case "$1" in
  start)
    ${agentCommand(node, 'apply --phase config')} || exit $?
    ${agentCommand(node, 'apply --phase scripts')} </dev/null &
    ;;
  status)
    ${agentCommand(node, 'status')}
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
  return `#!/bin/sh\nexec ${agentCommand(node, '"$@"')}\n`;
}

/** The installer shipped in the bundle tarball: `sh install.sh [ROOT]`, the same as `stratus-context-agent install --root ROOT`. */
export function installShellScript(node: string): string {
  return `#!/bin/sh
# Installs the stratus-context agent into ROOT (default /): the agent, the
# systemd units ${UNIT_NAME} (keys, hostname, files; before
# sshd) and ${SCRIPTS_UNIT_NAME} (the scripts, after the
# network), both enabled, and the SysV init script, enabled when the image
# has no systemd. Needs only node (${node}) in the guest.
# Every file goes to a temporary name and is renamed into place, owned by
# root when this runs as root; a symbolic link on the way is refused.
set -eu
ROOT="\${1:-/}"
ROOT="\${ROOT%/}"
HERE="$(cd "$(dirname "$0")" && pwd)"
AS_ROOT=no
[ "$(id -u)" = 0 ] && AS_ROOT=yes

# walk PATH [mkdir]: refuse when a component of ROOT/PATH is a symbolic link;
# with mkdir, make the missing ones, root-owned 0755 whatever the umask.
walk() {
  p="$ROOT"
  for c in $(echo "$1" | tr / ' '); do
    p="$p/$c"
    if [ -L "$p" ]; then echo "install.sh: refusing $1: \${p#"$ROOT"} is a symbolic link" >&2; exit 1; fi
    if [ $# -gt 1 ] && [ ! -d "$p" ]; then
      mkdir -m 0755 "$p"
      if [ $AS_ROOT = yes ]; then chown 0:0 "$p"; fi
    fi
  done
}
# put MODE SRC PATH: SRC becomes ROOT/PATH.
put() {
  walk "$(dirname "$3")" mkdir
  walk "$3"
  tmp="$ROOT$(dirname "$3")/.$(basename "$3").$$.tmp"
  rm -f "$tmp"
  cp "$2" "$tmp"
  chmod "$1" "$tmp"
  if [ $AS_ROOT = yes ]; then chown 0:0 "$tmp"; fi
  mv -f "$tmp" "$ROOT$3"
}
# link TARGET PATH: ROOT/PATH is a symbolic link to TARGET.
link() {
  walk "$(dirname "$2")" mkdir
  ln -sfn "$1" "$ROOT$2"
}

put 0644 "$HERE/${AGENT_FILE}" ${INSTALL_DIR}/${AGENT_FILE}
put 0755 "$HERE/stratus-context-agent" ${WRAPPER_PATH}
put 0644 "$HERE/${UNIT_NAME}" ${UNIT_PATH}
put 0644 "$HERE/${SCRIPTS_UNIT_NAME}" ${SCRIPTS_UNIT_PATH}
link ${UNIT_PATH} ${UNIT_WANTS}
link ${SCRIPTS_UNIT_PATH} ${SCRIPTS_UNIT_WANTS}
echo "installed the systemd units ${UNIT_NAME} and ${SCRIPTS_UNIT_NAME} (enabled)"
# Red Hat's layout: /etc/init.d and /etc/rcN.d are links into /etc/rc.d.
SYSV=/etc
if [ -L "$ROOT/etc/init.d" ] && [ -d "$ROOT${RH_SYSV_DIR}/init.d" ]; then SYSV=${RH_SYSV_DIR}; fi
put 0755 "$HERE/stratus-context.init" $SYSV/init.d/${INIT_SCRIPT_NAME}
if [ -e "$ROOT${SYSTEMD_BINARIES[0]}" ] || [ -e "$ROOT${SYSTEMD_BINARIES[1]}" ]; then
  echo "installed the SysV init script $SYSV/init.d/${INIT_SCRIPT_NAME} (not enabled: the image has systemd)"
elif [ -z "$ROOT" ] && command -v update-rc.d >/dev/null 2>&1; then
  update-rc.d ${INIT_SCRIPT_NAME} defaults
  echo "installed the SysV init script $SYSV/init.d/${INIT_SCRIPT_NAME} (enabled by update-rc.d)"
else
  for n in ${SYSV_RUNLEVELS.join(' ')}; do link ../init.d/${INIT_SCRIPT_NAME} $SYSV/rc$n.d/${SYSV_START_LINK}; done
  echo "installed the SysV init script $SYSV/init.d/${INIT_SCRIPT_NAME} (enabled in runlevels ${SYSV_RUNLEVELS.join(' ')})"
fi
echo "installed ${INSTALL_DIR}/${AGENT_FILE} and ${WRAPPER_PATH}"
`;
}
