#!/usr/bin/env bash
# Real recordings for tests: the test data that pyActigraphy 1.2.2 ships in
# its wheel (Actiwatch .AWD of several models, ActiGraph .agd, MotionWatch
# .mtn, Respironics CSV, ActTrust, Tempatilumi, Daqtix, MESA, biobank).
# Downloaded from PyPI, not committed: the package is GPL-3.0 and the files
# are its own. Only the data files are kept; pyActigraphy itself is never
# installed or run by this. Idempotent; prints the directory it filled.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=tests/reference/pyactigraphy-data
if [ -f "$dest/example_01.AWD" ] && [ -f "$dest/test_sample_tal.txt" ]; then
  echo "$dest"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check \
  "pyActigraphy==1.2.2" -d "$tmp" >&2
mkdir -p "$dest"
python3 - "$tmp" "$dest" <<'PY'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(os.path.join(tmp, "pyActigraphy-1.2.2-*.whl"))
prefix = "pyActigraphy/tests/data/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            target = os.path.join(dest, name[len(prefix):])
            with z.open(name) as src, open(target + ".part", "wb") as out:
                out.write(src.read())
            os.replace(target + ".part", target)
    with z.open("pyActigraphy-1.2.2.dist-info/LICENSE.md") as src, \
            open(os.path.join(dest, "LICENSE.md"), "wb") as out:
        out.write(src.read())
PY
echo "$dest"
