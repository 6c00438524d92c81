#!/bin/sh
# /etc/stratus/rc.sysinit of the fast guest (initramfs; busybox init is PID 1
# and runs this first, see fast-inittab). Sets the machine up, then returns;
# inittab then runs the agent (run-agent.sh).
#
# Serial-log markers a test can wait for (each on its own line):
#   STRATUS-INIT: ready            devices, network, data disk and sshd are up
#   STRATUS-AGENT: start <cmd>     the agent command line is starting
#   STRATUS-AGENT: exit <code>     it exited (0: the guest stays up)
#
# Kernel command line options (boot.sh --append):
#   stratus.net=dhcp|static|none   eth0 by udhcpc (default), by qemu user-net's
#                                  fixed 10.0.2.15/24 via 10.0.2.2, or left down
#                                  (for an agent that configures it itself)
#   stratus.onfail=poweroff|stay   what to do when the agent exits non-zero
#                                  (default poweroff: the host sees qemu exit)
#   stratus.data=LABEL             ext4 label of the state disk (stratus-data)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "stratus-init: [$(cut -d' ' -f1 /proc/uptime)] $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
mkdir -p /dev/pts /dev/shm /run /tmp /var/log /var/run /data
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
chmod 1777 /tmp

cmdline_opt() { # cmdline_opt NAME DEFAULT

  for w in $(cat /proc/cmdline); do
    case "$w" in "$1="*) echo "${w#*=}"; return ;; esac
  done
  echo "$2"
}
NET="$(cmdline_opt stratus.net dhcp)"
DATA_LABEL="$(cmdline_opt stratus.data stratus-data)"

# Modules: one modprobe per module (`modprobe a b` would pass b as a
# parameter of a). The list is /etc/stratus/modules, made at build time.
for m in $(cat /etc/stratus/modules); do
  modprobe "$m" || log "modprobe $m failed"
done

# Wait (up to 5 s) for the devices the modules bring: the CD-ROM and eth0.
i=0
while [ $i -lt 50 ]; do
  [ -e /sys/class/net/eth0 ] && { [ -b /dev/sr0 ] || [ ! -d /sys/bus/pci/drivers/ata_piix ]; } && break
  sleep 0.1; i=$((i + 1))
done
[ -b /dev/sr0 ] && log "context disk: /dev/sr0" || log "no /dev/sr0 (no CD-ROM attached?)"

hostname stratus-guest
ip link set lo up
case "$NET" in
  dhcp)
    ip link set eth0 up
    # -q: exit once leased; -n: give up after -t tries; the script sets it up.
    udhcpc -i eth0 -q -n -t 5 -T 1 -s /etc/stratus/udhcpc.script >/dev/null 2>&1 \
      || log "udhcpc got no lease"
    ;;
  static)
    ip link set eth0 up
    ip addr add 10.0.2.15/24 dev eth0
    ip route add default via 10.0.2.2
    echo "nameserver 10.0.2.3" >/etc/resolv.conf
    ;;
  none) ;;
esac
log "network ($NET): $(ip -o -4 addr show dev eth0 2>/dev/null | awk '{print $4}')"

# State disk: an ext4 image (make-data-disk.sh) holding /var/lib and /root,
# so a test can boot twice with the same disk. Seeded on its first use with
# what the initramfs has there.
dev="$(findfs "LABEL=$DATA_LABEL" 2>/dev/null || true)"
if [ -n "$dev" ]; then
  # commit=1: the journal is committed every second, so even a hard kill of
  # qemu loses at most about a second; a clean stop (stop.sh) loses nothing.
  if mount -t ext4 -o commit=1 "$dev" /data; then
    for d in var/lib root; do
      if [ ! -d "/data/$d" ]; then
        mkdir -p "/data/$d"
        cp -a "/$d/." "/data/$d/" 2>/dev/null || true
      fi
      mount --bind "/data/$d" "/$d"
    done
    chmod 0700 /root
    log "state disk $dev mounted on /var/lib and /root"
  else
    log "state disk $dev does not mount"
  fi
else
  log "no state disk (label $DATA_LABEL): /var/lib and /root are in RAM"
fi

# The power button (qemu's system_powerdown, stop.sh) powers off cleanly.
acpid -c /etc/acpi -l /var/log/acpid.log || log "acpid failed"

# sshd: dropbear with a host key made at build time; public keys only.
dropbear -s -r /etc/dropbear/dropbear_ed25519_host_key -p 22 -P /run/dropbear.pid \
  && log "dropbear listening on :22" || log "dropbear failed"

echo "STRATUS-INIT: ready"
