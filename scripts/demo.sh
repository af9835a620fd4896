#!/usr/bin/env bash
# The main job on built-in demo data: creates (or reopens) a demo vault, syncs
# 14 days from the simulated wearable, and prints the days. No hardware needed.
# Extra arguments go to `phr demo` (e.g. --days 28 --seed 7 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo run --quiet --bin phr -- demo "$@"
