#!/usr/bin/env bash
# Packages the app's `dist` build (release with link-time optimisation) as
# a .deb the way `tauri build --bundles deb` lays it out (binary in
# /usr/bin, a .desktop entry, hicolor icons), without tauri-cli (about 14
# minutes to install here). Used to measure the bundle size for
# docs/benchmarks.md; CI does not run it.
#
#   cargo build --profile dist -p phr-app
#   src-tauri/package-deb.sh [TARGET_DIR] [OUT_DIR]
# TARGET_DIR defaults to target/, OUT_DIR to artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${1:-target}
out_dir=${2:-artifacts}
binary="$target_dir/dist/phr-app"
[ -x "$binary" ] || { echo "no $binary: cargo build --profile dist -p phr-app" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$binary" "$root/usr/bin/phr-app"
# What dh_strip and the Tauri bundler's release profile advice amount to:
# no symbol table in the shipped binary.
strip --strip-unneeded "$root/usr/bin/phr-app"
for size in 32 64 128; do
  install -D -m 0644 "icons/${size}x${size}.png" "$root/usr/share/icons/hicolor/${size}x${size}/apps/phr-app.png"
done
install -D -m 0644 icons/128x128@2x.png "$root/usr/share/icons/hicolor/256x256/apps/phr-app.png"
install -D -m 0644 icons/icon.png "$root/usr/share/icons/hicolor/512x512/apps/phr-app.png"
install -D -m 0644 /dev/stdin "$root/usr/share/applications/phr-app.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=PHR companion
Comment=Personal health record for wearable sleep and step data
Exec=phr-app
Icon=phr-app
Terminal=false
Categories=Science;MedicalSoftware;
DESKTOP
installed_kb=$(du -sk "$root/usr" | cut -f1)
install -d "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: phr-companion
Version: $version
Architecture: $arch
Maintainer: PHR companion developers
Installed-Size: $installed_kb
Depends: libc6 (>= 2.36), libwebkit2gtk-4.1-0, libgtk-3-0
Section: misc
Priority: optional
Description: Personal health record for wearable sleep and step data
 Collects wearables' sleep and step lifelogs into an encrypted local vault,
 analyses them and shares what the owner chooses over HL7 FHIR R4.
CONTROL
mkdir -p "$out_dir"
deb="$out_dir/phr-companion_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb: $(stat -c %s "$deb") bytes; installed $installed_kb KiB; binary $(stat -c %s "$binary") bytes before strip, $(stat -c %s "$root/usr/bin/phr-app") after"
