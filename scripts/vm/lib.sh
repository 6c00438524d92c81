# shellcheck shell=bash
# Shared helpers for the VM test harness (scripts/vm/*.sh). Sourced, not run.
#
# Conventions of every build script here:
#   - outputs go to $VM_CACHE (default: /var/cache/stratus-context/vm as root, else <repo>/.cache/vm), in a
#     directory named after WHAT and a hash of its recipe (the script's own
#     text, the inputs' versions or hashes); a complete output holds a file
#     `.done`, written last, so an interrupted build is never taken as done;
#   - a build happens in a temporary directory beside the output and is
#     renamed into place at the end (atomic), under a lock (flock), so two
#     concurrent runs of the same recipe build it once;
#   - when a recipe changes, the outputs of older recipes of the same kind
#     are pruned (vm_prune: the most recently used ones stay);
#   - progress goes to stderr; the output path is the last line on stdout, so
#     a caller does  K=$(scripts/vm/build-kernel.sh).

VM_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VM_REPO="$(cd "$VM_SCRIPTS/../.." && pwd)"
# The cache outlives a checkout (CI clones afresh): machine-wide as root, in
# the checkout otherwise; STRATUS_VM_CACHE overrides.
if [[ -n "${STRATUS_VM_CACHE:-}" ]]; then VM_CACHE="$STRATUS_VM_CACHE"
elif [[ $EUID -eq 0 ]]; then VM_CACHE=/var/cache/stratus-context/vm
else VM_CACHE="$VM_REPO/.cache/vm"; fi

vm_say() { echo "${VM_TAG:-vm}: $*" >&2; }
vm_die() { vm_say "error: $*"; exit 1; }

# vm_need CMD:PACKAGE... — one clear line per missing command, then exit 1.
vm_need() {
  local pair missing=0 pkgs=()
  for pair in "$@"; do
    if ! command -v "${pair%%:*}" >/dev/null 2>&1 && [[ ! -x "${pair%%:*}" ]]; then
      vm_say "missing command ${pair%%:*} (Debian package ${pair#*:})"
      pkgs+=("${pair#*:}")
      missing=1
    fi
  done
  if [[ $missing -eq 1 ]]; then
    vm_say "fix: bash scripts/vm/deps.sh   (as root; or apt-get install ${pkgs[*]})"
    exit 1
  fi
}

# vm_hash — short sha256 of stdin (16 hex digits: plenty for a cache key).
vm_hash() { sha256sum | cut -c1-16; }

# vm_file_hash FILE... — sha256 of the files' contents, in order.
vm_file_hash() { cat "$@" | vm_hash; }

# vm_tree_hash DIR — hash of a directory tree: paths, modes, symlink targets
# and file contents (not dates), so a rebuilt identical tree hashes the same.
vm_tree_hash() {
  local dir="$1"
  (cd "$dir" && find . -mindepth 1 \( -type f -o -type l -o -type d \) -printf '%y %m %p -> %l\n' | LC_ALL=C sort
   cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | vm_hash
}

# vm_copy_modules KDIR KVER ROOT MODULE... — the modules and what they
# depend on, from the unpacked kernel KDIR into ROOT/lib/modules/KVER, with
# depmod's index.
vm_copy_modules() {
  local kdir="$1" kver="$2" root="$3" m f; shift 3
  mkdir -p "$root/lib/modules/$kver"
  for m in "$@"; do
    /sbin/modprobe -d "$kdir/modules" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
  done | sort -u | while read -r f; do
    install -D -m 0644 "$f" "$root/lib/modules/$kver/${f#"$kdir/modules/lib/modules/$kver/"}"
  done
  cp "$kdir/modules/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
  /sbin/depmod -b "$root" "$kver"
}

# vm_lock NAME — hold an exclusive lock for the rest of the script (fd 9).
vm_lock() {
  mkdir -p "$VM_CACHE"
  exec 9>"$VM_CACHE/.$1.lock"
  flock 9
}

# vm_done DIR — true when DIR is a complete cached output; a hit is touched,
# so that vm_prune keeps the outputs used last.
vm_done() { [[ -f "$1/.done" ]] && { touch "$1" 2>/dev/null || true; }; }

# vm_tmpdir FINAL — a fresh temporary directory beside FINAL (same file
# system, so the final rename is atomic); removed on exit unless published.
VM_TMPDIRS=()
vm_tmpdir() {
  local t
  mkdir -p "$(dirname "$1")"
  t="$(mktemp -d "$1.tmp.XXXXXX")"
  chmod 0755 "$t"
  VM_TMPDIRS+=("$t")
  echo "$t"
}
vm_cleanup_tmp() {
  local t
  for t in "${VM_TMPDIRS[@]-}"; do [[ -n "$t" && -e "$t" ]] && rm -rf "$t"; done
  return 0
}
trap vm_cleanup_tmp EXIT

# vm_publish TMP FINAL — mark TMP complete and rename it to FINAL.
vm_publish() {
  date -u +%FT%TZ >"$1/.done"
  rm -rf "$2"
  mv "$1" "$2"
}

# vm_apt_download PKG DESTDIR — apt-get download as root or not; as root apt
# drops to _apt and warns when _apt cannot write DESTDIR, so keep root.
vm_apt_download() {
  local opts=()
  [[ $EUID -eq 0 ]] && opts=(-o APT::Sandbox::User=root)
  (cd "$2" && apt-get download -q "${opts[@]}" "$1") >&2
}

# vm_candidate PKG — the version apt would install (empty when unknown).
vm_candidate() {
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }'
}

# vm_copy_with_libs DESTROOT FILE... — copy each binary and the shared
# libraries ldd lists (plus the dynamic loader) into DESTROOT, same paths.
vm_copy_with_libs() {
  local dest="$1" f lib
  shift
  for f in "$@"; do
    install -D -m 0755 "$(readlink -f "$f")" "$dest$f"
    # ldd lines: "libx.so => /path (addr)" or "/lib64/ld-linux-x86-64.so.2 (addr)"
    while read -r lib; do
      [[ -n "$lib" && -e "$lib" && ! -e "$dest$lib" ]] || continue
      install -D -m 0755 "$(readlink -f "$lib")" "$dest$lib"
    done < <(ldd "$f" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
  done
}

# vm_cpio DIR OUT — newc cpio archive of DIR (owner root, for the kernel).
vm_cpio() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$2"
}

# vm_free_port — a TCP port on 127.0.0.1 that nothing listens on now (random
# in 20000-59999; the caller's qemu binds it a moment later, and boot.sh
# checks again).
vm_free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]] && { echo "$p"; return 0; }
  done
  vm_die "no free port found"
}

# vm_ms_since T0 — milliseconds since T0 (a `date +%s%N` value).
vm_ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# vm_nocloud_seed DIR PUBKEY_FILE USER_DATA_FILE [INSTANCE_ID] — DIR/seed.iso,
# a NoCloud disk made by the reference tool (genisoimage -V cidata -J -R)
# with meta-data naming the instance and the public key.
vm_nocloud_seed() {
  local dir="$1" key="$2" ud="$3" iid="${4:-iid-$RANDOM$RANDOM}"
  mkdir -p "$dir/seed"
  printf 'instance-id: %s\nlocal-hostname: stratus-test\npublic-keys:\n  - %s\n' \
    "$iid" "$(cat "$key")" >"$dir/seed/meta-data"
  cp "$ud" "$dir/seed/user-data"
  genisoimage -quiet -o "$dir/seed.iso" -V cidata -J -R "$dir/seed/user-data" "$dir/seed/meta-data"
}

# vm_prune PREFIX KEEP — remove complete outputs named PREFIX<hash> beyond
# the KEEP newest (a changed recipe leaves its old output behind; one
# previous one is kept, for a run still using it). Temporary build
# directories (*.tmp.*) are never touched.
vm_prune() {
  local d n=0
  while read -r d; do
    [[ -n "$d" && "$d" != *.tmp.* ]] || continue
    n=$((n + 1))
    if [[ $n -gt $2 ]]; then vm_say "pruning old ${d##*/}"; rm -rf "$d"; fi
  done < <(find "$(dirname "$1")" -maxdepth 1 -type d -name "$(basename "$1")*" -printf '%T@ %p\n' 2>/dev/null | sort -rn | cut -d' ' -f2-)
}
