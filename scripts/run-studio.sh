#!/usr/bin/env bash
# Sets everything up, builds, and opens Finetune Studio on the bundled sample project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "Built, but there is no display to open the studio on (DISPLAY is not set)." >&2
  echo "Run this from a desktop session, or use the headless front end: build/bin/ftstudio-cli --help" >&2
  exit 1
fi
exec build/bin/ftstudio --sample "$@"
