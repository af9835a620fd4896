//! The Garmin FIT reader on real FIT files, read where cargo keeps the
//! `fitparser` package this workspace builds with (its `tests/fixtures/`,
//! found through `cargo metadata`, else in cargo's registry sources; nothing
//! is copied into this repository).
//! `fitparser` is MIT-licensed; its fixtures `MonitoringFile.fit` (a vívofit,
//! 2014) and `Activity.fit`, `Settings.fit`, `Workout*.fit`, `WeightScale*.fit`
//! are the FIT SDK's example files (Garmin's FIT SDK licence);
//! `garmin-fenix-5-bike.fit` came to it from python-fitparse (MIT, a
//! contributor's own Fenix 5); `hrv-activity.fit` (an Edge 530 ride, 2022)
//! and `sample_mulitple_header.fit` (a chained FR920XT file, 2018) were
//! contributed to `fitparser` by its users.
//!
//! The figures asserted were cross-checked with the Python `fitdecode` 0.11
//! decoder (an independent FIT parser): step deltas from its raw `cycles`
//! values with `timestamp_16` expanded by hand (79 intervals, 3173 steps,
//! equal to the file's own daily summaries), and the count, sum, extremes and
//! first and last instants of its `record` heart rates.
use chrono::{DateTime, Utc};
use phr_exports::garmin_fit::{looks_like_fit, parse_fit, read_fit, zip_holds_fit};
use phr_exports::{Export, ExportError, ExportFormat};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::OnceLock;

/// `tests/fixtures/` of the `fitparser` package this workspace builds with:
/// from `cargo metadata`, or, where that cannot run (offline, with crates
/// of other platforms not downloaded), from cargo's registry sources.
fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        from_cargo_metadata()
            .or_else(from_registry_sources)
            .expect("the fitparser package's sources (cargo fetch)")
    })
}

fn from_cargo_metadata() -> Option<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let manifest = metadata["packages"]
        .as_array()?
        .iter()
        .find(|package| package["name"] == "fitparser")?["manifest_path"]
        .as_str()?;
    Some(PathBuf::from(manifest).parent()?.join("tests/fixtures"))
}

fn from_registry_sources() -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(cargo_home.join("registry/src"))
        .ok()?
        .flatten()
        .flat_map(|index| {
            std::fs::read_dir(index.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|package| package.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("fitparser-0.10."))
        })
        .map(|path| path.join("tests/fixtures"))
        .filter(|path| path.is_dir())
        .collect();
    found.sort();
    found.pop()
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).expect("FIT sample file")
}

fn parse(name: &str) -> Result<Export, ExportError> {
    parse_fit(
        &sample(name),
        name,
        chrono_tz::America::Chicago,
        &mut |_| ControlFlow::Continue(()),
    )
}

fn utc(stamp: &phr_model::Stamp) -> String {
    DateTime::<Utc>::from_timestamp(stamp.utc, 0)
        .expect("in range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[test]
fn monitoring_file_steps_add_up_to_the_devices_own_daily_totals() {
    let export = parse("MonitoringFile.fit").expect("MonitoringFile.fit reads");
    assert_eq!(export.format, ExportFormat::GarminFit);
    assert_eq!(export.sources.len(), 1);
    let vivofit = &export.sources[0];
    assert_eq!(vivofit.source.source_key, "garmin:3882708276");
    assert_eq!(vivofit.source.label, "Garmin vivo_fit");
    assert_eq!(vivofit.source.manufacturer.as_deref(), Some("garmin"));
    assert_eq!(vivofit.source.model.as_deref(), Some("vivo_fit"));
    assert_eq!(vivofit.source.serial.as_deref(), Some("3882708276"));
    assert_eq!(vivofit.source.firmware.as_deref(), Some("3.6"));

    // The file's own daily summaries say walking 3142 + running 31 steps;
    // fitdecode's raw cumulative counts give the same 79 intervals.
    let steps = &vivofit.steps;
    assert_eq!(
        steps.iter().map(|s| u64::from(s.steps)).sum::<u64>(),
        3142 + 31
    );
    assert_eq!(steps.len(), 79);
    let first = steps.first().expect("steps");
    assert_eq!(
        (utc(&first.start), first.duration_seconds, first.steps),
        ("2014-12-27T14:11:00Z".to_string(), 240, 100)
    );
    assert_eq!(first.start.offset_seconds, -6 * 3600);
    let second = &steps[1];
    assert_eq!(
        (utc(&second.start), second.duration_seconds, second.steps),
        ("2014-12-27T14:15:00Z".to_string(), 480, 215)
    );
    let last = steps.last().expect("steps");
    assert_eq!(
        (utc(&last.start), last.duration_seconds, last.steps),
        ("2014-12-28T05:55:00Z".to_string(), 240, 66)
    );
    // Intervals are sorted and do not overlap.
    assert!(steps
        .windows(2)
        .all(|w| w[0].start.utc + i64::from(w[0].duration_seconds) <= w[1].start.utc));
    assert!(vivofit.heart_rate.is_empty());
    assert!(vivofit.activity.is_empty() && vivofit.sleep.is_empty());
    assert!(export
        .skipped
        .contains(&("monitoring daily summary".to_string(), 2)));
    assert!(export.skipped.contains(&("event".to_string(), 15)));
}

#[test]
fn activity_file_heart_rate_matches_fitdecode() {
    let export = parse("hrv-activity.fit").expect("hrv-activity.fit reads");
    assert_eq!(export.sources.len(), 1);
    let edge = &export.sources[0];
    assert_eq!(edge.source.source_key, "garmin:3376547458");
    assert_eq!(edge.source.label, "Garmin edge_530");
    let heart_rate = &edge.heart_rate;
    assert_eq!(heart_rate.len(), 1072);
    assert_eq!(
        heart_rate.iter().map(|h| u64::from(h.bpm)).sum::<u64>(),
        167_199
    );
    assert_eq!(heart_rate.iter().map(|h| h.bpm).min(), Some(128));
    assert_eq!(heart_rate.iter().map(|h| h.bpm).max(), Some(185));
    let (first, last) = (&heart_rate[0], &heart_rate[heart_rate.len() - 1]);
    assert_eq!(
        (utc(&first.at), first.bpm),
        ("2022-02-07T16:47:52Z".to_string(), 128)
    );
    assert_eq!(
        (utc(&last.at), last.bpm),
        ("2022-02-07T17:05:44Z".to_string(), 150)
    );
    assert!(heart_rate.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
    assert!(edge.steps.is_empty());
}

#[test]
fn chained_fit_file_reads_every_part() {
    // Five sessions' FIT files one after another; fitdecode reads 1430
    // records with heart rate (sum 247666) over them.
    let export = parse("sample_mulitple_header.fit").expect("chained file reads");
    assert_eq!(export.sources.len(), 1);
    let watch = &export.sources[0];
    assert_eq!(watch.source.source_key, "garmin:3915525118");
    assert_eq!(watch.heart_rate.len(), 1430);
    assert_eq!(
        watch
            .heart_rate
            .iter()
            .map(|h| u64::from(h.bpm))
            .sum::<u64>(),
        247_666
    );
    assert_eq!(utc(&watch.heart_rate[0].at), "2018-05-27T07:33:01Z");
    assert_eq!(utc(&watch.heart_rate[1429].at), "2018-05-27T10:11:12Z");
}

#[test]
fn sdk_files_without_samples_read_to_no_source() {
    // Activity.fit's 14 records carry no heart rate; the others hold
    // settings, workouts and weight, which this reader does not map.
    for name in [
        "Activity.fit",
        "Settings.fit",
        "WorkoutIndividualSteps.fit",
        "WeightScaleMultiUser.fit",
        "DeveloperData.fit",
    ] {
        let export = parse(name).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert!(export.sources.is_empty(), "{name}");
        assert!(!export.skipped.is_empty(), "{name}");
    }
}

#[test]
fn truncated_or_damaged_files_are_rejected() {
    let data = sample("MonitoringFile.fit");
    for cut in [13, 14, 100, data.len() / 2, data.len() - 2, data.len() - 1] {
        let err = parse_fit(&data[..cut], "m.fit", chrono_tz::UTC, &mut |_| {
            ControlFlow::Continue(())
        })
        .expect_err("a truncated file is rejected");
        assert!(err.to_string().contains("truncated"), "cut at {cut}: {err}");
    }
    let mut damaged = data.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x01;
    let err = parse_fit(&damaged, "m.fit", chrono_tz::UTC, &mut |_| {
        ControlFlow::Continue(())
    })
    .expect_err("a damaged file is rejected");
    assert!(
        matches!(err, ExportError::File { .. } | ExportError::At { .. }),
        "{err}"
    );
    let mut trailing = data.clone();
    trailing.extend_from_slice(b"junk");
    let err = parse_fit(&trailing, "m.fit", chrono_tz::UTC, &mut |_| {
        ControlFlow::Continue(())
    })
    .expect_err("bytes after the FIT data are rejected");
    assert!(err.to_string().contains("not a FIT file"), "{err}");
}

#[test]
fn a_file_that_is_not_fit_is_rejected() {
    assert!(looks_like_fit(&sample("Activity.fit")));
    assert!(!looks_like_fit(b"date,steps\n2024-01-01,100\n"));
    assert!(!looks_like_fit(b".FIT"));
    for data in [
        &b""[..],
        b"date,steps\n2024-01-01,100\n",
        b"PK\x03\x04 not a zip",
    ] {
        let err = parse_fit(data, "x.csv", chrono_tz::UTC, &mut |_| {
            ControlFlow::Continue(())
        })
        .expect_err("not FIT");
        assert_eq!(
            err,
            ExportError::File {
                file: "x.csv".to_string(),
                message: "not a FIT file (no FIT header)".to_string()
            }
        );
    }
}

#[test]
fn the_progress_callback_sees_every_byte_and_can_cancel() {
    let data = sample("hrv-activity.fit");
    let mut reported = Vec::new();
    parse_fit(&data, "a.fit", chrono_tz::UTC, &mut |bytes| {
        reported.push(bytes);
        ControlFlow::Continue(())
    })
    .expect("reads");
    assert_eq!(reported.last(), Some(&(data.len() as u64)));
    assert!(reported.windows(2).all(|w| w[0] <= w[1]));
    let err = parse_fit(&data, "a.fit", chrono_tz::UTC, &mut |_| {
        ControlFlow::Break(())
    })
    .expect_err("cancelled");
    assert_eq!(
        err,
        ExportError::Cancelled {
            file: "a.fit".to_string()
        }
    );
}

#[test]
fn a_folder_or_zip_of_fit_files_merges_sources_by_device() {
    let names = ["MonitoringFile.fit", "hrv-activity.fit", "Activity.fit"];
    let expected = {
        let mut sources: Vec<_> = names
            .iter()
            .flat_map(|name| parse(name).expect("reads").sources)
            .collect();
        sources.sort_by(|a, b| a.source.source_key.cmp(&b.source.source_key));
        sources
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let wellness = dir.path().join("DI_CONNECT/DI-Connect-Wellness");
    std::fs::create_dir_all(&wellness).expect("folders");
    for name in names {
        std::fs::write(wellness.join(name), sample(name)).expect("write");
    }
    // The same file twice is read once.
    std::fs::write(wellness.join("copy.FIT"), sample("MonitoringFile.fit")).expect("write");
    std::fs::write(wellness.join("notes.txt"), b"not read").expect("write");
    let zone = chrono_tz::America::Chicago;
    let from_folder = read_fit(dir.path(), "export", zone, &mut |_| {
        ControlFlow::Continue(())
    })
    .expect("folder");
    assert_eq!(from_folder.sources, expected);
    assert!(from_folder
        .skipped
        .contains(&("duplicate FIT file".to_string(), 1)));

    let zip_path = dir.path().join("export.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("zip"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for name in names {
        zip.start_file(
            format!("DI_CONNECT/DI-Connect-Uploaded-Files/{name}"),
            options,
        )
        .expect("entry");
        zip.write_all(&sample(name)).expect("entry data");
    }
    zip.finish().expect("zip written");
    assert!(zip_holds_fit(&zip_path));
    assert!(!zip_holds_fit(&wellness.join("notes.txt")));
    let from_zip = read_fit(&zip_path, "export.zip", zone, &mut |_| {
        ControlFlow::Continue(())
    })
    .expect("zip");
    assert_eq!(from_zip.sources, expected);

    // Garmin Connect keeps uploaded FIT files in ZIPs inside its export.
    let mut inner = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in names {
        inner.start_file(name, options).expect("entry");
        inner.write_all(&sample(name)).expect("entry data");
    }
    let inner = inner.finish().expect("inner zip").into_inner();
    let nested_path = dir.path().join("garmin.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&nested_path).expect("zip"));
    zip.start_file(
        "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip",
        options,
    )
    .expect("entry");
    zip.write_all(&inner).expect("entry data");
    zip.finish().expect("zip written");
    let from_nested = read_fit(&nested_path, "garmin.zip", zone, &mut |_| {
        ControlFlow::Continue(())
    })
    .expect("zip");
    assert_eq!(from_nested.sources, expected);

    // A damaged entry names the entry.
    let bad_path = dir.path().join("bad.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&bad_path).expect("zip"));
    zip.start_file("DI_CONNECT/x.fit", options).expect("entry");
    let data = sample("Activity.fit");
    zip.write_all(&data[..data.len() / 2]).expect("entry data");
    zip.finish().expect("zip written");
    let err = read_fit(&bad_path, "bad.zip", zone, &mut |_| {
        ControlFlow::Continue(())
    })
    .expect_err("damaged");
    assert!(
        err.to_string().contains("bad.zip/DI_CONNECT/x.fit"),
        "{err}"
    );
}

// Small FIT files built here (not real recordings), for what the SDK's
// example files do not show: step counts across files and midnight, and
// hostile input.

/// The FIT CRC-16 (FIT SDK, "FIT File Protocol", CRC section).
fn fit_crc(data: &[u8]) -> u16 {
    const TABLE: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    let mut crc = 0u16;
    for &byte in data {
        for nibble in [byte & 0xF, byte >> 4] {
            let tmp = TABLE[usize::from(crc & 0xF)];
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ TABLE[usize::from(nibble)];
        }
    }
    crc
}

/// A FIT file of `messages` (14-byte header without its own CRC).
fn fit_file(messages: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = messages.concat();
    let mut file = vec![14, 0x10];
    file.extend_from_slice(&2132u16.to_le_bytes());
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend_from_slice(b".FIT");
    file.extend_from_slice(&[0, 0]);
    file.extend_from_slice(&body);
    let crc = fit_crc(&file);
    file.extend_from_slice(&crc.to_le_bytes());
    file
}

/// A definition message: (field number, size, base type) per field.
fn definition(local: u8, global: u16, fields: &[(u8, u8, u8)]) -> Vec<u8> {
    let mut message = vec![0x40 | local, 0, 0];
    message.extend_from_slice(&global.to_le_bytes());
    message.push(fields.len() as u8);
    for &(number, size, base_type) in fields {
        message.extend_from_slice(&[number, size, base_type]);
    }
    message
}

fn data(local: u8, bytes: &[&[u8]]) -> Vec<u8> {
    let mut message = vec![local];
    for field in bytes {
        message.extend_from_slice(field);
    }
    message
}

const UINT16: u8 = 0x84;
const UINT32: u8 = 0x86;
const UINT32Z: u8 = 0x8C;
const UINT64: u8 = 0x8F;
const ENUM: u8 = 0x00;
const WALKING: u8 = 6;
/// 2014-12-27T06:00:00Z in FIT seconds: local midnight at UTC−6.
const DAY_START: u32 = 788_594_400;
const OFFSET: i64 = -6 * 3600;

/// A monitoring_b file of device 1234: a monitoring_info at `info_at`,
/// then (time, activity type, cumulative cycles) per monitoring message.
fn monitoring_file(info_at: u32, points: &[(u32, u8, u32)]) -> Vec<u8> {
    let mut messages = vec![
        definition(
            0,
            0,
            &[
                (0, 1, ENUM),
                (1, 2, UINT16),
                (2, 2, UINT16),
                (3, 4, UINT32Z),
            ],
        ),
        data(
            0,
            &[
                &[32],
                &1u16.to_le_bytes(),
                &1837u16.to_le_bytes(),
                &1234u32.to_le_bytes(),
            ],
        ),
        definition(1, 103, &[(253, 4, UINT32), (0, 4, UINT32)]),
        data(
            1,
            &[
                &info_at.to_le_bytes(),
                &((i64::from(info_at) + OFFSET) as u32).to_le_bytes(),
            ],
        ),
        definition(2, 55, &[(253, 4, UINT32), (3, 4, UINT32), (5, 1, ENUM)]),
    ];
    for &(at, activity_type, cycles) in points {
        messages.push(data(
            2,
            &[&at.to_le_bytes(), &cycles.to_le_bytes(), &[activity_type]],
        ));
    }
    fit_file(&messages)
}

/// (start in seconds after DAY_START, duration, steps) of every interval.
fn intervals(export: &Export) -> Vec<(i64, u32, u32)> {
    let start = i64::from(DAY_START) + 631_065_600;
    export
        .sources
        .iter()
        .flat_map(|source| &source.steps)
        .map(|s| (s.start.utc - start, s.duration_seconds, s.steps))
        .collect()
}

fn parse_bytes(data: &[u8]) -> Result<Export, ExportError> {
    parse_fit(data, "built.fit", chrono_tz::America::Chicago, &mut |_| {
        ControlFlow::Continue(())
    })
}

#[test]
fn a_day_split_over_two_files_is_counted_once() {
    let morning = monitoring_file(
        DAY_START,
        &[
            (DAY_START + 3600, WALKING, 100),
            (DAY_START + 7200, WALKING, 250),
        ],
    );
    // The second file starts mid-day; its count goes on from the first's.
    let afternoon = monitoring_file(DAY_START + 10_800, &[(DAY_START + 14_400, WALKING, 400)]);
    let dir = tempfile::tempdir().expect("temp dir");
    // Name order puts the afternoon first: files are taken in time order.
    std::fs::write(dir.path().join("a.fit"), &afternoon).expect("write");
    std::fs::write(dir.path().join("b.fit"), &morning).expect("write");
    let both = read_fit(dir.path(), "x", chrono_tz::America::Chicago, &mut |_| {
        ControlFlow::Continue(())
    })
    .expect("reads");
    assert_eq!(both.sources.len(), 1);
    assert_eq!(both.sources[0].source.source_key, "garmin:1234");
    assert_eq!(
        intervals(&both),
        vec![(0, 3600, 100), (3600, 3600, 150), (7200, 7200, 150)]
    );
    // Alone, the afternoon file's count includes steps from before it: left out.
    let alone = parse_bytes(&afternoon).expect("reads");
    assert!(intervals(&alone).is_empty());
    assert!(alone.skipped.contains(&(
        "monitoring steps whose day began before the file (no baseline)".to_string(),
        1
    )));
}

#[test]
fn step_counts_restart_at_the_devices_local_midnight() {
    let midnight = DAY_START + 86_400;
    let file = monitoring_file(
        DAY_START,
        &[
            (midnight - 60, WALKING, 500),
            // A count stamped at midnight closes the day before.
            (midnight, WALKING, 520),
            (midnight + 600, WALKING, 30),
            (midnight + 900, 1, 12), // running, counted on its own
        ],
    );
    let export = parse_bytes(&file).expect("reads");
    assert_eq!(
        intervals(&export),
        vec![
            (0, 86_340, 500),
            (86_340, 60, 20),
            (86_400, 600, 30),
            (87_000, 300, 12)
        ]
    );
    let first = &export.sources[0].steps[0];
    assert_eq!(first.start.offset_seconds, -6 * 3600);
}

#[test]
fn hostile_timestamps_are_errors_not_panics() {
    let file_id = definition(0, 0, &[(0, 1, ENUM), (3, 4, UINT32Z)]);
    let file_id_data = data(0, &[&[4], &99u32.to_le_bytes()]);
    // A 64-bit record timestamp, refused before fitparser converts it.
    let huge_timestamp = fit_file(&[
        file_id.clone(),
        file_id_data.clone(),
        definition(1, 20, &[(253, 8, UINT64), (3, 1, 0x02)]),
        data(1, &[&(1u64 << 62).to_le_bytes(), &[80]]),
    ]);
    let err = parse_bytes(&huge_timestamp).expect_err("refused");
    assert_eq!(
        err,
        ExportError::At {
            file: "built.fit".to_string(),
            place: "message 4 (byte 44)".to_string(),
            message: "a timestamp larger than 32 bits".to_string()
        }
    );
    // A 64-bit file_id.time_created makes fitparser 0.10 panic
    // ("TimeDelta::seconds out of bounds"); the reader turns it into an error.
    let huge_created = fit_file(&[
        definition(0, 0, &[(0, 1, ENUM), (4, 8, UINT64)]),
        data(0, &[&[4], &(1u64 << 62).to_le_bytes()]),
    ]);
    let err = parse_bytes(&huge_created).expect_err("refused");
    assert!(
        err.to_string()
            .contains("the FIT parser failed on malformed data"),
        "{err}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]
    /// Real files with a few bytes changed (and their CRC made right again,
    /// so the changed messages are decoded): never a panic, and what reads
    /// still holds the reader's invariants.
    #[test]
    fn changed_real_files_read_or_fail_cleanly(
        file_index in 0usize..3,
        changes in proptest::collection::vec((proptest::prelude::any::<u32>(), proptest::prelude::any::<u8>()), 1..6),
    ) {
        let name = ["MonitoringFile.fit", "hrv-activity.fit", "garmin-fenix-5-bike.fit"][file_index];
        let mut data = sample(name);
        let body = data.len() - 16;
        for (at, byte) in changes {
            data[14 + at as usize % body] = byte;
        }
        let crc_at = data.len() - 2;
        let crc = fit_crc(&data[..crc_at]);
        data[crc_at..].copy_from_slice(&crc.to_le_bytes());
        if let Ok(export) = parse_bytes(&data) {
            for source in &export.sources {
                proptest::prop_assert!(!source.is_empty());
                proptest::prop_assert!(source.steps.windows(2).all(|w| w[0].start.utc < w[1].start.utc));
                proptest::prop_assert!(source.steps.iter().all(|s| s.duration_seconds >= 1 && s.steps > 0));
                proptest::prop_assert!(source.heart_rate.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
                proptest::prop_assert!(source.heart_rate.iter().all(|h| (20..=250).contains(&h.bpm)));
            }
        }
    }
}

#[test]
fn a_message_past_the_declared_data_size_is_an_error() {
    // The header says the data is 4 bytes shorter than its messages: the
    // last message straddles the end (fitparser would then read what
    // follows as a header; found by fuzzing).
    let mut file = monitoring_file(DAY_START, &[(DAY_START + 60, WALKING, 10)]);
    let data_size = u32::from_le_bytes([file[4], file[5], file[6], file[7]]) - 4;
    file[4..8].copy_from_slice(&data_size.to_le_bytes());
    let err = parse_bytes(&file).expect_err("refused");
    assert!(
        matches!(&err, ExportError::At { message, .. } if message == "the message runs past the end of the FIT data"),
        "{err}"
    );
}

#[test]
fn sleep_levels_become_episodes_with_stages() {
    use phr_model::SleepStage::{Awake, Deep, Light, Rem};
    // 22:00 local (UTC−6) on 2014-12-27; each sleep_level gives the level
    // of the span since the message before it.
    let night = DAY_START + 22 * 3600;
    let levels: [(u32, u8); 8] = [
        (night, 2),
        (night + 600, 2),
        (night + 1200, 3),
        (night + 1800, 3),
        (night + 2400, 4),
        (night + 3000, 1),
        (night + 3600, 2),
        (night + 3660, 0), // unmeasurable: no stage
    ];
    // A morning nap (09:00 local next day), more than 4 hours later: its
    // own episode, of the same noon-to-noon night, shorter, so not main.
    let nap = [(night + 11 * 3600, 2u8), (night + 11 * 3600 + 1200, 2u8)];
    let mut messages = vec![
        definition(0, 0, &[(0, 1, ENUM), (1, 2, UINT16), (3, 4, UINT32Z)]),
        data(0, &[&[49], &1u16.to_le_bytes(), &77u32.to_le_bytes()]),
        definition(1, 275, &[(253, 4, UINT32), (0, 1, ENUM)]),
    ];
    for (at, level) in levels.iter().chain(nap.iter()) {
        messages.push(data(1, &[&at.to_le_bytes(), &[*level]]));
    }
    let export = parse_bytes(&fit_file(&messages)).expect("reads");
    assert_eq!(export.sources.len(), 1);
    let sleep = &export.sources[0].sleep;
    assert_eq!(sleep.len(), 2);
    let main = &sleep[0];
    let start = i64::from(night) + 631_065_600;
    assert_eq!((main.start.utc, main.end.utc), (start, start + 3660));
    assert_eq!(main.start.offset_seconds, -6 * 3600);
    assert!(main.is_main);
    assert_eq!(main.method, "device");
    let stages: Vec<_> = main
        .stages
        .iter()
        .map(|s| (s.offset_seconds, s.duration_seconds, s.stage))
        .collect();
    assert_eq!(
        stages,
        vec![
            (0, 600, Light),
            (600, 1200, Deep),
            (1800, 600, Rem),
            (2400, 600, Awake),
            (3000, 600, Light)
        ]
    );
    let morning_nap = &sleep[1];
    assert_eq!(morning_nap.start.utc, start + 11 * 3600);
    assert!(!morning_nap.is_main);
    assert_eq!(morning_nap.stages.len(), 1);
}
