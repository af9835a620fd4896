#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian (bookworm) machine.
# Idempotent: skips what is already there. Sourced by demo.sh and test.sh.
set -euo pipefail

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
# btleplug talks to BlueZ through libdbus; the BLE tests run a private dbus-daemon.
pkg-config --exists dbus-1 2>/dev/null || need_apt+=(libdbus-1-dev)
command -v dbus-daemon >/dev/null 2>&1 || need_apt+=(dbus)
# The clinician's report embeds Noto Sans CJK (Japanese); its tests read the
# PDF back with poppler (pdftoppm, pdftotext, pdffonts).
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
# The desktop app (src-tauri, a workspace member) builds against WebKitGTK
# (Tauri v2); scripts that build the whole workspace set PHR_SETUP_APP=1.
if [ "${PHR_SETUP_APP:-0}" = 1 ]; then
  pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_apt+=(libwebkit2gtk-4.1-dev)
  pkg-config --exists gtk+-3.0 2>/dev/null || need_apt+=(libgtk-3-dev)
  pkg-config --exists librsvg-2.0 2>/dev/null || need_apt+=(librsvg2-dev)
  pkg-config --exists ayatana-appindicator3-0.1 2>/dev/null || need_apt+=(libayatana-appindicator3-dev)
  pkg-config --exists openssl 2>/dev/null || need_apt+=(libssl-dev)
  [ -e /usr/include/xdo.h ] || need_apt+=(libxdo-dev)
fi
# The app's end-to-end test (scripts/test.sh sets PHR_SETUP_E2E=1): a virtual
# display, WebKit's WebDriver and ImageMagick.
if [ "${PHR_SETUP_E2E:-0}" = 1 ]; then
  command -v xvfb-run >/dev/null 2>&1 || need_apt+=(xvfb)
  command -v xauth >/dev/null 2>&1 || need_apt+=(xauth)
  [ -x /usr/bin/WebKitWebDriver ] || need_apt+=(webkit2gtk-driver)
  [ -x /usr/bin/convert ] || need_apt+=(imagemagick)
fi

if ((${#need_apt[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need_apt[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# Node 20.19+ runs the FHIR test server and validators (tests/fhir-server).
node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; }
if ! node_ok; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Node.js from Debian (need 20.19 or newer for the FHIR test server)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
  node_ok || { echo "setup: Node.js 20.19 or newer is required; found $(node --version 2>/dev/null || echo none)" >&2; exit 1; }
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust with rustup (the toolchain is pinned in rust-toolchain.toml)" >&2
  exit 1
fi
