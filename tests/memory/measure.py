#!/usr/bin/env python3
"""Idle memory of a GUI program and every process it starts, by mapping.

Starts PROGRAM (with a fresh, empty vault in a temporary directory, so the
app shows its first-run screen), waits, then reads /proc/PID/smaps of the
program and its descendants (for a WebKitGTK app: the app, the network
process and the web process) and prints each process's PSS, the sum, and
the mappings that hold the most, split by process. Needs a display:

    xvfb-run -a -s "-screen 0 1280x800x24" \
        python3 tests/memory/measure.py target/release/phr-app
    xvfb-run -a -s "-screen 0 1280x800x24" \
        python3 tests/memory/measure.py target/release/examples/webkit_floor

PSS (proportional set size) shares each page among the processes mapping
it, so the sum over the tree counts every page once; RSS would count the
shared libraries once per process. docs/benchmarks.md has the figures.
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time


def descendants(pid):
    """PID and every process below it, parents first."""
    out = [pid]
    for parent in out:
        for task in os.listdir(f"/proc/{parent}/task"):
            try:
                with open(f"/proc/{parent}/task/{task}/children") as f:
                    out += [int(c) for c in f.read().split()]
            except OSError:
                pass
    return out


def pss_by_mapping(pid):
    """kB of PSS per mapping name (a file's base name, [heap], [anon], ...),
    and kB of USS (pages only this process maps)."""
    by = collections.Counter()
    uss = 0
    name = "[anon]"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if not fields[0].endswith(":"):  # a mapping's header line
                path = fields[5] if len(fields) > 5 else "[anon]"
                name = os.path.basename(path) if path.startswith("/") else path
            elif fields[0] == "Pss:":
                by[name] += int(fields[1])
            elif fields[0] in ("Private_Clean:", "Private_Dirty:"):
                uss += int(fields[1])
    return by, uss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("program", nargs="?", help="the program to start")
    parser.add_argument("--pid", type=int, help="measure this running process tree instead")
    parser.add_argument("--wait", type=float, default=6.0, help="seconds before reading (default 6)")
    parser.add_argument("--top", type=int, default=20, help="mappings to list (default 20)")
    args = parser.parse_args()

    if args.pid:
        report(measure(args.pid), args.top)
        return
    if not args.program:
        parser.error("give a program to start, or --pid")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, PHR_VAULT=os.path.join(home, "vault.phr"))
        program = subprocess.Popen([args.program], env=env, stdout=subprocess.DEVNULL)
        try:
            time.sleep(args.wait)
            if program.poll() is not None:
                sys.exit(f"{args.program} exited early with status {program.returncode}")
            per_process = measure(program.pid)
        finally:
            program.terminate()
            program.wait()
    report(per_process, args.top)


def measure(root):
    """(PSS by mapping, USS) of ROOT and each process below it, keyed by name (pid)."""
    per_process = {}
    for pid in descendants(root):
        with open(f"/proc/{pid}/comm") as f:
            per_process[f"{f.read().strip()} ({pid})"] = pss_by_mapping(pid)
    return per_process


def report(per_process, top):
    """Prints each process's PSS and USS, the sums and the TOP mappings."""
    total = collections.Counter()
    total_uss = 0
    for name, (by, uss) in per_process.items():
        total.update(by)
        total_uss += uss
        print(f"{name:32s} PSS {sum(by.values()) / 1024:7.1f} MB   USS {uss / 1024:7.1f} MB")
    print(f"{'sum':32s} PSS {sum(total.values()) / 1024:7.1f} MB   USS {total_uss / 1024:7.1f} MB")
    for mapping, kb in total.most_common(top):
        split = "  ".join(
            f"{name.split(' ')[0]}={by[mapping] / 1024:.1f}"
            for name, (by, _) in per_process.items()
            if by[mapping]
        )
        print(f"  {kb / 1024:7.1f} MB  {mapping}  ({split})")


if __name__ == "__main__":
    main()
