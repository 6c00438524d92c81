#!/usr/bin/env bash
# Make sure every external tool the test suite needs is present; install what
# is missing when running as root (Debian 12 / bookworm).
#
#   - genisoimage (genisoimage, isoinfo), xorriso, p7zip-full (7z),
#     libarchive-tools (bsdtar), python3-pycdlib (pycdlib-extract-files and
#     the pycdlib module), libcdio-utils (iso-info): the ISO interop readers
#   - dosfstools (mkfs.fat, fsck.fat), mtools (mcopy, mdir): the FAT interop tests
#   - Debian's /usr/bin/python3 with cloud-init's Python deps that the
#     interop probe imports (yaml, requests, configobj, jinja2, jsonschema,
#     jsonpatch, netifaces: the modules cloud-init's datasources load)
#   - Debian's cloud-init package, NOT installed but unpacked with dpkg-deb -x
#     into $REPO/.cache/cloud-init (tests use
#     $REPO/.cache/cloud-init/usr/lib/python3/dist-packages as PYTHONPATH)
#
# Idempotent; the no-op run only does a few `command -v` and one python3 call.
# To pick up a newer cloud-init: rm -rf .cache/cloud-init and run again.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache"
CI_DIR="$CACHE/cloud-init"
CI_DIST="$CI_DIR/usr/lib/python3/dist-packages"
CI_STAMP="$CI_DIR/.deb-version" # written last, after a complete extraction
PY=/usr/bin/python3
LOG="$CACHE/test-deps.log"
# Python modules (module:Debian package) that cloud-init's datasources import.
PY_MODULES="yaml:python3-yaml requests:python3-requests configobj:python3-configobj jinja2:python3-jinja2 jsonschema:python3-jsonschema jsonpatch:python3-jsonpatch netifaces:python3-netifaces"

say() { echo "test-deps: $*" >&2; }

missing_pkgs=()   # Debian packages to install
missing_lines=()  # "what is missing (Debian package P)" for the non-root report
need_cloud_init=0

add_pkg() { # add_pkg WHAT PACKAGE
  missing_lines+=("$1 (Debian package $2)")
  [[ " ${missing_pkgs[*]-} " == *" $2 "* ]] || missing_pkgs+=("$2")
}

check_all() {
  missing_pkgs=() missing_lines=() need_cloud_init=0
  local pair
  for pair in genisoimage:genisoimage isoinfo:genisoimage xorriso:xorriso 7z:p7zip-full \
      bsdtar:libarchive-tools pycdlib-extract-files:python3-pycdlib iso-info:libcdio-utils \
      mkfs.fat:dosfstools fsck.fat:dosfstools mcopy:mtools mdir:mtools; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || add_pkg "command ${pair%%:*}" "${pair#*:}"
  done
  [[ -f "$CI_STAMP" && -f "$CI_DIST/cloudinit/user_data.py" ]] || need_cloud_init=1
  if [[ ! -x "$PY" ]]; then
    add_pkg "$PY" python3
    for m in $PY_MODULES; do add_pkg "python module ${m%%:*}" "${m#*:}"; done
    return
  fi
  # One interpreter start: report missing modules; once they are all there and
  # cloud-init is unpacked, check that the real cloud-init imports.
  local out
  out="$(PYTHONPATH="$CI_DIST" "$PY" -c '
import importlib, sys
miss = []
for mod, pkg in (m.split(":") for m in sys.argv[2].split()):
    try:
        importlib.import_module(mod)
    except Exception:
        miss.append(mod + ":" + pkg)
if not miss and sys.argv[1] == "0":
    try:
        import cloudinit.user_data, cloudinit.helpers, cloudinit.distros, cloudinit.sources.DataSourceNoCloud, cloudinit.sources.DataSourceOpenNebula, cloudinit.sources.DataSourceConfigDrive
    except Exception as e:
        miss.append("cloud-init:%s: %s" % (type(e).__name__, e))
print("\n".join(miss))
' "$need_cloud_init" "$PY_MODULES" 2>&1)" || true
  local line
  while IFS= read -r line; do
    case "$line" in
      "") ;;
      cloud-init:*) say "unpacked cloud-init does not import (${line#cloud-init:}); re-extracting"
                    need_cloud_init=1 ;;
      *:python3-*) add_pkg "python module ${line%%:*} for $PY" "${line#*:}" ;;
      *) say "unexpected output from $PY: $line"; add_pkg "working $PY" python3 ;;
    esac
  done <<<"$out"
}

extract_cloud_init() { # apt-get download + dpkg-deb -x; no root needed
  mkdir -p "$CACHE"
  local tmp deb ver opts=()
  tmp="$(mktemp -d "$CACHE/.cloud-init.XXXXXX")"
  # As root, apt drops to _apt for downloads and warns when _apt cannot
  # write the target dir; a public .deb needs no sandbox.
  [[ $EUID -eq 0 ]] && opts=(-o APT::Sandbox::User=root)
  if ! (cd "$tmp" && apt-get download -q "${opts[@]}" cloud-init) >>"$LOG" 2>&1; then
    rm -rf "$tmp"; return 1
  fi
  deb="$(echo "$tmp"/cloud-init_*.deb)"
  ver="$(dpkg-deb -f "$deb" Version)"
  say "unpacking cloud-init $ver into ${CI_DIR#"$REPO"/}"
  dpkg-deb -x "$deb" "$tmp/root"
  [[ -f "$tmp/root/usr/lib/python3/dist-packages/cloudinit/user_data.py" ]] || {
    say "cloudinit/user_data.py not found in $deb"; rm -rf "$tmp"; return 1; }
  echo "$ver" >"$tmp/root/.deb-version"
  rm -rf "$CI_DIR"
  mv "$tmp/root" "$CI_DIR"
  rm -rf "$tmp"
}

check_all
if [[ ${#missing_pkgs[@]} -eq 0 && $need_cloud_init -eq 0 ]]; then
  echo "test-deps: ok (cloud-init $(<"$CI_STAMP"))"
  exit 0
fi

# Something is missing: serialize concurrent runs, then re-check.
mkdir -p "$CACHE"
exec 9>"$CACHE/test-deps.lock"
flock 9
check_all
: >"$LOG"

if [[ ${#missing_pkgs[@]} -gt 0 ]]; then
  if [[ $EUID -ne 0 ]]; then
    for line in "${missing_lines[@]}"; do
      say "missing $line"
    done
    say "fix: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing_pkgs[*]}"
    [[ $need_cloud_init -eq 1 ]] && extract_cloud_init || true
    exit 1
  fi
  say "apt-get install ${missing_pkgs[*]} (log: ${LOG#"$REPO"/})"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends "${missing_pkgs[@]}"; } >>"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    say "apt-get failed (full log: $LOG)"
    exit 1
  fi
  updated=1
fi

if [[ $need_cloud_init -eq 1 ]] && ! extract_cloud_init; then
  if [[ $EUID -eq 0 && -z "${updated-}" ]] && apt-get update -q >>"$LOG" 2>&1 && extract_cloud_init; then
    :
  else
    tail -n 20 "$LOG" >&2
    say "missing cloud-init unpacked in ${CI_DIR#"$REPO"/} (apt-get download cloud-init failed)"
    say "fix: sudo apt-get update && bash scripts/test-deps.sh"
    exit 1
  fi
fi

check_all
if [[ ${#missing_pkgs[@]} -gt 0 || $need_cloud_init -eq 1 ]]; then
  for line in "${missing_lines[@]}"; do say "still missing $line"; done
  [[ $need_cloud_init -eq 1 ]] && say "still missing a working cloud-init in ${CI_DIR#"$REPO"/}"
  exit 1
fi
echo "test-deps: ok (cloud-init $(<"$CI_STAMP"))"
