#!/usr/bin/env python3
"""Time pyActigraphy 1.2.2 on the synthetic year used by
crates/analysis/benches/actigraphy.rs (same splitmix64 generator), and print
its results so they can be compared with the values the Rust bench prints.

    .venv-ref/bin/python tests/reference/bench_pyactigraphy.py [--csv out.csv]

Run by hand; not part of CI.
"""
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import pyActigraphy  # noqa: E402
from pyActigraphy.io import BaseRaw  # noqa: E402


def splitmix64(x):
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def synthetic_year():
    n = 365 * 1440
    i = np.arange(n, dtype=np.uint64)
    m = i % np.uint64(1440)
    d = i // np.uint64(1440)
    shifted = (m + np.uint64(120)) % np.uint64(1440)
    night = (i + np.uint64(120)) // np.uint64(1440)
    onset = np.uint64(30) + splitmix64(night * np.uint64(2)) % np.uint64(61)
    offset = np.uint64(510) + splitmix64(night * np.uint64(2) + np.uint64(1)) % np.uint64(61)
    r = splitmix64(i + np.uint64(1_000_000))
    asleep = (shifted >= onset) & (shifted < offset)
    night_c = np.where(r % np.uint64(100) < np.uint64(3), (r >> np.uint64(8)) % np.uint64(50), np.uint64(0))
    day_c = np.uint64(50) + (r >> np.uint64(8)) % np.uint64(400)
    counts = np.where(asleep, night_c, day_c).astype(float)
    gap = (d % np.uint64(40) == np.uint64(39)) & (m >= np.uint64(600)) & (m < np.uint64(780))
    counts[gap] = np.nan
    index = pd.date_range("2025-01-01 00:00:00", periods=n, freq="60s")
    return pd.Series(counts, index=index, name="Activity")


def main():
    data = synthetic_year()
    if "--csv" in sys.argv:
        path = sys.argv[sys.argv.index("--csv") + 1]
        with open(path, "w") as f:
            f.write("timestamp,count\n")
            for t, v in zip(data.index.strftime("%Y-%m-%d %H:%M:%S"), data.values):
                f.write(f"{t},\n" if np.isnan(v) else f"{t},{int(v)}\n")
    raw = BaseRaw(
        name="year", uuid="synthetic", format="CSV", axial_mode="mono-axial",
        start_time=data.index[0], period=data.index[-1] - data.index[0],
        frequency=pd.Timedelta("60s"), data=data, light=None,
    )

    def full():
        out = {}
        for label, b in (("raw", False), ("bin", True)):
            out[label] = dict(
                IS=raw.IS(binarize=b), IV=raw.IV(binarize=b),
                L5=raw.L5(binarize=b), M10=raw.M10(binarize=b), RA=raw.RA(binarize=b),
            )
        ck = raw.CK(settings="mean")
        return out, ck

    results, ck = full()  # warm-up (numba/pandas caches)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        full()
        runs.append(time.perf_counter() - t0)
    print(f"pyActigraphy {pyActigraphy.__version__}, pandas {pd.__version__}")
    for label, vals in results.items():
        print(label, {k: float(v) for k, v in vals.items()})
    print("CK(mean) sleep epochs:", int(ck.sum()))
    print(f"full metric set + CK(mean): median {np.median(runs) * 1000:.1f} ms "
          f"(min {min(runs) * 1000:.1f} ms) over {len(runs)} runs")


if __name__ == "__main__":
    main()
