#!/usr/bin/env bash
# Every test: formatting, lints, and the whole workspace's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

echo "== npm ci (FHIR test server and validators)"
npm ci --prefix tests/fhir-server --no-audit --no-fund --loglevel=error
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace --quiet
