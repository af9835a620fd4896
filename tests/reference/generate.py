#!/usr/bin/env python3
"""Generate synthetic actigraphy recordings and pyActigraphy 1.2.2 results.

Run by hand (NOT in CI), from the repository root, with the reference venv
described in docs/analysis.md:

    .venv-ref/bin/python tests/reference/generate.py

Writes tests/reference/recordings/<name>.csv (timestamp,count; empty count =
missing) and tests/reference/expected/<name>.json. Everything is
deterministic (numpy seed per recording), so re-running it must reproduce the
committed files byte for byte.
"""
import json
import math
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# pyActigraphy 1.2.2 still uses `np.float`, removed in numpy 1.24 (Oakley).
if not hasattr(np, "float"):
    np.float = float  # type: ignore[attr-defined]

import pyActigraphy  # noqa: E402
from pyActigraphy.io import BaseRaw  # noqa: E402
from pyActigraphy.metrics.metrics import _lmx  # noqa: E402
from pyActigraphy.utils.utils import _average_daily_activity  # noqa: E402

assert pyActigraphy.__version__ == "1.2.2", pyActigraphy.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
REC_DIR = os.path.join(HERE, "recordings")
EXP_DIR = os.path.join(HERE, "expected")


# --------------------------------------------------------------------------
# Synthetic recordings
# --------------------------------------------------------------------------

def rest_activity(rng, start, n, epoch_s, zero_days=(), huge=False):
    """Counts per epoch: nightly sleep with low counts, daytime activity
    following a smooth daily curve, naps, bursts of noise."""
    idx = pd.date_range(start=start, periods=n, freq=f"{epoch_s}s")
    scale = epoch_s / 60.0
    tod = (idx.hour * 3600 + idx.minute * 60 + idx.second).to_numpy() / 3600.0
    day_no = ((idx - idx[0].normalize()) // pd.Timedelta("1D")).to_numpy()
    ndays = int(day_no.max()) + 2
    bed = rng.normal(23.2, 0.7, ndays)   # hours after midnight of day d
    wake = rng.normal(7.0, 0.5, ndays)   # hours after midnight of day d+1
    counts = np.empty(n)
    for i in range(n):
        d = day_no[i]
        h = tod[i]
        asleep = (h >= bed[d] and h >= 12) or (h < wake[d - 1] if d >= 1 else h < wake[0])
        if asleep:
            lam = 0.6 * scale
            c = rng.poisson(lam)
            if rng.random() < 0.02:
                c += rng.poisson(40 * scale)
        else:
            level = 120 + 160 * math.sin(math.pi * (h - 7.0) / 16.0) ** 2
            level *= scale
            if 14.0 <= h < 14.5 and d % 3 == 0:  # a nap every third day
                level = 0.5 * scale
            c = rng.negative_binomial(2, 2 / (2 + level))
            if rng.random() < 0.01:
                c += rng.poisson(300 * scale)
        counts[i] = c
    if huge:
        counts = counts * 1000.0 + rng.integers(0, 10_000, n)
        counts[rng.random(n) < 0.001] = 5e7
    for zd in zero_days:
        counts[day_no == zd] = 0.0
    return idx, counts


def make_recordings():
    recs = {}

    def add(name, seed, start, n, epoch_s, **kw):
        rng = np.random.default_rng(seed)
        idx, counts = rest_activity(rng, start, n, epoch_s, **kw)
        recs[name] = (idx, counts, epoch_s, rng)

    add("regular_9d", 1, "2024-03-04 00:00:00", 9 * 1440, 60)
    add("odd_start_gaps", 2, "2024-03-10 13:37:00", 9 * 1440 + 433, 60)
    add("partial_days", 3, "2024-05-01 18:23:00", 7 * 1440 + 888, 60)
    add("zero_days", 4, "2024-06-01 00:00:00", 9 * 1440, 60, zero_days=(3, 6))
    add("huge_counts", 5, "2024-07-01 06:00:00", 7 * 1440 + 720, 60, huge=True)
    add("epoch30_4d", 6, "2024-08-01 22:14:30", 4 * 2880 + 17, 30)
    add("long_5min_22d", 7, "2024-09-01 00:00:00", 22 * 288, 300)
    add("epoch10_36h", 8, "2024-10-01 08:00:00", 36 * 360, 10)
    add("epoch5_12h", 9, "2024-10-05 20:00:00", 12 * 720, 5)
    add("epoch120_10d", 10, "2024-11-01 00:00:00", 10 * 720, 120)

    # Gaps: a 5-hour hole, a 2-day hole, scattered missing minutes.
    idx, c, e, rng = recs["odd_start_gaps"]
    c[2000:2300] = np.nan
    c[6000:6000 + 2 * 1440] = np.nan
    c[rng.random(len(c)) < 0.01] = np.nan
    # Partial days: a missing final hour.
    idx, c, e, rng = recs["partial_days"]
    c[-60:] = np.nan
    # 30-s epochs with a short gap.
    idx, c, e, rng = recs["epoch30_4d"]
    c[3000:3100] = np.nan
    return recs


def write_csv(path, idx, counts):
    with open(path, "w") as f:
        f.write("timestamp,count\n")
        for t, v in zip(idx, counts):
            ts = t.strftime("%Y-%m-%d %H:%M:%S")
            f.write(f"{ts},\n" if np.isnan(v) else f"{ts},{int(v)}\n")


def read_csv(path):
    df = pd.read_csv(path, dtype={"count": float})
    idx = pd.DatetimeIndex(pd.to_datetime(df["timestamp"], format="%Y-%m-%d %H:%M:%S"))
    return idx, df["count"].to_numpy()


def make_raw(name, idx, counts, epoch_s):
    freq = pd.Timedelta(seconds=epoch_s)
    index = pd.date_range(start=idx[0], periods=len(idx), freq=freq)
    assert (index == idx).all()
    data = pd.Series(counts, index=index, name="Activity", dtype=float)
    return BaseRaw(
        name=name, uuid="synthetic", format="CSV", axial_mode="mono-axial",
        start_time=index[0], period=index[-1] - index[0], frequency=freq,
        data=data, light=None,
    )


# --------------------------------------------------------------------------
# Result helpers
# --------------------------------------------------------------------------

def num(x):
    """float or None for NaN/inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def attempt(fn):
    try:
        return fn()
    except Exception as exc:  # recorded as an explicit error in the fixture
        return {"error": f"{type(exc).__name__}: {exc}"}


def rle(values):
    """Run-length encoding [[value, length], ...]; NaN -> null."""
    out = []
    for v in values:
        v = None if (v is None or (isinstance(v, float) and math.isnan(v))) else int(v)
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return out


def scores(series):
    return {
        "start": series.index[0].strftime("%Y-%m-%d %H:%M:%S"),
        "epoch_seconds": int(pd.Timedelta(series.index.freq).total_seconds()),
        "len": int(len(series)),
        "sleep_epochs": int(np.nansum(series.values)),
        "rle": rle(series.values),
    }


def lmx_detail(data, period):
    """pyActigraphy's _lmx plus the onsets tied with the winner (within 1e-9
    relative), so that tests can accept any of them."""
    lowest = period == "5H"
    t_start, value = _lmx(data, period, lowest=lowest)
    avg = _average_daily_activity(data=data, cyclic=True)
    n = int(pd.Timedelta(period) / avg.index.freq)
    mean_activity = (avg.rolling(period).sum().shift(-n + 1)) / n
    day = pd.Timedelta("1D")
    tol = 1e-9 * max(abs(value), 1e-12)
    ties = sorted({
        int((t % day).total_seconds())
        for t, v in mean_activity.items()
        if not np.isnan(v) and abs(v - value) <= tol
    })
    return {
        "value": num(value),
        "onset_seconds": int((t_start % day).total_seconds()),
        "tied_onsets": ties,
    }


def circadian(raw, period):
    out = {}
    for label, binarize in (("raw", False), ("bin", True)):
        data = raw.binarized_data(4) if binarize else raw.data
        res = {
            "IS": attempt(lambda: num(raw.IS(binarize=binarize))),
            "IV": attempt(lambda: num(raw.IV(binarize=binarize))),
            "IS_30min": attempt(lambda: num(raw.IS(freq="30min", binarize=binarize))),
            "IV_30min": attempt(lambda: num(raw.IV(freq="30min", binarize=binarize))),
            "IS_2h": attempt(lambda: num(raw.IS(freq="2h", binarize=binarize))),
            "IV_2h": attempt(lambda: num(raw.IV(freq="2h", binarize=binarize))),
            "IS_native": attempt(lambda: num(raw.IS(freq=raw.frequency, binarize=binarize))),
            "IV_native": attempt(lambda: num(raw.IV(freq=raw.frequency, binarize=binarize))),
            "L5": attempt(lambda: num(raw.L5(binarize=binarize))),
            "M10": attempt(lambda: num(raw.M10(binarize=binarize))),
            "RA": attempt(lambda: num(raw.RA(binarize=binarize))),
            "L5_detail": attempt(lambda: lmx_detail(data, "5H")),
            "M10_detail": attempt(lambda: lmx_detail(data, "10H")),
            "period": period,
            "ISp": attempt(lambda: [num(v) for v in raw.ISp(period=period, binarize=binarize)]),
            "IVp": attempt(lambda: [num(v) for v in raw.IVp(period=period, binarize=binarize)]),
            "L5p": attempt(lambda: [num(v) for v in raw.L5p(period=period, binarize=binarize)]),
            "M10p": attempt(lambda: [num(v) for v in raw.M10p(period=period, binarize=binarize)]),
            "RAp": attempt(lambda: [num(v) for v in raw.RAp(period=period, binarize=binarize)]),
        }
        out[label] = res
    return out


def sleep_scoring(raw):
    epoch_s = int(raw.frequency.total_seconds())
    out = {}
    for settings in ("mean", "10sec_max_overlap", "10sec_max_non_overlap",
                     "30sec_max_non_overlap"):
        for rescoring in (True, False):
            key = f"CK_{settings}" + ("" if rescoring else "_norescore")
            out[key] = attempt(lambda: scores(raw.CK(settings=settings, rescoring=rescoring)))
    out["Sadeh"] = attempt(lambda: scores(raw.Sadeh()))
    out["Scripps"] = attempt(lambda: scores(raw.Scripps()))
    if epoch_s in (15, 30, 60, 120):
        for thr in (20, 40, 80, "automatic"):
            out[f"Oakley_{thr}"] = attempt(lambda: scores(raw.Oakley(threshold=thr)))
    out["Roenneberg"] = attempt(lambda: scores(raw.Roenneberg()))
    return out


def masked(name, idx, counts, epoch_s):
    """Metrics with pyActigraphy's inactivity mask (>= 120 min of zeros)."""
    raw = make_raw(name, idx, counts, epoch_s)
    nepochs = int(pd.Timedelta("120min") / raw.frequency)
    raw.create_inactivity_mask(nepochs)
    raw.mask_inactivity = True
    res = {
        "min_epochs": nepochs,
        "mask_rle": rle(raw.mask.values),
    }
    for label, binarize in (("raw", False), ("bin", True)):
        res[label] = {
            "IS": attempt(lambda: num(raw.IS(binarize=binarize))),
            "IV": attempt(lambda: num(raw.IV(binarize=binarize))),
            "L5": attempt(lambda: num(raw.L5(binarize=binarize))),
            "M10": attempt(lambda: num(raw.M10(binarize=binarize))),
            "RA": attempt(lambda: num(raw.RA(binarize=binarize))),
        }
    return res


def main():
    os.makedirs(REC_DIR, exist_ok=True)
    os.makedirs(EXP_DIR, exist_ok=True)
    only = set(sys.argv[1:])
    for name, (idx, counts, epoch_s, _rng) in make_recordings().items():
        if only and name not in only:
            continue
        csv_path = os.path.join(REC_DIR, f"{name}.csv")
        write_csv(csv_path, idx, counts)
        # Re-read the CSV so pyActigraphy sees exactly what the Rust tests see.
        ridx, rcounts = read_csv(csv_path)
        raw = make_raw(name, ridx, rcounts, epoch_s)
        span_days = (ridx[-1] - ridx[0]) / pd.Timedelta("1D")
        period = "7D" if span_days >= 14 else "3D"
        expected = {
            "pyactigraphy": pyActigraphy.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "name": name,
            "start": ridx[0].strftime("%Y-%m-%d %H:%M:%S"),
            "epoch_seconds": epoch_s,
            "len": int(len(ridx)),
            "missing": int(np.isnan(rcounts).sum()),
            "circadian": circadian(raw, period),
            "masked": masked(name, ridx, rcounts, epoch_s),
            "scoring": sleep_scoring(raw),
        }
        with open(os.path.join(EXP_DIR, f"{name}.json"), "w") as f:
            # One line per top-level key keeps diffs readable and files small.
            f.write("{\n")
            keys = sorted(expected)
            for k, key in enumerate(keys):
                body = json.dumps(expected[key], sort_keys=True, separators=(",", ":"))
                f.write(f" {json.dumps(key)}:{body}{',' if k + 1 < len(keys) else ''}\n")
            f.write("}\n")
        print(f"{name}: {len(ridx)} epochs written")


if __name__ == "__main__":
    main()
