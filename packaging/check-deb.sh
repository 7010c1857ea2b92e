#!/usr/bin/env bash
# Builds the .deb from a configured build folder and checks that it holds what a user needs.
# Usage: packaging/check-deb.sh BUILD_DIR
set -euo pipefail
build=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
deb=$(ls "$out"/finetune-studio_*.deb)
listing=$(dpkg-deb -c "$deb")
for f in ./usr/bin/ftstudio ./usr/bin/ftstudio-cli ./usr/lib/finetune-studio/libftspm.so \
         ./usr/share/applications/finetune-studio.desktop \
         ./usr/share/icons/hicolor/scalable/apps/finetune-studio.svg \
         ./usr/share/metainfo/io.github.finetunestudio.FinetuneStudio.metainfo.xml \
         ./usr/share/mime/packages/finetune-studio.xml; do
  grep -q " $f\$" <<<"$listing" || { echo "missing from the package: $f"; exit 1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
for d in libtorch libqt6sql6-sqlite libopenblas0-pthread libsentencepiece0; do
  grep -q "$d" <<<"$depends" || { echo "missing dependency: $d"; exit 1; }
done
# The .desktop entry opens projects, and the MIME type claims *.ftproj.
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/applications/finetune-studio.desktop | grep -q '^MimeType=application/x-finetune-studio-project;$'
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/mime/packages/finetune-studio.xml | grep -q 'glob pattern="\*.ftproj"'
echo "package ok: $(basename "$deb")"
