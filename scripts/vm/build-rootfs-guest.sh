#!/usr/bin/env bash
# The fuller guest: a Debian 12 system (debootstrap minbase, systemd) in an
# ext4 image, booted through a small busybox initramfs.
#
#   scripts/vm/build-rootfs-guest.sh [--variant base|cloud-init]
#                                    [--install-cmd 'CMD'] [--install-hash H]
#       -> prints .cache/vm/rootfs-<variant>-<hash>  (a directory holding
#          root.img, initrd, kernel (the vmlinuz path), append (kernel args))
#
#   boot:  d=$(scripts/vm/build-rootfs-guest.sh)
#          scripts/vm/boot.sh --kernel "$(cat $d/kernel)" --initrd $d/initrd \
#            --root $d/root.img --append "$(cat $d/append)" ...
#
# Variants:
#   base        systemd-sysv udev iproute2 kmod openssh-server dbus python3,
#               Debian's nodejs (18, /usr/bin/node: what the agent runs on in
#               a real image), the host's node as /usr/local/bin/node (for
#               the harness), eth0 by DHCP (systemd-networkd).
#               A harness unit, stratus-harness-agent.service, runs the
#               command line in /etc/stratus-agent.cmd if there is one (oneshot
#               + RemainAfterExit, so a server it leaves is not killed), with
#               the same console markers as the fast guest:
#               STRATUS-AGENT: start CMD / STRATUS-AGENT: exit N.
#   cloud-init  the same plus Debian's real cloud-init (and python3-cffi-
#               backend, without which debootstrap cannot resolve python3-
#               cryptography; and sudo, without which its OpenNebula
#               datasource cannot read context.sh), no agent; cloud-init may log in root
#               (disable_root: false) and only looks for NoCloud, OpenNebula
#               and ConfigDrive disks.
#
# --install-cmd CMD (or $INSTALL_CMD) is run as `CMD ROOTDIR` (through bash,
# so CMD may hold arguments: 'node packages/cli/dist/main.js install --root')
# on the configured tree before the image is made: the hook for
# `stratus-context-agent install --root DIR`. What it installs is not seen by
# the cache key: pass --install-hash H (or $INSTALL_HASH), e.g. a hash of the
# agent's build, or the image is rebuilt on every run that has a CMD.
#
# Layers, each cached by a hash of its recipe: the debootstrap tree
# (.cache/vm/debootstrap-<variant>-<hash>/root: this script's package list
# and the mirror), then the image (this script, the guest files, the
# kernel, the host node, the install command). Outputs of other recipes are
# pruned, least recently used first: 2 trees and 3 images per variant stay.
# The root has the label
# stratus-root; every user has a locked password; the image is booted with
# snapshot=on, so it never changes. For a root that keeps its state across
# two boots, give boot.sh --root-rw a qcow2 overlay (make-root-overlay.sh).
set -euo pipefail
VM_TAG=vm-rootfs
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vm_need /usr/sbin/debootstrap:debootstrap /sbin/mkfs.ext4:e2fsprogs cpio:cpio \
  /bin/busybox:busybox-static /sbin/modprobe:kmod /sbin/depmod:kmod node:nodejs flock:util-linux
[[ $EUID -eq 0 ]] || vm_die "debootstrap needs root"

variant=base
install_cmd="${INSTALL_CMD:-}"
install_hash="${INSTALL_HASH:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --variant) variant="$2"; shift 2 ;;
    --install-cmd) install_cmd="$2"; shift 2 ;;
    --install-hash) install_hash="$2"; shift 2 ;;
    *) echo "usage: $0 [--variant base|cloud-init] [--install-cmd 'CMD'] [--install-hash H]" >&2; exit 2 ;;
  esac
done

SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PKGS="systemd-sysv,udev,iproute2,kmod,openssh-server,dbus,python3"
case "$variant" in
  # nodejs: Debian 12's own Node (18), what a real image's agent runs on.
  base) PKGS+=",nodejs" ;;
  # sudo: cloud-init's OpenNebula datasource parses context.sh as the user
  # nobody through `sudo -u nobody bash`, and fails without it.
  cloud-init) PKGS+=",cloud-init,python3-cffi-backend,sudo" ;;
  *) vm_die "unknown variant $variant (base or cloud-init)" ;;
esac
# Kernel modules copied into the root (with what they depend on), besides
# all of fs/, crypto/, lib/, arch/ and net/: udev loads them by modalias.
ROOT_MODULES="virtio_pci virtio_net virtio_blk virtio_rng virtio_console ata_piix sr_mod isofs ext4 button evdev"
# The initramfs that mounts the root. It also loads the CD-ROM's driver, as
# Debian's own initramfs does: cloud-init's ds-identify runs as a systemd
# generator, before udev loads anything, and looks for the cidata (or
# CONTEXT, config-2) disk with blkid then; without /dev/sr0 it disables
# cloud-init for the boot.
BOOT_MODULES="virtio_pci virtio_blk crc32c_generic ext4 ata_piix sr_mod"
GUEST="$VM_SCRIPTS/guest"
NODE="$(readlink -f "$(command -v node)")"

kdir="$("$VM_SCRIPTS/build-kernel.sh")"
kver="$(cat "$kdir/version")"

# ------------------------------------------------------- layer 1: debootstrap
# The recipe: the lines of this script between the two markers, and the list.
strap_recipe="$(sed -n '/^# >>> debootstrap/,/^# <<< debootstrap/p' "${BASH_SOURCE[0]}")"
strap_hash="$(printf '%s\n' "$strap_recipe" "$SUITE $MIRROR $PKGS" | vm_hash)"
strap="$VM_CACHE/debootstrap-$variant-$strap_hash"
# >>> debootstrap
build_strap() {
  local tmp t0=$SECONDS
  tmp="$(vm_tmpdir "$strap")"
  vm_say "debootstrap $SUITE minbase + $PKGS (log: $tmp/debootstrap.log)"
  if ! /usr/sbin/debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$tmp/root" "$MIRROR" \
      >"$tmp/debootstrap.log" 2>&1; then
    tail -n 20 "$tmp/debootstrap.log" >&2
    [[ -f "$tmp/root/debootstrap/debootstrap.log" ]] && tail -n 20 "$tmp/root/debootstrap/debootstrap.log" >&2
    vm_die "debootstrap failed"
  fi
  # The downloaded .debs and apt's lists are not needed in the guest.
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
  mv "$tmp/debootstrap.log" "$tmp/root/var/log/stratus-debootstrap.log"
  vm_publish "$tmp" "$strap"
  vm_say "built $strap in $((SECONDS - t0)) s"
}
# <<< debootstrap
if ! vm_done "$strap"; then
  vm_lock "debootstrap-$variant-$strap_hash"
  vm_done "$strap" || build_strap
  exec 9>&-
  vm_prune "$VM_CACHE/debootstrap-$variant-" 2
fi

# ---------------------------------------------------- layer 2: the boot initrd
boot_hash="$( { cat "$GUEST/boot-init.sh"; echo "$kdir $BOOT_MODULES"; sha256sum /bin/busybox; } | vm_hash)"
boot="$VM_CACHE/initramfs-boot-$boot_hash"
build_boot() {
  local tmp r f
  tmp="$(vm_tmpdir "$boot")"
  r="$tmp/root"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,newroot}
  install -m 0755 /bin/busybox "$r/bin/busybox"
  for f in $(/bin/busybox --list-full); do
    [[ "$f" == */busybox || -e "$r/$f" ]] || ln -s /bin/busybox "$r/$f"
  done
  # shellcheck disable=SC2086 # one word a module
  vm_copy_modules "$kdir" "$kver" "$r" $BOOT_MODULES
  echo "$BOOT_MODULES" | tr ' ' '\n' >"$r/etc/modules"
  install -m 0755 "$GUEST/boot-init.sh" "$r/init"
  [[ $EUID -eq 0 ]] && mknod -m 0600 "$r/dev/console" c 5 1
  vm_cpio "$r" "$tmp/initrd"
  rm -rf "$r"
  vm_publish "$tmp" "$boot"
}
if ! vm_done "$boot"; then
  vm_lock "initramfs-boot-$boot_hash"
  vm_done "$boot" || build_boot
  exec 9>&-
  vm_prune "$VM_CACHE/initramfs-boot-" 2
fi

# -------------------------------------------------------- layer 3: the image
img_hash="$( {
  cat "${BASH_SOURCE[0]}" "$VM_SCRIPTS/lib.sh"
  echo "strap=$strap boot=$boot kernel=$kdir modules=$ROOT_MODULES"
  sha256sum "$NODE"
  echo "install=$install_cmd hash=$install_hash"
  if [[ -n "$install_cmd" && -z "$install_hash" ]]; then echo "nocache=$$-$(date +%s%N)"; fi
} | vm_hash)"
out="$VM_CACHE/rootfs-$variant-$img_hash"

configure_tree() { # configure_tree ROOTDIR
  local r="$1" m f
  echo stratus-debian >"$r/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 stratus-debian\n::1 localhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
  printf 'LABEL=stratus-root / ext4 defaults,errors=remount-ro 0 1\n' >"$r/etc/fstab"

  # eth0 (any en*/eth*) by DHCP through systemd-networkd; wait-online for
  # one link only, at most 20 s.
  mkdir -p "$r/etc/systemd/network" "$r/etc/systemd/system/systemd-networkd-wait-online.service.d"
  printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' >"$r/etc/systemd/network/80-stratus-dhcp.network"
  printf '[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=20\n' \
    >"$r/etc/systemd/system/systemd-networkd-wait-online.service.d/stratus.conf"
  chroot "$r" systemctl enable -q systemd-networkd.service

  # The harness's agent unit (does nothing without /etc/stratus-agent.cmd).
  cat >"$r/etc/systemd/system/stratus-harness-agent.service" <<'EOF'
[Unit]
Description=Test harness: run the agent command line in /etc/stratus-agent.cmd
ConditionPathExists=/etc/stratus-agent.cmd
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
Environment=HOME=/root
WorkingDirectory=/
ExecStart=/bin/sh -c 'echo "STRATUS-AGENT: start $(cat /etc/stratus-agent.cmd)"; sh /etc/stratus-agent.cmd; c=$?; echo "STRATUS-AGENT: exit $c"; exit $c'
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
  chroot "$r" systemctl enable -q stratus-harness-agent.service

  if [[ "$variant" == cloud-init ]]; then
    cat >"$r/etc/cloud/cloud.cfg.d/90-stratus-test.cfg" <<'EOF'
# Test harness: look only for context disks (no metadata server is
# reachable), and install the context's keys for root too.
datasource_list: [ NoCloud, OpenNebula, ConfigDrive, None ]
disable_root: false
EOF
  fi

  # The host's node (the project's agent needs Node 20).
  install -D -m 0755 "$NODE" "$r/usr/local/bin/node"
  chroot "$r" /usr/local/bin/node --version >/dev/null || vm_die "node does not run in the guest tree"

  # Kernel modules: all of fs/ crypto/ lib/ arch/ net/, and the drivers for
  # qemu's devices with their dependencies (the whole tree is 400 MB).
  local src="$kdir/modules/lib/modules/$kver" dst="$r/lib/modules/$kver"
  mkdir -p "$dst/kernel"
  for d in fs crypto lib arch net; do cp -a "$src/kernel/$d" "$dst/kernel/"; done
  for m in $ROOT_MODULES; do
    /sbin/modprobe -d "$kdir/modules" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
  done | sort -u | while read -r f; do
    install -D -m 0644 "$f" "$dst/${f#"$src/"}"
  done
  cp "$src"/modules.{order,builtin,builtin.modinfo} "$dst/"
  /sbin/depmod -b "$r" "$kver"

  # No root password (locked); logins by ssh key only.
  chroot "$r" passwd -q -l root >/dev/null
}

build_image() {
  local tmp r t0=$SECONDS size files
  tmp="$(vm_tmpdir "$out")"
  r="$tmp/root"
  cp -a "$strap/root" "$r"
  configure_tree "$r"
  if [[ -n "$install_cmd" ]]; then
    vm_say "running: $install_cmd $r"
    bash -c "$install_cmd \"\$@\"" install-cmd "$r" >&2 || vm_die "the install command failed"
  fi
  # Size: the tree plus a third, plus 256 MB free; inodes: twice the files.
  size=$(( $(du -sm "$r" | cut -f1) * 4 / 3 + 256 ))
  files=$(find "$r" | wc -l)
  truncate -s "${size}M" "$tmp/root.img"
  /sbin/mkfs.ext4 -q -F -L stratus-root -N $((files * 2 + 16384)) -d "$r" "$tmp/root.img"
  rm -rf "$r"
  cp "$boot/initrd" "$tmp/initrd"
  echo "$kdir/vmlinuz" >"$tmp/kernel"
  echo "stratus.root=LABEL=stratus-root" >"$tmp/append"
  echo "$variant" >"$tmp/variant"
  vm_publish "$tmp" "$out"
  vm_say "built $out (${size} MB image) in $((SECONDS - t0)) s"
}
if ! vm_done "$out"; then
  vm_lock "rootfs-$variant-$img_hash"
  vm_done "$out" || build_image
  vm_prune "$VM_CACHE/rootfs-$variant-" 3
fi
echo "$out"
