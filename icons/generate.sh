#!/usr/bin/env bash
# Renders icons/icon.svg into every icon the Tauri bundle config lists
# (src-tauri/tauri.conf.json > bundle.icon): PNGs for Linux and the window
# icon, icon.ico for Windows, icon.icns for macOS. Run it after editing the
# SVG and commit the results; builds never run it.
# Needs: rsvg-convert (librsvg2-bin), convert (imagemagick), png2icns (icnsutils).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

png() { rsvg-convert --width "$1" --height "$1" --format png icon.svg --output "$2"; }

png 32 32x32.png
png 64 64x64.png
png 128 128x128.png
png 256 128x128@2x.png
png 512 icon.png
for size in 16 24 32 48 64 128 256 512 1024; do png "$size" "$tmp/$size.png"; done
# Windows: one .ico holding the sizes Explorer and the taskbar use.
convert "$tmp"/16.png "$tmp"/24.png "$tmp"/32.png "$tmp"/48.png "$tmp"/64.png "$tmp"/256.png icon.ico
# macOS: png2icns picks the type from each PNG's size.
png2icns icon.icns "$tmp"/16.png "$tmp"/32.png "$tmp"/48.png "$tmp"/128.png \
  "$tmp"/256.png "$tmp"/512.png "$tmp"/1024.png >/dev/null
