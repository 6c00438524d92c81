#!/usr/bin/env bash
# Poll a URL with curl until it answers, and print the body.
#
#   scripts/vm/wait-http.sh URL TIMEOUT [--expect TEXT] [--pidfile F]
#
# Succeeds (exit 0) on the first 2xx answer (whose body contains TEXT, when
# given); prints the body on stdout and the time waited on stderr. Exit 1 at
# TIMEOUT seconds, or as soon as the qemu of PIDFILE has exited (no use
# waiting for a dead guest). Each try is bounded by 2 s; tries every 0.25 s.
# Meant for 127.0.0.1 (the forwarded port of a test VM): curl ignores any
# proxy settings.
set -euo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 URL TIMEOUT [--expect TEXT] [--pidfile F]" >&2; exit 2; }
url="$1" timeout="$2"; shift 2
expect="" pidfile=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --expect) expect="$2"; shift 2 ;;
    --pidfile) pidfile="$2"; shift 2 ;;
    *) echo "usage: $0 URL TIMEOUT [--expect TEXT] [--pidfile F]" >&2; exit 2 ;;
  esac
done

start=$(date +%s%N)
deadline=$((start + timeout * 1000000000))
while :; do
  if body="$(curl -fsS --noproxy '*' --max-time 2 "$url" 2>/dev/null)"; then
    if [[ -z "$expect" || "$body" == *"$expect"* ]]; then
      echo "wait-http: $url answered after $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
      printf '%s\n' "$body"
      exit 0
    fi
  fi
  if [[ -n "$pidfile" ]]; then
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
      echo "wait-http: qemu ($pidfile) is gone; $url never answered" >&2
      exit 1
    fi
  fi
  if (( $(date +%s%N) >= deadline )); then
    echo "wait-http: $url did not answer${expect:+ with '$expect'} within ${timeout}s" >&2
    exit 1
  fi
  sleep 0.25
done
