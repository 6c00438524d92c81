#!/usr/bin/env bash
# Proof run of the Debian (systemd) guest with an agent installed through the
# build's install hook, and of a reboot that keeps the root's state:
#
#   bash test/vm/proof-rootfs-agent.sh
#
#  1. builds the base variant with --install-cmd
#     test/vm/fixtures/install-dummy-agent.sh (the stand-in for
#     `stratus-context-agent install --root DIR`), keyed by the agent's hash;
#  2. a NoCloud seed with a fresh key, and a qcow2 overlay over the image
#     (make-root-overlay.sh) so that the root keeps what the guest writes;
#  3. boot 1: the harness unit runs the agent: test.txt = SUCCESSFUL TEST on
#     http://127.0.0.1:PORT, ssh root login with the seed's key, boots.txt =
#     1; ACPI power-off (systemd shuts down);
#  4. boot 2 on the same overlay: boots.txt = 2.
#
# Last line: `proof-rootfs-agent: N passed, N failed`. $BOOT_ARGS is added to
# boot.sh's options. qemu is always stopped by its PID (trap). The run's files
# stay in .cache/vm/runs/rootfs-agent-*.
set -euo pipefail
VM_TAG=proof-rootfs-agent
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
vm_prune "$VM_CACHE/runs/rootfs-agent-" 9 # keep the last runs' logs, not all
run="$(mktemp -d "$VM_CACHE/runs/rootfs-agent-XXXXXX")"
pidfile="$run/qemu.pid"
stop_vm() { [[ -f "$pidfile" ]] && "$S/stop.sh" "$pidfile" "$@" || true; }
trap 'stop_vm --hard' EXIT
trap 'exit 130' INT TERM

t=$(date +%s%N)
"$S/deps.sh" >/dev/null
agent_hash="$( { vm_tree_hash "$HERE/fixtures/dummy-agent"; cat "$HERE/fixtures/install-dummy-agent.sh"; } | vm_hash)"
guest="$("$S/build-rootfs-guest.sh" --variant base \
  --install-cmd "$HERE/fixtures/install-dummy-agent.sh" --install-hash "$agent_hash")"
vm_say "build (base guest + agent): $(vm_ms_since "$t") ms"

ssh-keygen -q -t ed25519 -N '' -C vm-proof -f "$run/key"
printf '#cloud-config\n{}\n' >"$run/user-data"
vm_nocloud_seed "$run" "$run/key.pub" "$run/user-data"
"$S/make-root-overlay.sh" "$guest/root.img" "$run/root.qcow2" >/dev/null
http_port="$(vm_free_port)" ssh_port="$(vm_free_port)"
SSH=(ssh -i "$run/key" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR root@127.0.0.1)

boot() { # boot N — start, then wait for the page
  local t0 body
  t0=$(date +%s%N)
  "$S/boot.sh" --kernel "$(cat "$guest/kernel")" --initrd "$guest/initrd" --root-rw "$run/root.qcow2" \
    --append "$(cat "$guest/append")" --cdrom "$run/seed.iso" \
    --http-port "$http_port" --ssh-port "$ssh_port" \
    --log "$run/serial-$1.log" --pidfile "$pidfile" "${boot_args[@]}" --timeout 600 2>"$run/boot-$1.err" >/dev/null
  body="$("$S/wait-http.sh" "http://127.0.0.1:$http_port/test.txt" 300 --pidfile "$pidfile" 2>/dev/null || true)"
  vm_say "boot $1: qemu start to page: $(vm_ms_since "$t0") ms"
  [[ "$body" == "SUCCESSFUL TEST" ]]
}

check "boot 1 serves test.txt" boot 1
t=$(date +%s%N)
ok=1
for _ in $(seq 20); do
  kill -0 "$(cat "$pidfile")" 2>/dev/null || break
  "${SSH[@]}" true 2>/dev/null && { ok=0; break; }
  sleep 2
done
check "ssh root login" test $ok -eq 0
vm_say "ssh login (after the page): $(vm_ms_since "$t") ms"
check "boots.txt is 1" test "$(curl -fsS "http://127.0.0.1:$http_port/boots.txt")" = 1
t=$(date +%s%N)
stop_vm --graceful 30 2>/dev/null
check "clean power-off" grep -q 'reboot: Power down' "$run/serial-1.log"
vm_say "power-off: $(vm_ms_since "$t") ms"

check "boot 2 serves test.txt" boot 2
check "boots.txt is 2 (root overlay kept)" test "$(curl -fsS "http://127.0.0.1:$http_port/boots.txt")" = 2
stop_vm --hard 2>/dev/null

vm_say "run files: $run"
echo "proof-rootfs-agent: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
