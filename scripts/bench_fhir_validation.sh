#!/usr/bin/env bash
# Writes the FHIR export benchmark's bundles (a year of daily summaries plus
# 30 days of minute data) and times both validators on them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
FHIR_BENCH_OUT="$out" cargo bench -q -p phr-fhir --bench export -- --test >/dev/null
npm ci --prefix tests/fhir-server --no-audit --no-fund --loglevel=error >/dev/null
for set in "bundle-*.json" "*.ndjson"; do
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  node --experimental-websocket tests/fhir-server/validate.mjs $out/$set | tail -1
  end=$(date +%s.%N)
  python3 -c "print(f'  both validators on $set: {($end-$start):.2f} s')"
done
rm -rf "$out"
