#!/usr/bin/env bash
# Stop a VM that boot.sh started, by the PID in its pidfile.
#
#   scripts/vm/stop.sh PIDFILE [--graceful S] [--hard]
#
# Graceful first (unless --hard): an ACPI power-button press through qemu's
# QMP socket (PIDFILE.qmp), so the guest flushes and unmounts its state disk
# and powers off (qemu, run with -no-reboot, then exits); waits up to S
# seconds (default 20). Then SIGTERM, then SIGKILL. Only the PID in PIDFILE
# is ever signalled, and only while it is a qemu process. Exits 0 once it is
# gone (or was already gone); prints how it stopped on stderr.
set -euo pipefail
VM_TAG=vm-stop
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || { echo "usage: $0 PIDFILE [--graceful S] [--hard]" >&2; exit 2; }
pidfile="$1"; shift
graceful=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --graceful) graceful="$2"; shift 2 ;;
    --hard) graceful=0; shift ;;
    *) echo "usage: $0 PIDFILE [--graceful S] [--hard]" >&2; exit 2 ;;
  esac
done
[[ -f "$pidfile" ]] || { vm_say "no pidfile $pidfile: nothing to stop"; exit 0; }
pid="$(cat "$pidfile")"
[[ "$pid" =~ ^[0-9]+$ ]] || vm_die "bad pid in $pidfile"

is_qemu() { [[ "$(cat /proc/"$pid"/comm 2>/dev/null)" == qemu-system* ]]; }
gone() { ! is_qemu; }
wait_gone() { # wait_gone TENTHS
  local i
  for ((i = 0; i < $1; i++)); do gone && return 0; sleep 0.1; done
  gone
}

if gone; then vm_say "qemu $pid is not running"; rm -f "$pidfile"; exit 0; fi

qmp="$pidfile.qmp"
if [[ "$graceful" -gt 0 && -S "$qmp" ]] && command -v node >/dev/null 2>&1; then
  # QMP: read the greeting, negotiate, press the power button.
  if node -e '
    const s = require("net").connect(process.argv[1]);
    let buf = "", step = 0;
    const t = setTimeout(() => process.exit(1), 3000);
    s.on("data", (d) => {
      buf += d;
      if (step === 0 && buf.includes("QMP")) { step = 1; s.write(JSON.stringify({ execute: "qmp_capabilities" }) + "\n"); }
      else if (step === 1 && buf.includes("\"return\"")) { step = 2; s.write(JSON.stringify({ execute: "system_powerdown" }) + "\n"); buf = ""; }
      else if (step === 2 && buf.includes("\"return\"")) { clearTimeout(t); s.end(); process.exit(0); }
    });
    s.on("error", () => process.exit(1));
  ' "$qmp" 2>/dev/null; then
    if wait_gone $((graceful * 10)); then
      vm_say "qemu $pid powered off"
      rm -f "$pidfile"; exit 0
    fi
    vm_say "qemu $pid still running ${graceful}s after the power button"
  else
    vm_say "QMP power-off failed"
  fi
fi
is_qemu && kill "$pid" 2>/dev/null || true
if wait_gone 50; then vm_say "qemu $pid terminated"; rm -f "$pidfile"; exit 0; fi
kill -9 "$pid" 2>/dev/null || true
wait_gone 50 || vm_die "qemu $pid survives SIGKILL"
vm_say "qemu $pid killed"
rm -f "$pidfile"
