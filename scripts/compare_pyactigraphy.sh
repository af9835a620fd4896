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
