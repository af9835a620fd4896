"""Expected values for pyActigraphy's own test recordings.

Run by hand (not in CI), with pyActigraphy 1.2.2 installed as described in
docs/analysis.md, after scripts/fetch_reference_data.sh has downloaded the
recordings (they are GPL-3.0 and not committed):

    .venv-ref/bin/python tests/reference/generate_pyactigraphy_files.py

For every test recording pyActigraphy 1.2.2 ships, it reads the file with
pyActigraphy's own reader (with the arguments pyActigraphy's test suite
uses) and writes what it found to tests/reference/pyactigraphy/<file>.json:
start, epoch length in seconds, number of epochs, the white-light channel
(values present and their sum, in lux), and IS/IV (hourly),
L5/M10/RA (native epoch), raw and binarized (threshold 4), the settings of
the `phr analyze actigraphy` contract and of generate_files.py. Where
pyActigraphy raises, null.
"""
import json
import math
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
import pyActigraphy  # noqa: E402
from pyActigraphy.io import (  # noqa: E402
    read_raw_agd, read_raw_atr, read_raw_awd, read_raw_bba, read_raw_dqt,
    read_raw_mesa, read_raw_mtn, read_raw_rpx, read_raw_tal,
)

HERE = Path(__file__).parent
DATA = HERE / "pyactigraphy-data"
OUT = HERE / "pyactigraphy"

# file name -> how pyActigraphy reads it (arguments as in its own tests)
JOBS = {
    "example_01.AWD": lambda p: read_raw_awd(p),
    "example_01_mask.AWD": lambda p: read_raw_awd(p),
    "example_02.AWD": lambda p: read_raw_awd(p),
    "example_03.AWD": lambda p: read_raw_awd(p),
    "example_04.AWD": lambda p: read_raw_awd(p),
    "example_05.AWD": lambda p: read_raw_awd(p),
    "test_sample.AWD": lambda p: read_raw_awd(p),
    "test_sample_aw4.AWD": lambda p: read_raw_awd(p),
    "test_sample_aw7.AWD": lambda p: read_raw_awd(p),
    "test_sample_awi.AWD": lambda p: read_raw_awd(p),
    "test_sample_awl.AWD": lambda p: read_raw_awd(p),
    "test_sample_awlp.AWD": lambda p: read_raw_awd(p),
    "test_sample_awmk2.AWD": lambda p: read_raw_awd(p),
    "test_sample_aws.AWD": lambda p: read_raw_awd(p),
    "test_sample_awt.AWD": lambda p: read_raw_awd(p),
    "test_sample.agd": lambda p: read_raw_agd(p),
    "test_sample.mtn": lambda p: read_raw_mtn(p),
    "test_sample_atr.txt": lambda p: read_raw_atr(p),
    "test_sample_tal.txt": lambda p: read_raw_tal(p, encoding="utf-8"),
    "test_sample_dqt.csv": lambda p: read_raw_dqt(p),
    "test_sample_mesa.csv": lambda p: read_raw_mesa(p),
    "test_sample.csv": lambda p: read_raw_rpx(p, language="FR"),
    "test_sample_rpx_eng.csv": lambda p: read_raw_rpx(p, language="ENG_UK"),
    "test_sample_rpx_fr.csv": lambda p: read_raw_rpx(p, language="FR"),
    "test_sample_rpx_ger_no_light.csv": lambda p: read_raw_rpx(p, language="GER"),
    "test_sample_rpx_ger_with_light.csv": lambda p: read_raw_rpx(
        p, language="GER", delimiter=",", decimal=","),
    "sample-timeSeries.csv.gz": lambda p: read_raw_bba(p),
}


# The white-light channel's name in each reader's light data.
WHITE = {"whitelight", "White Light", "Lumière blanche", "Weißes Licht", "LIGHT"}


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
    data = raw.data
    out = {
        "pyactigraphy": pyActigraphy.__version__,
        "start": data.index[0].strftime("%Y-%m-%dT%H:%M:%S"),
        "start_microseconds": int(data.index[0].microsecond),
        "epoch_seconds": num(raw.frequency.total_seconds()),
        "epochs": int(len(data)),
        "missing": int(data.isna().sum()),
        "sum": num(data.sum()),
    }
    light = getattr(raw, "light", None)
    if light is not None and getattr(light, "data", None) is not None:
        out["light_channels"] = sorted(str(c) for c in light.data.columns)
        white = [c for c in light.data.columns if str(c) in WHITE]
        if white:
            # LightRecording holds log10(1 + lux): back to lux.
            channel = 10 ** light.data[white[0]] - 1
            out["white_light"] = {
                "channel": str(white[0]),
                "values": int(channel.notna().sum()),
                "sum": num(channel.sum()),
            }
    for name, binarize in (("raw", False), ("binarized", True)):
        out[name] = {
            "IS": attempt(lambda: raw.IS(binarize=binarize, threshold=4)),
            "IV": attempt(lambda: raw.IV(binarize=binarize, threshold=4)),
            "L5": attempt(lambda: raw.L5(binarize=binarize, threshold=4)),
            "M10": attempt(lambda: raw.M10(binarize=binarize, threshold=4)),
            "RA": attempt(lambda: raw.RA(binarize=binarize, threshold=4)),
        }
    return out


def main():
    OUT.mkdir(exist_ok=True)
    only = set(sys.argv[1:])
    for name, read in JOBS.items():
        if only and name not in only:
            continue
        path = DATA / name
        if not path.exists():
            sys.exit(f"{path} is missing: run scripts/fetch_reference_data.sh")
        raw = read(str(path))
        (OUT / f"{name}.json").write_text(json.dumps(expected(raw), indent=1) + "\n")
        print(name, file=sys.stderr)


if __name__ == "__main__":
    main()
