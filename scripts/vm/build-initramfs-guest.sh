#!/usr/bin/env bash
# The fast guest: everything in one initramfs, no root disk. Boots to a
# served page in seconds under TCG.
#
#   scripts/vm/build-initramfs-guest.sh AGENT_DIR
#       -> prints .cache/vm/initramfs-<base>-<agent>/initrd
#          (its kernel: the `kernel` file beside it names the vmlinuz)
#
# AGENT_DIR is copied to /opt/stratus in the guest. The agent's command line
# (written to /etc/stratus-agent.cmd, run by the guest after boot) is, first
# found: $AGENT_CMD; the file AGENT_DIR/stratus-agent.cmd; the default
# `node /opt/stratus/stratus-context-agent.mjs apply`. It runs as root with cwd /, output on
# the serial console (see scripts/vm/guest/fast-run-agent.sh).
#
# The guest (scripts/vm/guest/fast-*.sh): busybox-static (init, sh, modprobe,
# udhcpc, acpid...), the host's `node` and the libraries ldd lists, dropbear
# (sshd, with a host key made at build time; public-key logins as root), the
# kernel modules for the CD-ROM (ata_piix, sr_mod, cdrom, isofs), virtio
# (net, blk, rng), ext4 (the state disk) and the ACPI power button. On boot:
# proc/sys/devtmpfs, modules, eth0 by DHCP (qemu user-net), the state disk
# (label stratus-data, see make-data-disk.sh) on /var/lib and /root, acpid,
# dropbear, then the agent. Serial-log markers: STRATUS-INIT: ready,
# STRATUS-AGENT: start / exit N.
#
# Two layers, both cached: the base archive (keyed by this script, the guest
# files, the kernel, and the node, busybox and dropbear binaries) and the
# agent layer (keyed by AGENT_DIR's content and the command line). The
# kernel unpacks concatenated cpio archives in order, so the initrd is
# base + agent; only the agent layer is rebuilt when the agent changes. The
# archives are not compressed: gunzip of 100 MB under TCG costs seconds.
# Old agent initrds of the same base are pruned (the newest 4 are kept).
set -euo pipefail
VM_TAG=vm-initramfs
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vm_need cpio:cpio /bin/busybox:busybox-static /sbin/modprobe:kmod /sbin/depmod:kmod \
  /usr/sbin/dropbear:dropbear-bin dropbearkey:dropbear-bin node:nodejs flock:util-linux

[[ $# -eq 1 ]] || { echo "usage: $0 AGENT_DIR" >&2; exit 2; }
AGENT_DIR="$(cd "$1" && pwd)" || vm_die "no directory $1"

# Modules loaded at boot, in this order (dependencies come with them).
MODULES="virtio_pci virtio_net virtio_blk virtio_rng ata_piix sr_mod isofs crc32c_generic ext4 button evdev"
GUEST="$VM_SCRIPTS/guest"
NODE="$(readlink -f "$(command -v node)")"

kdir="$("$VM_SCRIPTS/build-kernel.sh")"
kver="$(cat "$kdir/version")"

# ---------------------------------------------------------------- base layer
base_hash="$( {
  cat "${BASH_SOURCE[0]}" "$VM_SCRIPTS/lib.sh" "$GUEST"/fast-* "$GUEST/udhcpc.script"
  echo "kernel=$kdir modules=$MODULES"
  sha256sum "$NODE" /bin/busybox /usr/sbin/dropbear
} | vm_hash)"
base="$VM_CACHE/initramfs-base-$base_hash"

build_base() {
  local tmp r m f t0=$SECONDS
  tmp="$(vm_tmpdir "$base")"
  r="$tmp/root"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc/stratus,etc/dropbear,etc/acpi/PWRF,proc,sys,dev,run,tmp,root,var/lib,var/log,var/run,data,mnt,opt/stratus}
  chmod 0700 "$r/root"
  chmod 1777 "$r/tmp"

  # busybox and its applet links (skip the `busybox` applet itself: a link
  # named busybox over the binary would loop).
  install -m 0755 /bin/busybox "$r/bin/busybox"
  for f in $(/bin/busybox --list-full); do
    [[ "$f" == */busybox || -e "$r/$f" ]] && continue
    ln -s /bin/busybox "$r/$f"
  done

  # node and dropbear with their libraries.
  vm_copy_with_libs "$r" /usr/bin/node /usr/sbin/dropbear
  # glibc's name service: files only (built into libc since 2.34).
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"

  # Users: root (locked password, public keys only) and nobody.
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' >"$r/etc/shadow"
  chmod 0600 "$r/etc/shadow"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  printf '/bin/sh\n' >"$r/etc/shells"
  printf '127.0.0.1 localhost\n::1 localhost\n127.0.1.1 stratus-guest\n' >"$r/etc/hosts"
  echo stratus-guest >"$r/etc/hostname"
  dropbearkey -t ed25519 -f "$r/etc/dropbear/dropbear_ed25519_host_key" >/dev/null 2>&1

  # Kernel modules: the listed ones and what they depend on, then depmod.
  # shellcheck disable=SC2086 # one word a module
  vm_copy_modules "$kdir" "$kver" "$r" $MODULES
  echo "$MODULES" | tr ' ' '\n' >"$r/etc/stratus/modules"

  # init: busybox init reads /etc/inittab; /init first gets a console.
  install -m 0755 "$GUEST/fast-init.sh" "$r/etc/stratus/rc.sysinit"
  install -m 0755 "$GUEST/fast-run-agent.sh" "$r/etc/stratus/run-agent"
  install -m 0755 "$GUEST/fast-shutdown.sh" "$r/etc/stratus/rc.shutdown"
  install -m 0755 "$GUEST/udhcpc.script" "$r/etc/stratus/udhcpc.script"
  cat >"$r/etc/inittab" <<'EOF'
::sysinit:/etc/stratus/rc.sysinit
::once:/etc/stratus/run-agent
::shutdown:/etc/stratus/rc.shutdown
EOF
  cat >"$r/init" <<'EOF'
#!/bin/sh
# The kernel runs this as PID 1. Without a /dev/console in the archive the
# kernel gives init no stdio: mount devtmpfs, take the console, then become
# busybox init (same PID).
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
exec /sbin/init
EOF
  chmod 0755 "$r/init"
  # The power button: busybox acpid runs /etc/acpi/PWRF/00000080.
  printf '#!/bin/sh\nexec poweroff\n' >"$r/etc/acpi/PWRF/00000080"
  chmod 0755 "$r/etc/acpi/PWRF/00000080"
  # The console node, for the kernel's own messages to init (root only).
  [[ $EUID -eq 0 ]] && mknod -m 0600 "$r/dev/console" c 5 1

  vm_cpio "$r" "$tmp/base.cpio"
  rm -rf "$r"
  echo "$kdir" >"$tmp/kernel"
  vm_publish "$tmp" "$base"
  vm_say "built base $base ($(du -m "$base/base.cpio" | cut -f1) MB) in $((SECONDS - t0)) s"
}

if ! vm_done "$base"; then
  vm_lock "initramfs-base-$base_hash"
  vm_done "$base" || build_base
  exec 9>&-
  # Old bases (a changed recipe), and agent layers whose base is gone.
  vm_prune "$VM_CACHE/initramfs-base-" 2
  for d in "$VM_CACHE"/initramfs-*-*/; do
    d="${d%/}"; h="${d##*/initramfs-}"; h="${h%%-*}"
    [[ "$h" == base || "$d" == *.tmp.* || -d "$VM_CACHE/initramfs-base-$h" ]] || rm -rf "$d"
  done
fi

# --------------------------------------------------------------- agent layer
if [[ -n "${AGENT_CMD:-}" ]]; then cmd="$AGENT_CMD"
elif [[ -s "$AGENT_DIR/stratus-agent.cmd" ]]; then cmd="$(cat "$AGENT_DIR/stratus-agent.cmd")"
else cmd="node /opt/stratus/stratus-context-agent.mjs apply"; fi
agent_hash="$( { vm_tree_hash "$AGENT_DIR"; echo "cmd=$cmd"; } | vm_hash)"
out="$VM_CACHE/initramfs-$base_hash-$agent_hash"

if ! vm_done "$out"; then
  vm_lock "initramfs-$base_hash-$agent_hash"
  if ! vm_done "$out"; then
    t0=$SECONDS
    tmp="$(vm_tmpdir "$out")"
    mkdir -p "$tmp/root/opt/stratus" "$tmp/root/etc"
    cp -a "$AGENT_DIR/." "$tmp/root/opt/stratus/"
    printf '%s\n' "$cmd" >"$tmp/root/etc/stratus-agent.cmd"
    vm_cpio "$tmp/root" "$tmp/agent.cpio"
    rm -rf "$tmp/root"
    cat "$base/base.cpio" "$tmp/agent.cpio" >"$tmp/initrd"
    rm -f "$tmp/agent.cpio"
    echo "$kdir/vmlinuz" >"$tmp/kernel"
    printf '%s\n' "$cmd" >"$tmp/agent.cmd"
    vm_publish "$tmp" "$out"
    vm_say "built $out in $((SECONDS - t0)) s"
    # Prune older agent initrds of this base: keep the newest 4.
    # shellcheck disable=SC2010 # our own directory names: no odd characters
    ls -1dt "$VM_CACHE/initramfs-$base_hash"-*/ 2>/dev/null | grep -v '\.tmp\.' | tail -n +5 | while read -r d; do
      [[ "${d%/}" == "$out" ]] || rm -rf "${d%/}"
    done
  fi
fi
echo "$out/initrd"
