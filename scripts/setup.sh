#!/usr/bin/env bash
# Installs the Debian 12 packages Finetune Studio needs (only those missing) and builds it in Release.
# Usage: scripts/setup.sh [BUILD_DIR]   (default: build; "--packages-only" installs and stops)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}

PACKAGES=(
  build-essential cmake ninja-build        # toolchain
  qt6-base-dev qt6-base-dev-tools          # Qt 6 Widgets, Sql, Network, Test
  libqt6sql6-sqlite                        # the SQLite driver: without it projects cannot open
  qt6-httpserver-dev qt6-websockets-dev    # the local inference server; its CMake config needs WebSockets
  libqcustomplot-dev                       # charts
  libqt6svg6-dev                           # charts saved as SVG
  libtorch-dev                             # tensors and autograd
  libopenblas0-pthread                     # fast BLAS for libtorch (30x the reference BLAS)
  libsentencepiece-dev sentencepiece       # tokenizer library, and spm_* tools used by the tests
  mythes-en-us                             # thesaurus for synonym augmentation
  dpkg-dev                                 # dpkg-shlibdeps, for the .deb the packaging test builds
  clang libclang-rt-14-dev                 # libFuzzer + sanitizers for the fuzz targets (tests: fuzz_smoke)
  fonts-dejavu-core                        # a font for offscreen and Xvfb rendering
  poppler-utils                            # pdftoppm: the report tests render the PDF they write
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "$BUILD_DIR" = "--packages-only" ] && exit 0
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR"
