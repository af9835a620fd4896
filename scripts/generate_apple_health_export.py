#!/usr/bin/env python3
"""Writes a large Apple Health export.xml (or export.zip) for speed figures.

Not real data: a seeded, deterministic year shaped like a real export made
by an iPhone and an Apple Watch (steps from both, heart rate every few
minutes, sleep stages every night, and the bulk of a real export: active
energy and distance every minute, which the importer counts and leaves out).

    scripts/generate_apple_health_export.py --days 365 --out /tmp/export.xml
    scripts/generate_apple_health_export.py --days 365 --zip --out /tmp/export.zip
"""
import argparse
import datetime as dt
import io
import random
import zipfile

WATCH = ('sourceName="Hanako\u2019s Apple Watch" sourceVersion="10.3" '
         'device="&lt;&lt;HKDevice: 0x283d3a3a0&gt;, name:Apple Watch, '
         'manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.3&gt;"')
PHONE = ('sourceName="iPhone" sourceVersion="17.3" '
         'device="&lt;&lt;HKDevice: 0x283d3b1c0&gt;, name:iPhone, '
         'manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,5, software:17.3&gt;"')
ZONE = dt.timezone(dt.timedelta(hours=9))


def stamp(t):
    return t.strftime("%Y-%m-%d %H:%M:%S +0900")


def record(out, kind, source, unit, start, end, value):
    out.write(f' <Record type="{kind}" {source} unit="{unit}" '
              f'creationDate="{stamp(end)}" startDate="{stamp(start)}" '
              f'endDate="{stamp(end)}" value="{value}"/>\n')


def write(out, days, seed):
    rng = random.Random(seed)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [\n'
              '<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|'
              'ActivitySummary)*)>\n<!ATTLIST HealthData locale CDATA #REQUIRED>\n]>\n'
              '<HealthData locale="ja_JP">\n <ExportDate value="2025-01-01 08:00:00 +0900"/>\n'
              ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1941-02-03" '
              'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>\n')
    start = dt.datetime(2024, 1, 1, tzinfo=ZONE)
    for day in range(days):
        midnight = start + dt.timedelta(days=day)
        bed = midnight + dt.timedelta(hours=22, minutes=rng.randint(0, 90))
        wake = midnight + dt.timedelta(days=1, hours=6, minutes=rng.randint(0, 60))
        for minute in range(0, 1440):
            t = midnight + dt.timedelta(minutes=minute)
            awake = not (bed - dt.timedelta(days=1) <= t < wake - dt.timedelta(days=1)) and \
                not (bed <= t)
            kcal = round(rng.uniform(0.8, 6.0) if awake else rng.uniform(0.1, 0.3), 3)
            record(out, "HKQuantityTypeIdentifierActiveEnergyBurned", WATCH, "kcal",
                   t, t + dt.timedelta(minutes=1), kcal)
            if awake and minute % 2 == 0:
                record(out, "HKQuantityTypeIdentifierDistanceWalkingRunning", PHONE, "km",
                       t, t + dt.timedelta(minutes=2), round(rng.uniform(0, 0.2), 4))
            if minute % 10 == 0:
                steps = rng.randint(0, 900) if awake else 0
                if steps:
                    record(out, "HKQuantityTypeIdentifierStepCount", WATCH, "count",
                           t, t + dt.timedelta(minutes=10), steps)
                    record(out, "HKQuantityTypeIdentifierStepCount", PHONE, "count",
                           t + dt.timedelta(minutes=1), t + dt.timedelta(minutes=9),
                           int(steps * 0.8))
            if minute % 4 == 0:
                bpm = rng.randint(60, 110) if awake else rng.randint(48, 62)
                record(out, "HKQuantityTypeIdentifierHeartRate", WATCH, "count/min",
                       t, t, bpm)
        t = bed
        stages = ["AsleepCore", "AsleepDeep", "AsleepCore", "AsleepREM", "Awake"]
        while t < wake:
            stage = rng.choice(stages)
            end = min(wake, t + dt.timedelta(minutes=rng.randint(5, 45)))
            out.write(' <Record type="HKCategoryTypeIdentifierSleepAnalysis" '
                      f'{WATCH} creationDate="{stamp(end)}" startDate="{stamp(t)}" '
                      f'endDate="{stamp(end)}" value="HKCategoryValueSleepAnalysis{stage}"/>\n')
            t = end
        out.write(' <Record type="HKCategoryTypeIdentifierSleepAnalysis" '
                  f'{PHONE} creationDate="{stamp(wake)}" startDate="{stamp(bed)}" '
                  f'endDate="{stamp(wake)}" value="HKCategoryValueSleepAnalysisInBed"/>\n')
    out.write("</HealthData>\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zip", action="store_true", help="write export.zip")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.zip:
        with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED) as z:
            with z.open("apple_health_export/export.xml", "w", force_zip64=True) as raw:
                with io.TextIOWrapper(raw, encoding="utf-8") as out:
                    write(out, args.days, args.seed)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            write(out, args.days, args.seed)


if __name__ == "__main__":
    main()
