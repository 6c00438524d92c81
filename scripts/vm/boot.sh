#!/usr/bin/env bash
# Start a test VM with qemu, in the background, and return once it runs.
#
#   scripts/vm/boot.sh --kernel VMLINUZ --initrd INITRD --log SERIAL.log
#       [--cdrom CONTEXT.iso] [--root ROOT.img | --root-rw OVERLAY.qcow2]
#       [--data DATA.img]
#       [--http-port P] [--ssh-port P] [--guest-http-port 8080]
#       [--timeout S] [--pidfile F] [--append 'KERNEL ARGS'] [--mem MB]
#       [--smp N] [--cpu MODEL] [--accel tcg|kvm|auto] [--foreground]
#
# Prints qemu's PID on stdout and writes it to the pidfile (default
# SERIAL.log.pid). Beside the pidfile: F.qmp, qemu's QMP socket (stop.sh uses
# it for an ACPI power-off), F.cmd, the exact qemu command line. qemu's own
# messages go to SERIAL.log.qemu; the guest's console to SERIAL.log.
#
#   --cdrom   the context disk, as the cloud attaches it: an IDE CD-ROM
#             (/dev/sr0), read-only
#   --root    a root file system image (virtio, /dev/vda), with snapshot=on:
#             the image itself is never written
#   --root-rw the root as a qcow2 overlay that IS written (make-root-
#             overlay.sh): boot twice with the same overlay to keep the
#             guest's state across a reboot; its base image is untouched
#   --data    a state disk (virtio, after the root), written in place, so a
#             test can boot twice with the same one (make-data-disk.sh)
#   --http-port/--ssh-port  host ports on 127.0.0.1 forwarded to the guest's
#             --guest-http-port (default 8080) and 22; they must be free.
#             qemu's user-mode network with restrict=on: the guest reaches
#             nothing outside, the host only reaches it by these ports.
#   --timeout qemu is killed after S seconds (default 600) whatever happens,
#             so a forgotten VM does not outlive its test
#   --accel   tcg (default; /dev/kvm exists on these machines but does not
#             work), kvm, or auto: KVM when the guest prints on its console
#             within 10 s, else qemu is killed and started again with TCG
#   --foreground  wait for qemu to exit (its exit code is ours), killing it
#             on Ctrl-C or at --timeout
#
# --smp (default 1) and --cpu (default qemu64): measured under TCG on the
# 2-core machines, 1 vCPU boots faster than 2 (the fast guest about 1 s, the
# cloud-init guest 44-51 s against 52-62 s), and qemu64 a little faster than
# max (software then takes its SSE2 paths instead of emulated AVX2). A guest
# that needs x86-64-v2 or more: --cpu max.
#
# The kernel command line is `console=ttyS0 panic=-1 loglevel=4` plus
# --append. With -no-reboot, a guest that powers off, reboots or panics
# makes qemu exit.
set -euo pipefail
VM_TAG=vm-boot
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vm_need qemu-system-x86_64:qemu-system-x86 ss:iproute2

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -n 's/^# \{0,1\}//p' >&2; exit 2; }

kernel="" initrd="" cdrom="" root="" root_rw="" data="" log="" pidfile="" append=""
http_port="" ssh_port="" guest_http=8080 timeout=600 mem=1024 smp=1 cpu=qemu64 accel=tcg fg=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kernel) kernel="$2"; shift 2 ;;
    --initrd) initrd="$2"; shift 2 ;;
    --cdrom) cdrom="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    --root-rw) root_rw="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --pidfile) pidfile="$2"; shift 2 ;;
    --append) append="$2"; shift 2 ;;
    --http-port) http_port="$2"; shift 2 ;;
    --ssh-port) ssh_port="$2"; shift 2 ;;
    --guest-http-port) guest_http="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --mem) mem="$2"; shift 2 ;;
    --smp) smp="$2"; shift 2 ;;
    --cpu) cpu="$2"; shift 2 ;;
    --accel) accel="$2"; shift 2 ;;
    --foreground) fg=1; shift ;;
    -h|--help) usage ;;
    *) vm_say "unknown option $1"; usage ;;
  esac
done
[[ -n "$kernel" && -n "$initrd" && -n "$log" ]] || { vm_say "--kernel, --initrd and --log are required"; usage; }
[[ -z "$root" || -z "$root_rw" ]] || vm_die "--root and --root-rw exclude each other"
for f in "$kernel" "$initrd" ${cdrom:+"$cdrom"} ${root:+"$root"} ${root_rw:+"$root_rw"} ${data:+"$data"}; do
  [[ -f "$f" ]] || vm_die "no file $f"
done
case "$accel" in tcg|kvm|auto) ;; *) vm_die "--accel must be tcg, kvm or auto" ;; esac
[[ "$timeout" =~ ^[0-9]+$ ]] || vm_die "--timeout takes seconds"
mkdir -p "$(dirname "$log")"
log="$(cd "$(dirname "$log")" && pwd)/$(basename "$log")"
pidfile="${pidfile:-$log.pid}"
qmp="$pidfile.qmp"

# The forwarded ports must be free (a leaked qemu would hold them, and the
# test would talk to the wrong guest).
hostfwd=""
for pair in "${http_port:+$http_port:$guest_http}" "${ssh_port:+$ssh_port:22}"; do
  [[ -n "$pair" ]] || continue
  p="${pair%%:*}"
  [[ "$p" =~ ^[0-9]+$ ]] || vm_die "bad port $p"
  if [[ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]]; then
    vm_die "port 127.0.0.1:$p is in use (a leaked qemu? pgrep -a qemu)"
  fi
  hostfwd+=",hostfwd=tcp:127.0.0.1:$p-:${pair#*:}"
done

# A unique name, so the watchdog recognises its own qemu (PIDs are reused).
name="stratus-vm-$$-$RANDOM"
qe() { printf '%s' "${1//,/,,}"; } # a path inside a qemu option: commas doubled
qemu_cmd() { # qemu_cmd ACCEL — the command line, one word per line of an array
  # shellcheck disable=SC2054 # the commas are qemu's own option syntax
  cmd=(qemu-system-x86_64 -name "$name" -accel "$1" -machine pc -cpu "$cpu" -m "$mem" -smp "$smp"
    -nodefaults -display none -no-reboot -no-user-config
    -serial "file:$log"
    -kernel "$kernel" -initrd "$initrd"
    -append "console=ttyS0 panic=-1 loglevel=4${append:+ $append}"
    -netdev "user,id=n,restrict=on$hostfwd" -device virtio-net-pci,netdev=n
    -device virtio-rng-pci)
  [[ -n "$root" ]] && cmd+=(-drive "file=$(qe "$root"),if=virtio,format=raw,snapshot=on")
  [[ -n "$root_rw" ]] && cmd+=(-drive "file=$(qe "$root_rw"),if=virtio,format=qcow2,cache=writeback")
  [[ -n "$data" ]] && cmd+=(-drive "file=$(qe "$data"),if=virtio,format=raw,cache=writeback")
  [[ -n "$cdrom" ]] && cmd+=(-drive "file=$(qe "$cdrom"),media=cdrom,if=ide,readonly=on")
  # QMP for stop.sh (a unix socket path must be under 108 bytes).
  if [[ ${#qmp} -lt 100 ]]; then cmd+=(-qmp "unix:$(qe "$qmp"),server=on,wait=off"); fi
  return 0
}

pid=""
start() { # start ACCEL — qemu in the background; sets pid
  qemu_cmd "$1"
  rm -f "$qmp" "$log"
  printf '%q ' "${cmd[@]}" >"$pidfile.cmd"; echo >>"$pidfile.cmd"
  vm_say "$(cat "$pidfile.cmd")"
  : >"$log.qemu" # (qemu appends: the watchdog writes here too)
  "${cmd[@]}" </dev/null >>"$log.qemu" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
}
alive() { kill -0 "$pid" 2>/dev/null; }
kill_qemu() { if alive; then kill "$pid" 2>/dev/null; sleep 0.3; kill -9 "$pid" 2>/dev/null || true; fi; }

# Until the VM is handed over, kill it on any failure or interruption here.
trap 'kill_qemu; vm_cleanup_tmp' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s%N)
if [[ "$accel" == auto ]]; then
  if [[ -r /dev/kvm && -w /dev/kvm ]]; then
    start kvm
    for _ in $(seq 100); do
      alive && [[ ! -s "$log" ]] || break
      sleep 0.1
    done
    if alive && [[ -s "$log" ]]; then
      vm_say "KVM works"
    else
      vm_say "KVM did not boot (qemu: $(tail -n 1 "$log.qemu" 2>/dev/null)); using TCG"
      kill_qemu
      start tcg
    fi
  else
    start tcg
  fi
else
  start "$accel"
fi

# qemu fails at once on a bad option or a port taken since the check.
sleep 0.3
if ! alive; then
  wait "$pid" 2>/dev/null || true
  cat "$log.qemu" >&2
  vm_die "qemu exited at start (see $log.qemu)"
fi

if [[ $fg -eq 1 ]]; then
  # Foreground: wait for qemu, bounded by --timeout.
  ( sleep "$timeout"; vm_say "timeout ${timeout}s: killing qemu $pid"; kill "$pid" 2>/dev/null ) &
  dog=$!
  rc=0; wait "$pid" || rc=$?
  kill "$dog" 2>/dev/null || true
  trap - EXIT
  vm_say "qemu exited ($rc) after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  exit "$rc"
fi

# Background: a detached watchdog kills this qemu (and only it: checked by
# its unique -name) after --timeout, and ends as soon as qemu is gone. No
# file descriptor of ours stays open in it, so `$(boot.sh ...)` returns at
# once.
setsid bash -c '
  mine() { tr "\0" " " </proc/"$2"/cmdline 2>/dev/null | grep -q -- "-name $3 "; }
  for ((i = 0; i < $1; i++)); do mine "$@" || exit 0; sleep 1; done
  if mine "$@"; then
    echo "boot.sh: timeout $1 s: killing qemu $2" >>"$4.qemu"
    kill "$2"; sleep 2; kill -9 "$2" 2>/dev/null
  fi' watchdog "$timeout" "$pid" "$name" "$log" </dev/null >/dev/null 2>&1 &
trap - EXIT
echo "$pid"
