#!/usr/bin/env bash
# The main job on the example that ships in fixtures/manual: the StratusLab
# manual's context (a public key and the run-http.sh web-server script),
# prepared into cloud-init.txt, then decoded back to show what a guest gets.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/stratus-demo.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
cd "$REPO/fixtures/manual"
echo "\$ stratus-prepare-context -o $OUT/cloud-init.txt ssh,id_ed25519.pub x-shellscript,run-http.sh"
node "$REPO/packages/cli/bin/stratus-prepare-context.js" -o "$OUT/cloud-init.txt" ssh,id_ed25519.pub x-shellscript,run-http.sh
echo
echo "\$ cat cloud-init.txt"
cat "$OUT/cloud-init.txt"
echo
echo "\$ stratus-context inspect cloud-init.txt"
node "$REPO/packages/cli/bin/stratus-context.js" inspect "$OUT/cloud-init.txt"
