#!/usr/bin/env bash
# Proof run of the fast (initramfs) guest, by hand or from a test:
#
#   bash test/vm/proof-fast.sh
#
#  1. builds (or takes from the cache) the kernel and the initramfs with the
#     dummy agent (test/vm/fixtures/dummy-agent), a fresh ssh key, a NoCloud
#     seed disk holding it (genisoimage -V cidata), and an empty state disk;
#  2. boot 1: waits for http://127.0.0.1:PORT/test.txt = SUCCESSFUL TEST,
#     logs in with ssh as root (the agent installed the seed's key), reads
#     boots.txt = 1, then powers off through the ACPI button (stop.sh);
#  3. boot 2 with the same state disk: boots.txt = 2 (state kept).
#
# Prints each step's time and a last line `proof-fast: N passed, N failed`.
# $BOOT_ARGS is added to boot.sh's options (e.g. '--smp 1 --cpu qemu64').
# qemu is always stopped by its PID (trap). The run's files (serial logs,
# qemu command lines) stay in .cache/vm/runs/fast-*.
set -euo pipefail
VM_TAG=proof-fast
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../../scripts/vm/lib.sh
source "$HERE/../../scripts/vm/lib.sh"
S="$VM_SCRIPTS"
read -ra boot_args <<<"${BOOT_ARGS:-}" # extra boot.sh options, split on spaces

passed=0 failed=0
check() { # check NAME COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); vm_say "ok: $1"
  else failed=$((failed + 1)); vm_say "FAILED: $1"; fi
}

mkdir -p "$VM_CACHE/runs"
vm_prune "$VM_CACHE/runs/fast-" 9 # keep the last runs' logs, not all
run="$(mktemp -d "$VM_CACHE/runs/fast-XXXXXX")"
pidfile="$run/qemu.pid"
stop_vm() { [[ -f "$pidfile" ]] && "$S/stop.sh" "$pidfile" "$@" || true; }
trap 'stop_vm --hard' EXIT
trap 'exit 130' INT TERM

t=$(date +%s%N)
"$S/deps.sh" >/dev/null
kdir="$("$S/build-kernel.sh")"
initrd="$("$S/build-initramfs-guest.sh" "$HERE/fixtures/dummy-agent")"
vm_say "build (kernel + initramfs): $(vm_ms_since "$t") ms"

ssh-keygen -q -t ed25519 -N '' -C vm-proof -f "$run/key"
printf '#cloud-config\n{}\n' >"$run/user-data"
vm_nocloud_seed "$run" "$run/key.pub" "$run/user-data"
"$S/make-data-disk.sh" "$run/data.img" 64 >/dev/null
http_port="$(vm_free_port)" ssh_port="$(vm_free_port)"
SSH=(ssh -i "$run/key" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR root@127.0.0.1)

boot() { # boot N — start, then wait for the page
  local t0 body
  t0=$(date +%s%N)
  "$S/boot.sh" --kernel "$kdir/vmlinuz" --initrd "$initrd" --cdrom "$run/seed.iso" \
    --data "$run/data.img" --http-port "$http_port" --ssh-port "$ssh_port" \
    --log "$run/serial-$1.log" --pidfile "$pidfile" "${boot_args[@]}" --timeout 300 2>"$run/boot-$1.err" >/dev/null
  body="$("$S/wait-http.sh" "http://127.0.0.1:$http_port/test.txt" 120 --pidfile "$pidfile" 2>/dev/null || true)"
  vm_say "boot $1: qemu start to page: $(vm_ms_since "$t0") ms"
  [[ "$body" == "SUCCESSFUL TEST" ]]
}

check "boot 1 serves test.txt" boot 1
t=$(date +%s%N)
check "ssh root login" "${SSH[@]}" true
vm_say "ssh login: $(vm_ms_since "$t") ms"
check "boots.txt is 1" test "$(curl -fsS "http://127.0.0.1:$http_port/boots.txt")" = 1
t=$(date +%s%N)
stop_vm --graceful 30 2>/dev/null
check "clean power-off" grep -q 'STRATUS-INIT: halted' "$run/serial-1.log"
vm_say "power-off: $(vm_ms_since "$t") ms"

check "boot 2 serves test.txt" boot 2
check "boots.txt is 2 (state disk kept)" test "$(curl -fsS "http://127.0.0.1:$http_port/boots.txt")" = 2
stop_vm --hard 2>/dev/null

vm_say "run files: $run"
echo "proof-fast: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
