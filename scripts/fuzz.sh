#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 60).
# Crashing inputs are copied to tests/fixtures/fuzz-regressions/<target>/ to become regression cases.
# Usage: scripts/fuzz.sh [SECONDS]        e.g. scripts/fuzz.sh 3600 for an hour per target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DFTS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
flock /tmp/fts-build.lock cmake --build build-fuzz
status=0
for target in fuzz_safetensors_header fuzz_csv fuzz_config fuzz_table_source fuzz_tokenizer_json fuzz_project_open; do
  name=${target#fuzz_}
  work=$(mktemp -d)
  cp engine/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
  log=$(mktemp)
  crashed=0
  if ! build-fuzz/bin/$target "$work" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$work/" >"$log" 2>&1; then
    status=1
    crashed=1
    mkdir -p tests/fixtures/fuzz-regressions/"$name"
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* tests/fixtures/fuzz-regressions/"$name"/ 2>/dev/null || true
    tail -30 "$log"
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  echo "$target: $runs executions in ${seconds}s, $([ $crashed -eq 0 ] && echo 'no crash' || echo 'CRASH (see above)')"
  rm -rf "$work" "$log"
done
exit $status
