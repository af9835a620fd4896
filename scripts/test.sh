#!/usr/bin/env bash
# Every test: the web UI's, formatting, lints, the whole workspace's tests,
# and the desktop app's end-to-end test in a real (virtual) window.
set -euo pipefail
cd "$(dirname "$0")/.."
# The workspace includes the desktop app; PHR_E2E=0 skips its end-to-end
# test (and the packages only that needs).
PHR_SETUP_APP=1
PHR_SETUP_E2E="${PHR_E2E:-1}"
source scripts/setup.sh
# One pass over everything gains nothing from incremental state, which would
# take gigabytes of disk beside the test binaries (docs/benchmarks.md).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "== npm ci (FHIR test server and validators)"
npm ci --prefix tests/fhir-server --no-audit --no-fund --loglevel=error
# The app (a workspace member) embeds ui/dist when it compiles, so the web
# front end is tested and built before any cargo step.
echo "== ui: npm ci, vitest, build (svelte-check + vite)"
npm ci --prefix ui --no-audit --no-fund --loglevel=error
npm --prefix ui test --silent
npm --prefix ui run build --silent
echo "== real recordings for tests (pyActigraphy's test data, from PyPI)"
scripts/fetch_reference_data.sh >/dev/null
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo clippy: the app's phone-only code paths (docs/mobile.md)"
PHR_APP_CHECK_MOBILE=1 cargo clippy -p phr-app --lib --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace --quiet

if [ "${PHR_E2E:-1}" != 0 ]; then
  echo "== app: cargo build -p phr-app -p phr-bluez-sim (debug)"
  cargo build -p phr-app -p phr-bluez-sim --quiet
  if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    echo "== e2e: cargo install tauri-driver"
    cargo install tauri-driver --locked --version 2.1.0 --quiet
  fi
  echo "== e2e: the desktop app in a real window (Xvfb, tauri-driver, WebKitWebDriver)"
  xvfb-run -a -s "-screen 0 1280x800x24" node tests/e2e/run.mjs --app "${CARGO_TARGET_DIR:-target}/debug/phr-app"
fi
