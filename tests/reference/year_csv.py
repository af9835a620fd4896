#!/usr/bin/env python3
"""Write the synthetic year of crates/analysis/benches/actigraphy.rs and
tests/reference/bench_pyactigraphy.py (same splitmix64 generator) as a
minute CSV, `timestamp,count`, gaps as empty counts: 525,600 rows from
2025-01-01 00:00:00. Plain Python (no numpy), deterministic.

    python3 tests/reference/year_csv.py OUT.csv
"""
import datetime
import sys

MASK = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def main():
    out = sys.argv[1]
    start = datetime.datetime(2025, 1, 1)
    rows = ["timestamp,count\n"]
    for day in range(365):
        stamp = (start + datetime.timedelta(days=day)).strftime("%Y-%m-%d")
        for m in range(1440):
            i = day * 1440 + m
            shifted = (m + 120) % 1440
            night = (i + 120) // 1440
            onset = 30 + splitmix64(night * 2) % 61
            offset = 510 + splitmix64(night * 2 + 1) % 61
            r = splitmix64(i + 1_000_000)
            if onset <= shifted < offset:
                count = (r >> 8) % 50 if r % 100 < 3 else 0
            else:
                count = 50 + (r >> 8) % 400
            gap = day % 40 == 39 and 600 <= m < 780
            rows.append(f"{stamp} {m // 60:02}:{m % 60:02}:00,{'' if gap else count}\n")
    with open(out, "w") as f:
        f.writelines(rows)


if __name__ == "__main__":
    main()
