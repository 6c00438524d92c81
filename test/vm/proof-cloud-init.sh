#!/usr/bin/env bash
# Proof run of the Debian guest with the real cloud-init (no agent):
#
#   bash test/vm/proof-cloud-init.sh [SEED.iso KEY]
#
# Without arguments: a fresh ssh key and a NoCloud seed made by the reference
# tool (cloud-localds, or genisoimage -V cidata -J -R), holding meta-data
# with the public key and a #cloud-config user-data that writes
# /var/www/test.txt = SUCCESSFUL TEST (write_files) and starts
# `python3 -m http.server 8080 --directory /var/www` (runcmd, setsid). With
# SEED.iso and KEY (its private key): that disk instead, e.g. one made by
# `stratus-context prepare --format nocloud|opennebula --iso` with the
# manual's run-http.sh, which serves on port 80: GUEST_HTTP_PORT=80.
#
# Checks that http://127.0.0.1:PORT/test.txt answers SUCCESSFUL TEST and that
# `ssh -i KEY root@127.0.0.1 true` logs in; prints the times and a last line
# `proof-cloud-init: N passed, N failed`. $BOOT_ARGS is added to boot.sh's
# options (e.g. '--smp 2 --cpu max'). qemu is always stopped by its PID
# (trap). The run's files stay in .cache/vm/runs/cloud-init-*.
set -euo pipefail
VM_TAG=proof-cloud-init
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
vm_prune "$VM_CACHE/runs/cloud-init-" 9 # keep the last runs' logs, not all
run="$(mktemp -d "$VM_CACHE/runs/cloud-init-XXXXXX")"
pidfile="$run/qemu.pid"
stop_vm() { [[ -f "$pidfile" ]] && "$S/stop.sh" "$pidfile" "$@" || true; }
trap 'stop_vm --hard' EXIT
trap 'exit 130' INT TERM

t=$(date +%s%N)
"$S/deps.sh" >/dev/null
guest="$("$S/build-rootfs-guest.sh" --variant cloud-init)"
vm_say "build (cloud-init guest): $(vm_ms_since "$t") ms"

if [[ $# -eq 2 ]]; then
  seed="$1" key="$2"
else
  ssh-keygen -q -t ed25519 -N '' -C vm-proof -f "$run/key"
  key="$run/key"
  cat >"$run/user-data" <<'EOF'
#cloud-config
write_files:
  - path: /var/www/test.txt
    content: "SUCCESSFUL TEST\n"
runcmd:
  - [sh, -c, "setsid python3 -m http.server 8080 --directory /var/www >/var/log/http.log 2>&1 </dev/null &"]
EOF
  printf 'instance-id: iid-proof-%s\nlocal-hostname: stratus-test\npublic-keys:\n  - %s\n' \
    "$RANDOM" "$(cat "$run/key.pub")" >"$run/meta-data"
  seed="$run/seed.iso"
  cloud-localds "$seed" "$run/user-data" "$run/meta-data"
fi

http_port="$(vm_free_port)" ssh_port="$(vm_free_port)"
t0=$(date +%s%N)
"$S/boot.sh" --kernel "$(cat "$guest/kernel")" --initrd "$guest/initrd" --root "$guest/root.img" \
  --append "$(cat "$guest/append")" --cdrom "$seed" --http-port "$http_port" --ssh-port "$ssh_port" \
  --guest-http-port "${GUEST_HTTP_PORT:-8080}" \
  --log "$run/serial.log" --pidfile "$pidfile" "${boot_args[@]}" --timeout 600 2>"$run/boot.err" >/dev/null
body="$("$S/wait-http.sh" "http://127.0.0.1:$http_port/test.txt" 300 --pidfile "$pidfile" 2>/dev/null || true)"
vm_say "qemu start to page: $(vm_ms_since "$t0") ms"
check "test.txt is SUCCESSFUL TEST" test "$body" = "SUCCESSFUL TEST"

t=$(date +%s%N)
ok=1
for _ in $(seq 30); do
  kill -0 "$(cat "$pidfile")" 2>/dev/null || break
  ssh -i "$key" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR root@127.0.0.1 true && { ok=0; break; }
  sleep 2
done
check "ssh root login with the seed's key" test $ok -eq 0
vm_say "ssh login (after the page): $(vm_ms_since "$t") ms; qemu start to ssh: $(vm_ms_since "$t0") ms"

t=$(date +%s%N)
stop_vm --graceful 30 2>/dev/null
vm_say "power-off: $(vm_ms_since "$t") ms"
vm_say "run files: $run"
echo "proof-cloud-init: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
