//! The Fitbit / Google Takeout reader: each file kind, a folder and a ZIP,
//! DST, errors with their place, cancelling and duplicates.
//!
//! `tests/data/fitbit/` holds a small Takeout folder written by us (see its
//! README: no real export with a licence for test use was found in a
//! package registry).

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use phr_exports::fitbit::{
    looks_like_fitbit_json, looks_like_fitbit_takeout_dir, parse_fitbit_json, read_fitbit,
    zip_has_fitbit, SOURCE_KEY,
};
use phr_exports::{Export, ExportError, ExportFormat};
use phr_model::{SleepStage, Stamp};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

const TAKEOUT_DIR: &str = "Takeout/Fitbit/Global Export Data";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fitbit")
}

fn zone(name: &str) -> Tz {
    name.parse().expect("test zone")
}

fn read(path: &Path, zone_name: &str) -> Result<Export, ExportError> {
    read_fitbit(path, "input", zone(zone_name), &mut |_| {
        ControlFlow::Continue(())
    })
}

/// The UTC instant of a wall-clock time at a fixed offset (hours east).
fn utc(local: &str, offset_hours: i64) -> i64 {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").expect("test literal");
    local.and_utc().timestamp() - offset_hours * 3600
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("test folder");
    }
    std::fs::write(&path, text).expect("test file");
    path
}

fn zip_of(path: &Path, entries: &[(&str, &str)]) {
    let file = std::fs::File::create(path).expect("zip file");
    let mut writer = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in entries {
        writer.start_file(*name, options).expect("zip entry");
        writer.write_all(text.as_bytes()).expect("zip write");
    }
    writer.finish().expect("zip finish");
}

fn steps_json(rows: &[(&str, &str)]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|(at, value)| format!("{{\n  \"dateTime\" : \"{at}\",\n  \"value\" : \"{value}\"\n}}"))
        .collect();
    format!("[{}]", rows.join(","))
}

fn heart_json(rows: &[(&str, u32, u32)]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|(at, bpm, confidence)| {
            format!(
                "{{\"dateTime\":\"{at}\",\"value\":{{\"bpm\":{bpm},\"confidence\":{confidence}}}}}"
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}

fn only_source(export: &Export) -> &phr_exports::SourceSamples {
    assert_eq!(export.sources.len(), 1, "one source: {:?}", export.sources);
    &export.sources[0]
}

#[test]
fn sniffs_fitbit_json_heads() {
    for head in [
        &b"[{\n  \"dateTime\" : \"01/02/20 00:00:00\",\n  \"value\" : \"0\""[..],
        b"\xEF\xBB\xBF  [ {\"dateTime\":\"01/02/20 00:00:05\",\"value\":{\"bpm\":70",
        b"[{\n  \"logId\" : 25396201733,\n  \"dateOfSleep\" : \"2020-01-02\"",
        b"\n[\n{\"dateOfSleep\":\"2020-01-02\"",
    ] {
        assert!(
            looks_like_fitbit_json(head),
            "{:?}",
            String::from_utf8_lossy(head)
        );
    }
    for head in [
        &b""[..],
        b"[]",
        b"{\"dateTime\":\"01/02/20 00:00:00\"}",
        b"[{\"time\":\"00:00:00\",\"value\":62}]",
        b"<?xml version=\"1.0\"?><HealthData>",
        b"date,steps\n2020-01-02 00:00,0\n",
    ] {
        assert!(
            !looks_like_fitbit_json(head),
            "{:?}",
            String::from_utf8_lossy(head)
        );
    }
}

#[test]
fn steps_file_gives_minutes_zeros_included() {
    let path = data_dir().join(TAKEOUT_DIR).join("steps-2020-01-02.json");
    let export = read(&path, "Asia/Tokyo").expect("steps file reads");
    assert_eq!(export.format, ExportFormat::FitbitTakeout);
    let source = only_source(&export);
    assert_eq!(source.source.source_key, SOURCE_KEY);
    assert_eq!(source.source.label, "Fitbit");
    let steps: Vec<(i64, u32, u32)> = source
        .steps
        .iter()
        .map(|step| (step.start.utc, step.duration_seconds, step.steps))
        .collect();
    let at = |minute: &str| utc(&format!("2020-01-02 07:{minute}:00"), 9);
    assert_eq!(
        steps,
        vec![
            (at("00"), 60, 0),
            (at("01"), 60, 0),
            (at("02"), 60, 14),
            (at("03"), 60, 61),
            (at("04"), 60, 98),
            (at("05"), 60, 7),
            (at("06"), 60, 0),
        ]
    );
    assert!(source
        .steps
        .iter()
        .all(|step| step.start.offset_seconds == 9 * 3600));
    assert!(source.heart_rate.is_empty() && source.sleep.is_empty());
}

#[test]
fn heart_rate_file_drops_confidence_zero() {
    let path = data_dir()
        .join(TAKEOUT_DIR)
        .join("heart_rate-2020-01-02.json");
    let export = read(&path, "Europe/Berlin").expect("heart-rate file reads");
    let source = only_source(&export);
    let readings: Vec<(i64, u16)> = source
        .heart_rate
        .iter()
        .map(|reading| (reading.at.utc, reading.bpm))
        .collect();
    let at = |second: &str| utc(&format!("2020-01-02 07:00:{second}"), 1);
    assert_eq!(
        readings,
        vec![
            (at("03"), 58),
            (at("08"), 59),
            (at("18"), 61),
            (at("33"), 72)
        ]
    );
    assert_eq!(
        export.skipped,
        vec![("heart_rate with confidence 0".to_string(), 1)]
    );
}

#[test]
fn sleep_file_gives_episodes_with_stages_and_short_wakes() {
    let path = data_dir().join(TAKEOUT_DIR).join("sleep-2020-01-02.json");
    let export = read(&path, "Europe/Berlin").expect("sleep file reads");
    let source = only_source(&export);
    assert_eq!(source.sleep.len(), 2);
    // Sorted by start although the file lists the newest first.
    let night = &source.sleep[0];
    assert_eq!(night.start, Stamp::new(utc("2020-01-01 23:10:30", 1), 3600));
    assert_eq!(night.end, Stamp::new(utc("2020-01-02 06:58:30", 1), 3600));
    assert!(night.is_main);
    assert_eq!(night.method, "device");
    let stages: Vec<(u32, u32, SleepStage)> = night
        .stages
        .iter()
        .map(|span| {
            (
                span.offset_seconds,
                span.offset_seconds + span.duration_seconds,
                span.stage,
            )
        })
        .collect();
    use SleepStage::*;
    assert_eq!(
        stages,
        vec![
            (0, 570, Awake),
            (570, 1770, Light),
            (1770, 1830, Awake),
            (1830, 3000, Light),
            (3000, 7860, Deep),
            (7860, 10980, Light),
            (10980, 11070, Awake),
            (11070, 20490, Light),
            (20490, 22770, Rem),
            (22770, 22800, Awake),
            (22800, 25830, Rem),
            (25830, 28080, Awake),
        ]
    );
    let nap = &source.sleep[1];
    assert!(!nap.is_main);
    assert_eq!(nap.start.utc, utc("2020-01-02 13:05:00", 1));
    assert_eq!(nap.end.utc, utc("2020-01-02 13:41:00", 1));
    let nap_stages: Vec<(u32, u32, SleepStage)> = nap
        .stages
        .iter()
        .map(|span| (span.offset_seconds, span.duration_seconds, span.stage))
        .collect();
    // Classic levels: restless counts as awake.
    assert_eq!(
        nap_stages,
        vec![(0, 1020, Asleep), (1020, 180, Awake), (1200, 960, Asleep)]
    );
}

#[test]
fn takeout_folder_reads_every_kind_as_one_source() {
    let dir = data_dir();
    assert!(looks_like_fitbit_takeout_dir(&dir));
    let export = read(&dir, "Europe/Berlin").expect("folder reads");
    let source = only_source(&export);
    assert_eq!(source.source.source_key, "fitbit:takeout");
    assert_eq!(
        (
            source.steps.len(),
            source.heart_rate.len(),
            source.sleep.len()
        ),
        (7, 4, 2)
    );
    assert!(source.activity.is_empty());
    assert_eq!(
        export.skipped,
        vec![
            ("calories-*.json files".to_string(), 1),
            ("heart_rate with confidence 0".to_string(), 1),
        ]
    );
    assert_eq!(source.batches().len(), 3);

    let not_fitbit = tempfile::tempdir().expect("temp dir");
    write(not_fitbit.path(), "notes/readme.txt", "hello");
    write(not_fitbit.path(), "sleep.json", "[]");
    assert!(!looks_like_fitbit_takeout_dir(not_fitbit.path()));
    match read(not_fitbit.path(), "UTC") {
        Err(ExportError::File { file, message }) => {
            assert_eq!(file, "input");
            assert!(message.contains("no Fitbit"), "{message}");
        }
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn takeout_zip_reads_like_the_folder_and_names_entries_in_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixture = data_dir().join(TAKEOUT_DIR);
    let mut entries: Vec<(String, String)> = std::fs::read_dir(&fixture)
        .expect("fixture folder")
        .map(|entry| {
            let entry = entry.expect("fixture entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(entry.path()).expect("fixture file");
            (format!("{TAKEOUT_DIR}/{name}"), text)
        })
        .collect();
    entries.push((
        "Takeout/archive_browser.html".to_string(),
        "<html/>".to_string(),
    ));
    let borrowed: Vec<(&str, &str)> = entries
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let zip_path = dir.path().join("takeout-20240101.zip");
    zip_of(&zip_path, &borrowed);
    assert!(zip_has_fitbit(&zip_path));
    assert!(!looks_like_fitbit_takeout_dir(
        dir.path().join("missing").as_path()
    ));
    let from_zip = read(&zip_path, "Europe/Berlin").expect("zip reads");
    let from_folder = read(&data_dir(), "Europe/Berlin").expect("folder reads");
    assert_eq!(from_zip, from_folder);

    let other_zip = dir.path().join("other.zip");
    zip_of(&other_zip, &[("photos/a.json", "[]")]);
    assert!(!zip_has_fitbit(&other_zip));
    assert!(!zip_has_fitbit(&fixture.join("steps-2020-01-02.json")));

    let bad_zip = dir.path().join("bad.zip");
    let bad_steps = steps_json(&[("01/02/20 00:00:00", "3"), ("01/02/20 00:01:00", "x")]);
    zip_of(
        &bad_zip,
        &[(&format!("{TAKEOUT_DIR}/steps-2020-01-02.json"), &bad_steps)],
    );
    let error = read_fitbit(&bad_zip, "takeout.zip", zone("UTC"), &mut |_| {
        ControlFlow::Continue(())
    })
    .expect_err("bad value");
    assert_eq!(
        error,
        ExportError::At {
            file: format!("takeout.zip/{TAKEOUT_DIR}/steps-2020-01-02.json"),
            place: "record 2".to_string(),
            message: "steps value \"x\" is not a whole number".to_string(),
        }
    );
}

#[test]
fn malformed_records_are_named_with_file_and_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let check = |name: &str, text: &str, place: &str, message_part: &str| {
        let path = write(dir.path(), name, text);
        match read_fitbit(&path, name, zone("UTC"), &mut |_| ControlFlow::Continue(())) {
            Err(ExportError::At {
                file,
                place: got_place,
                message,
            }) => {
                assert_eq!(file, name);
                assert_eq!(got_place, place, "{name}: {message}");
                assert!(message.contains(message_part), "{name}: {message}");
            }
            other => panic!("{name}: expected an error at {place}, got {other:?}"),
        }
    };
    check(
        "steps-2020-01-02.json",
        &steps_json(&[
            ("01/02/20 00:00:00", "0"),
            ("01/02/20 00:01:00", "4"),
            ("2020-13-45 00:02:00", "5"),
        ]),
        "record 3",
        "is not a time",
    );
    check(
        "heart_rate-2020-01-02.json",
        "[{\"dateTime\":\"01/02/20 00:00:05\",\"value\":{\"bpm\":70,\"confidence\":2}},\n\
         {\"dateTime\":\"01/02/20 00:00:10\",\"value\":{\"confidence\":2}}]",
        "record 2 (line 2)",
        "missing field `bpm`",
    );
    check(
        "heart_rate-2020-01-03.json",
        &heart_json(&[("01/03/20 00:00:05", 70000, 2)]),
        "record 1",
        "bpm 70000 is out of range",
    );
    check(
        "steps-2020-01-03.json",
        "[{\"dateTime\":\"01/03/20 00:00:00\",\"value\":\"1\"},\n{\"dateTime\":",
        "record 2 (line 2)",
        "EOF",
    );
    check(
        "steps-2020-01-04.json",
        "{\"dateTime\":\"01/04/20 00:00:00\",\"value\":\"1\"}",
        "line 1",
        "JSON array",
    );
    check(
        "sleep-2020-01-02.json",
        "[{\"logId\":1,\"startTime\":\"2020-01-02T07:00:00.000\",\
          \"endTime\":\"2020-01-01T23:00:00.000\",\"mainSleep\":true}]",
        "record 1",
        "is not after startTime",
    );
    check(
        "sleep-2020-01-03.json",
        "[{\"logId\":1,\"startTime\":\"2020-01-02T23:00:00.000\",\
          \"endTime\":\"2020-01-03T07:00:00.000\",\"levels\":{\"data\":[\
          {\"dateTime\":\"2020-01-02T22:00:00.000\",\"level\":\"light\",\"seconds\":60}]}}]",
        "record 1",
        "begins before the sleep's startTime",
    );
    check(
        "steps-2020-01-05.json",
        &steps_json(&[("01/05/20 00:00:00", "0")]).replace("]", "] x"),
        "line 4",
        "trailing characters",
    );

    let unknown = write(
        dir.path(),
        "export.json",
        "[{\"dateTime\":\"01/02/20 00:00:00\"}]",
    );
    assert!(matches!(
        read(&unknown, "UTC"),
        Err(ExportError::File { .. })
    ));
    assert!(matches!(
        read(&dir.path().join("missing.json"), "UTC"),
        Err(ExportError::File { .. })
    ));
}

#[test]
fn folder_errors_name_the_file_inside() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "user-site-export/steps-2020-01-02.json",
        &steps_json(&[("01/02/20 00:00:00", "-3")]),
    );
    let error = read_fitbit(dir.path(), "MyFitbitData", zone("UTC"), &mut |_| {
        ControlFlow::Continue(())
    })
    .expect_err("negative steps");
    assert_eq!(
        error,
        ExportError::At {
            file: "MyFitbitData/user-site-export/steps-2020-01-02.json".to_string(),
            place: "record 1".to_string(),
            message: "steps value \"-3\" is not a whole number".to_string(),
        }
    );
}

#[test]
fn fall_back_hour_walked_twice_maps_to_increasing_instants() {
    let dir = tempfile::tempdir().expect("temp dir");
    // New York, 2020-11-01: 01:00-01:59 happens twice (EDT, then EST).
    let path = write(
        dir.path(),
        "heart_rate-2020-11-01.json",
        &heart_json(&[
            ("11/01/20 00:59:55", 60, 2),
            ("11/01/20 01:30:00", 61, 2),
            ("11/01/20 01:59:55", 62, 2),
            ("11/01/20 01:00:05", 63, 2),
            ("11/01/20 01:30:00", 64, 2),
            ("11/01/20 02:00:00", 65, 2),
        ]),
    );
    let export = read(&path, "America/New_York").expect("reads");
    let readings: Vec<(Stamp, u16)> = only_source(&export)
        .heart_rate
        .iter()
        .map(|reading| (reading.at, reading.bpm))
        .collect();
    let edt = |local: &str| Stamp::new(utc(&format!("2020-11-01 {local}"), -4), -4 * 3600);
    let est = |local: &str| Stamp::new(utc(&format!("2020-11-01 {local}"), -5), -5 * 3600);
    assert_eq!(
        readings,
        vec![
            (edt("00:59:55"), 60),
            (edt("01:30:00"), 61),
            (edt("01:59:55"), 62),
            (est("01:00:05"), 63),
            (est("01:30:00"), 64),
            (est("02:00:00"), 65),
        ]
    );
}

#[test]
fn spring_forward_gap_minutes_are_left_out_and_sleep_uses_the_earlier_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    // New York, 2020-03-08: 02:00-02:59 never happened.
    write(
        dir.path(),
        "steps-2020-03-08.json",
        &steps_json(&[
            ("03/08/20 01:59:00", "1"),
            ("03/08/20 02:00:00", "0"),
            ("03/08/20 02:01:00", "0"),
            ("03/08/20 03:00:00", "2"),
        ]),
    );
    write(
        dir.path(),
        "sleep-2020-03-08.json",
        "[{\"logId\":7,\"startTime\":\"2020-03-08T02:30:00.000\",\
          \"endTime\":\"2020-03-08T08:00:00.000\",\"mainSleep\":true,\"type\":\"classic\",\
          \"levels\":{\"data\":[\
          {\"dateTime\":\"2020-03-08T02:30:00.000\",\"level\":\"asleep\",\"seconds\":16200}]}}]",
    );
    let export = read(dir.path(), "America/New_York").expect("reads");
    let source = only_source(&export);
    let steps: Vec<(i64, u32)> = source
        .steps
        .iter()
        .map(|step| (step.start.utc, step.steps))
        .collect();
    assert_eq!(
        steps,
        vec![
            (utc("2020-03-08 01:59:00", -5), 1),
            (utc("2020-03-08 03:00:00", -4), 2)
        ]
    );
    assert!(export.skipped.contains(&(
        "steps at a local time skipped by a DST change".to_string(),
        2
    )));
    let sleep = &source.sleep[0];
    // 02:30 read as EST is 07:30 UTC, 03:30 EDT.
    assert_eq!(
        sleep.start,
        Stamp::new(utc("2020-03-08 02:30:00", -5), -4 * 3600)
    );
    assert_eq!(
        sleep.end,
        Stamp::new(utc("2020-03-08 08:00:00", -4), -4 * 3600)
    );
    assert_eq!(sleep.stages.len(), 1);
    assert_eq!(sleep.stages[0].offset_seconds, 0);
}

#[test]
fn duplicates_are_kept_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Two overlapping steps files (a month file and a day file).
    write(
        dir.path(),
        "a/steps-2020-01-01.json",
        &steps_json(&[("01/02/20 10:00:00", "5"), ("01/02/20 10:01:00", "9")]),
    );
    write(
        dir.path(),
        "b/steps-2020-01-02.json",
        &steps_json(&[("01/02/20 10:00:00", "7"), ("01/02/20 10:01:00", "3")]),
    );
    write(
        dir.path(),
        "a/heart_rate-2020-01-02.json",
        &heart_json(&[("01/02/20 10:00:05", 70, 2), ("01/02/20 10:00:05", 71, 2)]),
    );
    write(
        dir.path(),
        "b/heart_rate-2020-01-02.json",
        &heart_json(&[("01/02/20 10:00:05", 72, 2)]),
    );
    let log = |id: u64, end: &str| {
        format!(
            "{{\"logId\":{id},\"startTime\":\"2020-01-01T23:00:00.000\",\
              \"endTime\":\"{end}\",\"mainSleep\":true}}"
        )
    };
    write(
        dir.path(),
        "a/sleep-2020-01-01.json",
        &format!("[{}]", log(1, "2020-01-02T06:00:00.000")),
    );
    write(
        dir.path(),
        "b/sleep-2019-12-15.json",
        &format!(
            "[{},{}]",
            log(1, "2020-01-02T06:00:00.000"),
            log(2, "2020-01-02T07:00:00.000")
        ),
    );
    let export = read(dir.path(), "UTC").expect("reads");
    let source = only_source(&export);
    let steps: Vec<u32> = source.steps.iter().map(|step| step.steps).collect();
    assert_eq!(steps, vec![7, 9], "larger count per minute");
    let bpm: Vec<u16> = source
        .heart_rate
        .iter()
        .map(|reading| reading.bpm)
        .collect();
    assert_eq!(bpm, vec![72], "the later reading per second");
    assert_eq!(source.sleep.len(), 1, "one log id, one start: the longer");
    assert_eq!(source.sleep[0].end.utc, utc("2020-01-02 07:00:00", 0));
}

#[test]
fn progress_reports_bytes_and_cancels() {
    let dir = data_dir();
    let total: u64 = std::fs::read_dir(dir.join(TAKEOUT_DIR))
        .expect("fixture folder")
        .map(|entry| {
            let entry = entry.expect("fixture entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("calories") {
                0
            } else {
                entry.metadata().expect("metadata").len()
            }
        })
        .sum();
    let mut seen = Vec::new();
    read_fitbit(&dir, "input", zone("UTC"), &mut |done| {
        seen.push(done);
        ControlFlow::Continue(())
    })
    .expect("reads");
    assert_eq!(seen.last(), Some(&total));
    assert!(seen.windows(2).all(|pair| pair[0] <= pair[1]));

    let error = read_fitbit(&dir, "input", zone("UTC"), &mut |_| ControlFlow::Break(()))
        .expect_err("cancelled");
    assert!(matches!(error, ExportError::Cancelled { .. }), "{error:?}");
}

#[test]
fn single_file_named_by_the_caller() {
    // A temporary path whose own name says nothing: `file` names the kind.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(
        dir.path(),
        "upload.tmp",
        &steps_json(&[("01/02/20 00:00:00", "3")]),
    );
    let export = read_fitbit(&path, "steps-2020-01-02.json", zone("UTC"), &mut |_| {
        ControlFlow::Continue(())
    })
    .expect("reads");
    assert_eq!(only_source(&export).steps.len(), 1);
    let start = only_source(&export).steps[0].start;
    assert_eq!(
        start.local(),
        NaiveDate::from_ymd_opt(2020, 1, 2)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .expect("literal")
    );
    // Heart rate told by its content.
    let path = write(
        dir.path(),
        "upload2.tmp",
        &heart_json(&[("01/02/20 00:00:05", 66, 1)]),
    );
    let export = read(&path, "UTC").expect("reads");
    assert_eq!(only_source(&export).heart_rate.len(), 1);
}

#[test]
fn in_memory_file_reads_like_the_file_on_disk() {
    let path = data_dir().join(TAKEOUT_DIR).join("sleep-2020-01-02.json");
    let bytes = std::fs::read(&path).expect("fixture");
    let in_memory =
        parse_fitbit_json(&bytes, "sleep-2020-01-02.json", zone("Europe/Berlin")).expect("reads");
    assert_eq!(in_memory, read(&path, "Europe/Berlin").expect("reads"));
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&bytes);
    assert_eq!(
        parse_fitbit_json(&with_bom, "sleep-2020-01-02.json", zone("Europe/Berlin")),
        Ok(in_memory)
    );
    assert!(matches!(
        parse_fitbit_json(b"[]", "notes.json", zone("UTC")),
        Err(ExportError::File { .. })
    ));
    // An empty file of a known kind reads as nothing.
    let empty = parse_fitbit_json(b"[ ]", "steps-2020-01-02.json", zone("UTC")).expect("reads");
    assert!(empty.sources.is_empty());
}

/// Stages as (offset, end) in seconds.
fn stage_bounds(export: &Export) -> Vec<Vec<(u64, u64)>> {
    export
        .sources
        .iter()
        .flat_map(|source| &source.sleep)
        .map(|episode| {
            episode
                .stages
                .iter()
                .map(|span| {
                    let from = u64::from(span.offset_seconds);
                    (from, from + u64::from(span.duration_seconds))
                })
                .collect()
        })
        .collect()
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        for name in ["steps-2020-01-02.json", "heart_rate-2020-01-02.json", "sleep-2020-01-02.json"] {
            let _ = parse_fitbit_json(&bytes, name, zone("America/New_York"));
        }
        let _ = looks_like_fitbit_json(&bytes);
    }

    #[test]
    fn stages_stay_in_order_and_never_overlap(
        data in proptest::collection::vec((0u32..600, 0u32..4000, 0usize..8), 0..12),
        short in proptest::collection::vec((0u32..600, 0u32..200), 0..12),
    ) {
        let levels = ["wake", "light", "deep", "rem", "asleep", "restless", "awake", "unknown"];
        let span = |minute: u32, seconds: u32, level: &str| {
            let at = NaiveDate::from_ymd_opt(2020, 1, 1)
                .and_then(|day| day.and_hms_opt(22, 0, 0))
                .expect("literal")
                + chrono::Duration::minutes(i64::from(minute));
            format!(
                "{{\"dateTime\":\"{}\",\"level\":\"{level}\",\"seconds\":{seconds}}}",
                at.format("%Y-%m-%dT%H:%M:%S.000")
            )
        };
        let data: Vec<String> = data
            .iter()
            .map(|&(minute, seconds, level)| span(minute, seconds, levels[level]))
            .collect();
        let short: Vec<String> = short
            .iter()
            .map(|&(minute, seconds)| span(minute, seconds, "wake"))
            .collect();
        let json = format!(
            "[{{\"logId\":1,\"startTime\":\"2020-01-01T22:00:00.000\",\
              \"endTime\":\"2020-01-02T08:00:00.000\",\"mainSleep\":true,\
              \"levels\":{{\"data\":[{}],\"shortData\":[{}]}}}}]",
            data.join(","),
            short.join(",")
        );
        let export = parse_fitbit_json(json.as_bytes(), "sleep-2020-01-02.json", zone("UTC"))
            .expect("well-formed log reads");
        for stages in stage_bounds(&export) {
            for (from, to) in &stages {
                proptest::prop_assert!(from < to);
                proptest::prop_assert!(*to <= 10 * 3600, "within the episode: {:?}", stages);
            }
            for pair in stages.windows(2) {
                proptest::prop_assert!(pair[0].1 <= pair[1].0, "{:?}", stages);
            }
        }
    }
}
