#!/bin/sh
# /init of the small initramfs that boots the Debian guests' root image:
# loads the virtio block and ext4 modules (one modprobe each), mounts the
# root file system by label and switch_roots to its systemd.
#
# Also loads the CD-ROM driver (ata_piix, sr_mod), so /dev/sr0 exists before
# systemd runs its generators (cloud-init's ds-identify looks for it then).
# Kernel command line: stratus.root=LABEL=stratus-root (default) or a device.
# On failure it powers off, so the host sees qemu exit at once.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

fail() { echo "stratus-boot: $*; powering off"; sleep 1; poweroff -f; }

root=LABEL=stratus-root
for w in $(cat /proc/cmdline); do
  case "$w" in stratus.root=*) root="${w#stratus.root=}" ;; esac
done

for m in $(cat /etc/modules); do
  modprobe "$m" || echo "stratus-boot: modprobe $m failed"
done

dev=""
i=0
while [ $i -lt 100 ]; do
  case "$root" in
    LABEL=*|UUID=*) dev="$(findfs "$root" 2>/dev/null)" ;;
    *) [ -b "$root" ] && dev="$root" ;;
  esac
  [ -n "$dev" ] && break
  sleep 0.1; i=$((i + 1))
done
[ -n "$dev" ] || fail "no root device $root"

mkdir -p /newroot
mount -t ext4 -o rw "$dev" /newroot || fail "cannot mount $dev"
# (an absolute symlink, /lib/systemd/systemd: test it as a link, since it
# resolves only once inside the new root)
[ -x /newroot/sbin/init ] || [ -L /newroot/sbin/init ] || fail "no /sbin/init on $dev"
echo "stratus-boot: root $dev; starting its /sbin/init"
mount --move /dev /newroot/dev
umount /sys /proc
exec switch_root /newroot /sbin/init
