#!/usr/bin/env bash
# Side by side, in one run: pyActigraphy 1.2.2 and phr-analysis computing the
# full circadian metric set (IS, IV, L5, M10, RA; raw and binarized) plus
# Cole-Kripke (`mean`, rescored) on the same synthetic year of minute data
# (525,600 epochs; the generator is mirrored in both benches).
# Installs the reference environment on first use (see docs/analysis.md).
# Not part of CI: it takes a few minutes and needs PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv-ref/bin/python ] || ! .venv-ref/bin/python -c 'import pyActigraphy' 2>/dev/null; then
  python3 -m venv .venv-ref
  .venv-ref/bin/pip install -q "pandas>=2.2,<2.3" "numpy<2.1" joblib lmfit plotly numba pyexcel pyexcel-ods3 \
    pyexcel-xlsx scipy spm1d "statsmodels>=0.10" "stochastic>=0.6.0" matplotlib tqdm scikit-learn imbalanced-learn
  .venv-ref/bin/pip install -q --no-deps "accelerometer==6.2.3" "pyActigraphy==1.2.2"
fi

py_out=$(.venv-ref/bin/python tests/reference/bench_pyactigraphy.py)
echo "$py_out"
# Two benches: the two computations one after the other (one thread, as
# pyActigraphy), and side by side on two threads (what the app runs).
rs_out=$(cargo bench -q -p phr-analysis --bench actigraphy -- 'year_1min/full_metrics' 2>/dev/null)
echo "$rs_out" | grep -E "^year|time:|CK|synthetic" | cut -c1-160

py_ms=$(echo "$py_out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
# criterion prints "time:   [low estimate high]" with units; take the estimate.
to_ms() {
  case "$2" in
    ms) echo "$1" ;;
    µs|us) python3 -c "print($1/1000)" ;;
    s) python3 -c "print($1*1000)" ;;
    *) echo "cannot read the Rust timing" >&2; exit 1 ;;
  esac
}
mapfile -t timings < <(echo "$rs_out" | sed -n 's/.*time: *\[[^ ]* [^ ]* \([0-9.]*\) \([a-zµ]*\) .*/\1 \2/p')
one=$(to_ms ${timings[0]})
two=$(to_ms ${timings[1]})
python3 -c "
py=float($py_ms); one=float($one); two=float($two)
print(f'pyActigraphy {py:.1f} ms; phr-analysis one thread {one:.3f} ms ({py/one:.0f}x faster), two threads {two:.3f} ms ({py/two:.0f}x faster)')"

# Whole processes, as a user runs them: `phr analyze actigraphy` on the year
# as a minute CSV, AWD and AGD; `phr import` of the CSV into a new vault;
# `phr analyze` and `phr report` on that vault. One core (`taskset -c 0`);
# median of 10 runs or more (hyperfine if installed, else a loop). Every
# vault command unlocks the vault first (Argon2id, 64 MiB, 3 passes): that
# is timed apart (`phr people` on the empty vault: the unlock and one small
# query) and taken off the vault figures.
echo
echo "Whole process (release build, one core):"
cargo build -q --release -p phr-cli
phr="${CARGO_TARGET_DIR:-$PWD/target}/release/phr"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tests/reference/year_csv.py "$work/year.csv" "$work/year.AWD" "$work/year.agd"
export PHR_PASSPHRASE="a passphrase for timing only"
"$phr" --vault "$work/empty.phr" init --tz Asia/Tokyo >/dev/null
median_ms() { # median_ms PREPARE COMMAND: milliseconds, median
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 2 -m 10 --prepare "sh -c '$1'" --export-json "$work/h.json" "taskset -c 0 $2" >/dev/null 2>&1
    python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['results'][0]['median']*1000, 1))" "$work/h.json"
  else
    for _ in $(seq 12); do
      sh -c "$1"
      t0=$(date +%s%N); sh -c "taskset -c 0 $2" >/dev/null 2>&1; t1=$(date +%s%N)
      echo $(( (t1 - t0) / 1000 ))
    done | sort -n | sed -n 6p | python3 -c "print(round(int(input())/1000, 1))"
  fi
}
fresh="rm -f $work/v.phr $work/v.phr-wal $work/v.phr-shm; cp $work/empty.phr $work/v.phr"
analyze_csv=$(median_ms true "$phr analyze actigraphy --input $work/year.csv --json")
analyze_awd=$(median_ms true "$phr analyze actigraphy --input $work/year.AWD --json")
analyze_agd=$(median_ms true "$phr analyze actigraphy --input $work/year.agd --json")
unlock=$(median_ms true "$phr --vault $work/empty.phr people")
import=$(median_ms "$fresh" "$phr --vault $work/v.phr import $work/year.csv")
sh -c "$fresh" && "$phr" --vault "$work/v.phr" import "$work/year.csv" >/dev/null
vault_analyze=$(median_ms true "$phr --vault $work/v.phr analyze --from 2025-01-01 --to 2025-12-31 --json")
vault_alerts=$(median_ms true "$phr --vault $work/v.phr care alerts --json")
vault_report=$(median_ms true "$phr --vault $work/v.phr report --from 2025-01-01 --to 2025-12-31 --lang en --out $work/r.pdf")
python3 - "$py_ms" "$analyze_csv" "$analyze_awd" "$analyze_agd" "$unlock" "$import" "$vault_analyze" "$vault_report" "$vault_alerts" <<'PY'
import sys
py, csv, awd, agd, unlock, imp, van, vrep, val = map(float, sys.argv[1:])
print(f"phr analyze actigraphy --json, year CSV: {csv:.1f} ms ({py/csv:.0f}x pyActigraphy's compute alone)")
print(f"  the same from an AWD: {awd:.1f} ms; from an AGD: {agd:.1f} ms")
print(f"unlock (Argon2id; phr people on an empty vault): {unlock:.1f} ms")
print(f"phr import of the year CSV: {imp:.1f} ms, {imp-unlock:.1f} ms without the unlock")
print(f"phr analyze on the vault year --json: {van:.1f} ms, {van-unlock:.1f} ms without the unlock")
print(f"phr report (the year, PDF) on the vault year: {vrep:.1f} ms, {vrep-unlock:.1f} ms without the unlock")
print(f"phr care alerts --json on the vault year: {val:.1f} ms, {val-unlock:.1f} ms without the unlock")
PY
