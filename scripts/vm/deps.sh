#!/usr/bin/env bash
# Install what the VM test harness (scripts/vm/) needs, when it is missing.
# Debian 12 (bookworm); apt-get, so root. As another user, prints one line per
# missing prerequisite and the command to fix it, and exits 1.
#
#   qemu-system-x86_64  qemu-system-x86   the emulator (TCG: /dev/kvm is not usable here)
#   qemu-img            qemu-utils        data-disk images
#   busybox (static)    busybox-static    the guests' initramfs userland
#   cpio                cpio              initramfs archives
#   modprobe, depmod    kmod              kernel module lists on the host
#   debootstrap         debootstrap       the fuller Debian guest
#   dropbear            dropbear-bin      sshd of the fast guest (small, few libs)
#   ssh, ssh-keygen     openssh-client    logging in to the guests
#   curl                curl              polling the guests' web pages
#   mkfs.ext4           e2fsprogs         root and data images (mkfs.ext4 -d, no loop mount)
#   genisoimage         genisoimage       NoCloud seed disks made by a reference tool
#   cloud-localds       cloud-image-utils the same, cloud-utils' way
#   ss                  iproute2          checking the forwarded ports are free
#   pgrep               procps            finding leaked qemu processes
#   flock               util-linux        serializing concurrent builds
#   apt-get download, dpkg-deb            the kernel package (base system)
#
# Idempotent: a second run only does `command -v` checks.
set -euo pipefail
VM_TAG=vm-deps
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# command:package (a path when the command lives in sbin, which a non-root
# PATH may lack).
NEEDED=(
  qemu-system-x86_64:qemu-system-x86
  qemu-img:qemu-utils
  /bin/busybox:busybox-static
  cpio:cpio
  /sbin/modprobe:kmod
  /sbin/depmod:kmod
  /usr/sbin/debootstrap:debootstrap
  /usr/sbin/dropbear:dropbear-bin
  ssh:openssh-client
  ssh-keygen:openssh-client
  curl:curl
  /sbin/mkfs.ext4:e2fsprogs
  genisoimage:genisoimage
  cloud-localds:cloud-image-utils
  ss:iproute2
  pgrep:procps
  flock:util-linux
  dpkg-deb:dpkg
  apt-get:apt
)

missing_pkgs=()
missing_lines=()
check() {
  missing_pkgs=() missing_lines=()
  local pair cmd pkg
  for pair in "${NEEDED[@]}"; do
    cmd="${pair%%:*}" pkg="${pair#*:}"
    if [[ "$cmd" == /* ]]; then [[ -x "$cmd" ]] && continue
    else command -v "$cmd" >/dev/null 2>&1 && continue; fi
    missing_lines+=("missing command $cmd (Debian package $pkg)")
    [[ " ${missing_pkgs[*]-} " == *" $pkg "* ]] || missing_pkgs+=("$pkg")
  done
  # busybox must be the static one: it runs in the guest without libraries.
  if [[ -x /bin/busybox ]] && ldd /bin/busybox >/dev/null 2>&1; then
    missing_lines+=("/bin/busybox is dynamically linked (Debian package busybox-static replaces it)")
    [[ " ${missing_pkgs[*]-} " == *" busybox-static "* ]] || missing_pkgs+=(busybox-static)
  fi
}

check
if [[ ${#missing_pkgs[@]} -eq 0 ]]; then
  vm_say "ok"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  for line in "${missing_lines[@]}"; do vm_say "$line"; done
  vm_say "fix: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing_pkgs[*]}"
  exit 1
fi

vm_lock deps
check # another run may have installed them while we waited for the lock
if [[ ${#missing_pkgs[@]} -gt 0 ]]; then
  mkdir -p "$VM_CACHE"
  log="$VM_CACHE/deps.log"
  vm_say "apt-get install ${missing_pkgs[*]} (log: $log)"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends "${missing_pkgs[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    vm_die "apt-get failed (full log: $log)"
  fi
  check
  if [[ ${#missing_pkgs[@]} -gt 0 ]]; then
    for line in "${missing_lines[@]}"; do vm_say "still $line"; done
    exit 1
  fi
fi
vm_say "ok"
