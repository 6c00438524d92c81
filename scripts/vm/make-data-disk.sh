#!/usr/bin/env bash
# A state disk for a test VM: an empty ext4 image labelled stratus-data.
#
#   scripts/vm/make-data-disk.sh OUT.img [SIZE_MB]      (default 64 MB)
#
# Give it to boot.sh --data; the fast guest mounts it (found by its label)
# on /var/lib and /root, seeded on first use. Boot twice with the same image
# to test what survives a reboot. (The Debian guests do not mount it: for
# them, keep the root's state with make-root-overlay.sh.) Replaces OUT if
# it exists. No root and no loop mount needed (mkfs.ext4 on a file).
set -euo pipefail
VM_TAG=vm-data
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vm_need /sbin/mkfs.ext4:e2fsprogs

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 OUT.img [SIZE_MB]" >&2; exit 2; }
out="$1" size="${2:-64}"
[[ "$size" =~ ^[0-9]+$ && "$size" -ge 8 ]] || vm_die "SIZE_MB must be a number >= 8"
rm -f "$out"
truncate -s "${size}M" "$out"
# root_owner: the files belong to root in the guest whoever made the image.
/sbin/mkfs.ext4 -q -F -L stratus-data -E root_owner=0:0 "$out"
echo "$out"
