#!/usr/bin/env bash
# The guests' kernel: Debian's linux-image-6.1.0-*-amd64, unpacked, not
# installed (no /boot, no initramfs-tools on the host).
#
#   scripts/vm/build-kernel.sh            -> prints .cache/vm/kernel-<hash>
#
# Output directory:
#   vmlinuz                 the kernel (serial console and devtmpfs are built in;
#                           virtio, ata_piix, sr_mod, iso9660, ext4 are modules)
#   version                 its uname -r, e.g. 6.1.0-56-amd64
#   package                 the Debian package and version it came from
#   modules/lib/modules/V/  every module, with depmod's indexes (modprobe -d)
#
# The recipe hash covers this script and the package's name and version, so a
# new Debian kernel upload gives a new directory; an old one stays until
# removed (rm -rf .cache/vm/kernel-*). KERNEL_PACKAGE=name overrides the
# package (default: what linux-image-amd64 depends on).
set -euo pipefail
VM_TAG=vm-kernel
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vm_need apt-get:apt apt-cache:apt dpkg-deb:dpkg /sbin/depmod:kmod flock:util-linux

pkg="${KERNEL_PACKAGE:-}"
if [[ -z "$pkg" ]]; then
  # linux-image-amd64 is the metapackage; it depends on the current ABI's image.
  pkg="$(apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')"
fi
ver="$( [[ -n "$pkg" ]] && vm_candidate "$pkg" || true)"

if [[ -z "$pkg" || -z "$ver" ]]; then
  # apt's lists may be missing (a fresh machine before apt-get update): fall
  # back on the newest kernel already built, if any.
  last="$(ls -1dt "$VM_CACHE"/kernel-*/ 2>/dev/null | while read -r d; do
    vm_done "$d" && { echo "${d%/}"; break; }; done || true)"
  [[ -n "$last" ]] || vm_die "no kernel package known to apt (run apt-get update, or scripts/vm/deps.sh as root)"
  vm_say "apt does not know linux-image-amd64; using cached $(cat "$last/package")"
  echo "$last"
  exit 0
fi

hash="$( { cat "${BASH_SOURCE[0]}"; echo "$pkg=$ver"; } | vm_hash)"
out="$VM_CACHE/kernel-$hash"
if vm_done "$out"; then echo "$out"; exit 0; fi

vm_lock "kernel-$hash"
if vm_done "$out"; then echo "$out"; exit 0; fi

t0=$SECONDS
tmp="$(vm_tmpdir "$out")"
vm_say "downloading $pkg $ver"
vm_apt_download "$pkg=$ver" "$tmp"
deb="$(echo "$tmp"/*.deb)"
[[ -f "$deb" ]] || vm_die "apt-get download $pkg=$ver gave no .deb"
dpkg-deb -x "$deb" "$tmp/x"
rm -f "$deb"

kver="$(ls "$tmp/x/lib/modules")"
[[ -n "$kver" && -f "$tmp/x/boot/vmlinuz-$kver" ]] || vm_die "no vmlinuz in $pkg"
mv "$tmp/x/boot/vmlinuz-$kver" "$tmp/vmlinuz"
mv "$tmp/x/boot/config-$kver" "$tmp/config"
mkdir -p "$tmp/modules/lib/modules"
mv "$tmp/x/lib/modules/$kver" "$tmp/modules/lib/modules/"
rm -rf "$tmp/x"
/sbin/depmod -b "$tmp/modules" "$kver"
echo "$kver" >"$tmp/version"
echo "$pkg=$ver" >"$tmp/package"

vm_publish "$tmp" "$out"
vm_say "built $out ($kver) in $((SECONDS - t0)) s"
vm_prune "$VM_CACHE/kernel-" 2
echo "$out"
