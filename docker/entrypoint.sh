#!/bin/sh
# Starts one AUREN app: ingest, gateway, history or all-in-one (the image's CMD picks it); extra
# arguments go to node (e.g. --max-old-space-size=768). `exec` replaces this shell with node, so
# tini (PID 1) signals node directly.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
app="${1:-all-in-one}"
case "$app" in
  ingest | gateway | history | all-in-one)
    shift || true
    exec node "$@" "$root/dist/apps/$app/src/main.js"
    ;;
  *)
    echo "usage: <image> ingest | gateway | history | all-in-one [node options...]" >&2
    echo "unknown app: $app" >&2
    exit 64
    ;;
esac
