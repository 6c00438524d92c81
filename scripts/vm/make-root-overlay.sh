#!/usr/bin/env bash
# A writable qcow2 overlay over a cached root image, for a Debian guest whose
# state must survive a reboot within one test:
#
#   scripts/vm/make-root-overlay.sh ROOT.img OUT.qcow2
#   scripts/vm/boot.sh --root-rw OUT.qcow2 ...   (twice, same OUT)
#
# Writes go to OUT only; ROOT.img (shared by every test) is never changed.
# OUT names ROOT.img by its absolute path, so keep the cache where it is
# while OUT is in use. Replaces OUT if it exists.
set -euo pipefail
VM_TAG=vm-overlay
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vm_need qemu-img:qemu-utils
[[ $# -eq 2 ]] || { echo "usage: $0 ROOT.img OUT.qcow2" >&2; exit 2; }
base="$(readlink -f "$1")"
[[ -f "$base" ]] || vm_die "no file $1"
rm -f "$2"
qemu-img create -q -f qcow2 -F raw -b "$base" "$2"
echo "$2"
