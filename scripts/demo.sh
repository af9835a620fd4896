#!/usr/bin/env bash
# The main job on built-in demo data; no hardware needed.
#
# With a display: syncs 14 days from the simulated wearable into a demo vault
# and opens the desktop app on it (passphrase "demo passphrase", or
# PHR_PASSPHRASE). Without a display, or with --headless (servers): the same
# in the terminal with `phr demo`, which prints the days.
# Other arguments go to `phr demo` (e.g. --days 28 --seed 7).
set -euo pipefail
cd "$(dirname "$0")/.."
headless=0
args=()
for arg in "$@"; do
  if [ "$arg" = --headless ]; then headless=1; else args+=("$arg"); fi
done
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  headless=1
fi
if [ "$headless" = 1 ]; then
  source scripts/setup.sh
  exec cargo run --quiet --bin phr -- demo "${args[@]}"
fi

PHR_SETUP_APP=1
source scripts/setup.sh
summary=$(cargo run --quiet --bin phr -- --json demo "${args[@]}")
vault=$(printf '%s\n' "$summary" | sed -n 's/^  "vault": "\(.*\)",\{0,1\}$/\1/p' | head -1)
if [ -z "$vault" ]; then
  echo "demo: could not read the demo vault's path from phr demo" >&2
  exit 1
fi
[ -d ui/node_modules ] || npm ci --prefix ui --no-audit --no-fund --loglevel=error
npm --prefix ui run build --silent
echo "demo: opening the app on $vault (passphrase: ${PHR_PASSPHRASE:+from PHR_PASSPHRASE}${PHR_PASSPHRASE:-demo passphrase})"
PHR_VAULT="$vault" exec cargo run --quiet -p phr-app
