//! The Garmin FIT reader on real FIT files: the FIT SDK's example files as
//! the `fitparser` crate ships them in its package (`tests/fixtures/`, found
//! through `cargo metadata`; see `scripts/fetch_export_samples.sh` for their
//! origin and licence). The figures asserted were cross-checked with the
//! Python `fitdecode` 0.11 decoder (an independent FIT parser): step deltas
//! from its raw `cycles` values with `timestamp_16` expanded, and heart-rate
//! counts and sums of its `record` messages.
use chrono::{DateTime, Utc};
use phr_exports::garmin_fit::{looks_like_fit, parse_fit, read_fit};
use phr_exports::{Export, ExportError, ExportFormat};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::OnceLock;

/// `tests/fixtures/` of the `fitparser` package this workspace builds with.
fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let output = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .output()
            .expect("cargo metadata runs");
        assert!(output.status.success(), "cargo metadata failed");
        let metadata: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let manifest = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .find(|package| package["name"] == "fitparser")
            .and_then(|package| package["manifest_path"].as_str())
            .expect("fitparser is a dependency");
        PathBuf::from(manifest)
            .parent()
            .expect("package folder")
            .join("tests/fixtures")
    })
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
    let from_folder =
        read_fit(dir.path(), zone, &mut |_| ControlFlow::Continue(())).expect("folder");
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
    let from_zip = read_fit(&zip_path, zone, &mut |_| ControlFlow::Continue(())).expect("zip");
    assert_eq!(from_zip.sources, expected);

    // A damaged entry names the entry.
    let bad_path = dir.path().join("bad.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&bad_path).expect("zip"));
    zip.start_file("DI_CONNECT/x.fit", options).expect("entry");
    let data = sample("Activity.fit");
    zip.write_all(&data[..data.len() / 2]).expect("entry data");
    zip.finish().expect("zip written");
    let err = read_fit(&bad_path, zone, &mut |_| ControlFlow::Continue(())).expect_err("damaged");
    assert!(
        err.to_string().contains("bad.zip/DI_CONNECT/x.fit"),
        "{err}"
    );
}
