#!/usr/bin/env python3
"""Write the synthetic year of crates/analysis/benches/actigraphy.rs and
tests/reference/bench_pyactigraphy.py (same splitmix64 generator) as a
minute CSV, `timestamp,count`, gaps as empty counts: 525,600 rows from
2025-01-01 00:00:00. Plain Python (no numpy), deterministic.

    python3 tests/reference/year_csv.py OUT.csv [OUT.AWD [OUT.agd]]

Optionally also as an Actiwatch AWD (gaps as 0: AWD has no missing value)
and an ActiGraph .agd (the counts on axis1, gaps as missing rows), for
timing those readers on a year (scripts/compare_pyactigraphy.sh).
"""
import datetime
import sqlite3
import sys

MASK = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def year_counts():
    """The year's counts, minute by minute; None in the gaps."""
    counts = []
    for day in range(365):
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
            counts.append(None if gap else count)
    return counts


def write_awd(path, counts):
    with open(path, "w") as f:
        f.write("year\n01-Jan-2025\n00:00\n4\n40\nD1234567\nM\n")
        f.writelines(f"{c or 0} , 0\n" for c in counts)


def write_agd(path, counts):
    # .NET ticks (100 ns since 0001-01-01) of 2025-01-01 00:00:00.
    start = (datetime.datetime(2025, 1, 1) - datetime.datetime(1, 1, 1)) // datetime.timedelta(microseconds=1) * 10
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE settings (settingID INTEGER PRIMARY KEY, settingName VARCHAR(64), settingValue VARCHAR(8192));"
        "CREATE TABLE data (dataTimestamp INTEGER, axis1 REAL, axis2 REAL, axis3 REAL, steps REAL, lux REAL);"
    )
    conn.executemany(
        "INSERT INTO settings (settingName, settingValue) VALUES (?, ?)",
        [("devicename", "wGT3XBT"), ("deviceserial", "MOS2E12345678"), ("epochlength", "60"),
         ("startdatetime", str(start)), ("subjectname", "year")],
    )
    conn.executemany(
        "INSERT INTO data VALUES (?, ?, 0, 0, 0, 0)",
        ((start + i * 600_000_000, c) for i, c in enumerate(counts) if c is not None),
    )
    conn.commit()
    conn.close()


def main():
    counts = year_counts()
    start = datetime.datetime(2025, 1, 1)
    rows = ["timestamp,count\n"]
    for day in range(365):
        stamp = (start + datetime.timedelta(days=day)).strftime("%Y-%m-%d")
        for m in range(1440):
            count = counts[day * 1440 + m]
            rows.append(f"{stamp} {m // 60:02}:{m % 60:02}:00,{'' if count is None else count}\n")
    with open(sys.argv[1], "w") as f:
        f.writelines(rows)
    if len(sys.argv) > 2:
        write_awd(sys.argv[2], counts)
    if len(sys.argv) > 3:
        write_agd(sys.argv[3], counts)


if __name__ == "__main__":
    main()
