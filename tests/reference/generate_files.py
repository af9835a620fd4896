"""Device-file fixtures for the importer + analysis differential tests.

Run by hand (not in CI), with pyActigraphy 1.2.2 installed as described in
docs/analysis.md:

    .venv-ref/bin/python tests/reference/generate_files.py

It turns recordings of ours (tests/reference/recordings/*.csv, themselves
synthetic, made by generate.py) into the device formats the app imports,
Actiwatch .AWD and ActiGraph .agd, writes them to tests/reference/files/,
and records what pyActigraphy's own readers and metrics make of each file
(`files/<name>.json`), with the settings of the `phr analyze actigraphy`
contract: IS/IV hourly, L5/M10/RA native, raw and binarized (threshold 4),
Cole-Kripke `mean` with rescoring. Where pyActigraphy raises, null.
"""
import json
import math
import sqlite3
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from pyActigraphy.io import read_raw_agd, read_raw_awd  # noqa: E402

HERE = Path(__file__).parent
OUT = HERE / "files"
TICKS_OFFSET = 62_135_596_800
AWD_CODE = {15: "1", 30: "2", 60: "4", 120: "8", 300: "20"}


def read_csv(name):
    df = pd.read_csv(HERE / "recordings" / f"{name}.csv", dtype={"count": float})
    idx = pd.to_datetime(df["timestamp"])
    return idx, df["count"].to_numpy()


def write_awd(path, idx, counts, epoch_s, serial):
    lines = [path.stem, idx[0].strftime("%d-%b-%Y"), idx[0].strftime("%H:%M"),
             f" {AWD_CODE[epoch_s]}", "0", serial, "M"]
    for i, c in enumerate(counts):
        marker = " M" if i % 97 == 5 else ""
        lines.append(f"{int(c)} , 0.00{marker}")
    path.write_text("\r\n".join(lines) + "\r\n")


def write_agd(path, idx, counts, epoch_s, three_axes):
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE settings (settingID INTEGER PRIMARY KEY, settingName VARCHAR(64), settingValue VARCHAR(8192));"
        "CREATE TABLE data (dataTimestamp INTEGER, axis1 REAL, axis2 REAL, axis3 REAL, steps REAL, lux REAL,"
        " inclineOff REAL, inclineStanding REAL, inclineSitting REAL, inclineLying REAL);")
    ticks0 = (int(idx[0].timestamp()) + TICKS_OFFSET) * 10_000_000
    settings = [("devicename", "wGT3XBT"), ("deviceserial", f"FIX{path.stem.upper()}"),
                ("epochlength", str(epoch_s)), ("startdatetime", str(ticks0)), ("subjectname", path.stem)]
    con.executemany("INSERT INTO settings (settingName, settingValue) VALUES (?, ?)", settings)
    rows = []
    for t, c in zip(idx, counts):
        if not math.isfinite(c):
            continue  # a gap: no row, as when a device lost epochs
        ticks = (int(t.timestamp()) + TICKS_OFFSET) * 10_000_000
        a2, a3 = (round(c * 0.6), round(c * 0.3)) if three_axes else (0, 0)
        rows.append((ticks, c, a2, a3, round(c / 10), 0, 0, 0, 0, 0))
    con.executemany("INSERT INTO data VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()


def num(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def attempt(fn):
    try:
        return num(fn())
    except Exception:  # pyActigraphy raises on too-short recordings
        return None


def expected(raw):
    out = {"epochs": int(len(raw.data)), "start": raw.data.index[0].strftime("%Y-%m-%dT%H:%M:%S")}
    for name, binarize in (("raw", False), ("binarized", True)):
        out[name] = {
            "IS": attempt(lambda: raw.IS(binarize=binarize, threshold=4)),
            "IV": attempt(lambda: raw.IV(binarize=binarize, threshold=4)),
            "L5": attempt(lambda: raw.L5(binarize=binarize, threshold=4)),
            "M10": attempt(lambda: raw.M10(binarize=binarize, threshold=4)),
            "RA": attempt(lambda: raw.RA(binarize=binarize, threshold=4)),
        }
    ck = raw.CK(settings="mean")
    sleep = ck[ck == 1]
    out["ck_sleep_epochs"] = int(sleep.count())
    out["ck_first_sleep"] = sleep.index[0].strftime("%Y-%m-%dT%H:%M:%S") if len(sleep) else None
    return out


def main():
    OUT.mkdir(exist_ok=True)
    jobs = [
        ("regular_9d", "awd", False),
        ("regular_9d", "agd", True),
        ("epoch30_4d", "awd", False),
        ("odd_start_gaps", "agd", False),
        ("huge_counts", "agd", True),
    ]
    for name, fmt, three_axes in jobs:
        idx, counts = read_csv(name)
        epoch_s = int((idx[1] - idx[0]).total_seconds())
        stem = f"{name}_{'3ax' if three_axes else '1ax'}" if fmt == "agd" else name
        if fmt == "awd":
            path = OUT / f"{stem}.AWD"
            write_awd(path, idx, np.nan_to_num(counts), epoch_s, "V0123456")
            raw = read_raw_awd(str(path))
        else:
            path = OUT / f"{stem}.agd"
            write_agd(path, idx, counts, epoch_s, three_axes)
            raw = read_raw_agd(str(path))
        (OUT / f"{path.name}.json").write_text(json.dumps(expected(raw), indent=1) + "\n")
        print(path.name, file=sys.stderr)
    # The minute CSVs themselves, through the CSV importer (gaps included).
    sys.path.insert(0, str(HERE))
    from generate import make_raw  # noqa: E402
    for name in ("regular_9d", "odd_start_gaps", "partial_days", "zero_days", "huge_counts"):
        idx, counts = read_csv(name)
        epoch_s = int((idx[1] - idx[0]).total_seconds())
        raw = make_raw(name, pd.DatetimeIndex(idx), counts, epoch_s)
        (OUT / f"{name}.csv.json").write_text(json.dumps(expected(raw), indent=1) + "\n")
        print(f"{name}.csv", file=sys.stderr)


if __name__ == "__main__":
    main()
