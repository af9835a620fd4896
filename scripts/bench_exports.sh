#!/usr/bin/env bash
# Whole-process speed and peak memory of `phr import` on a year of Apple
# Health export (generated, seeded: scripts/generate_apple_health_export.py),
# as export.xml and as export.zip, into a fresh vault each time. Prints one
# line per run: wall seconds, peak RSS, the file's size, what was stored.
# Usage: scripts/bench_exports.sh [days]   (default 365; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-365}
phr=${CARGO_TARGET_DIR:-target}/release/phr
[ -x "$phr" ] || cargo build --release -p phr-cli --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/generate_apple_health_export.py --days "$days" --out "$tmp/export.xml"
python3 scripts/generate_apple_health_export.py --days "$days" --zip --out "$tmp/export.zip"
export PHR_PASSPHRASE="benchmark passphrase"
for file in "$tmp/export.xml" "$tmp/export.zip"; do
  for run in 1 2 3; do
    export PHR_VAULT="$tmp/v$run.phr"
    rm -f "$PHR_VAULT"*
    "$phr" init --name Bench >/dev/null
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$phr" --json import "$file" >"$tmp/summary.json"
    read -r secs rss <"$tmp/time"
    stored=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['added'], 'samples,', len(s['sources']), 'sources')" "$tmp/summary.json")
    printf '%s run %d: %s s, peak RSS %d MB, file %d MB, %s\n' "$(basename "$file")" "$run" "$secs" $((rss / 1024)) $(( $(stat -c %s "$file") / 1048576 )) "$stored"
  done
done
