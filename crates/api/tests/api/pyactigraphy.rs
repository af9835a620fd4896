//! Differential test against pyActigraphy 1.2.2 on its own test
//! recordings: every file pyActigraphy ships (downloaded by
//! scripts/fetch_reference_data.sh, not committed) is read by our readers
//! and analysed, and the grid (start, epoch, number of epochs) and the
//! circadian metrics (IS, IV, L5, M10, RA, raw and binarized) and the white
//! light (values present, their sum in lux) are compared
//! with what pyActigraphy's own reader and metrics made of it
//! (tests/reference/pyactigraphy/*.json, written by
//! tests/reference/generate_pyactigraphy_files.py).

use std::path::{Path, PathBuf};

/// How close a metric must be: 1e-6, relative for values above 1.
const TOLERANCE: f64 = 1e-6;

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference")
}

fn close(ours: Option<f64>, theirs: &serde_json::Value, what: &str) -> Option<String> {
    match (ours, theirs.as_f64()) {
        (None, None) => None,
        (Some(a), Some(b)) if (a - b).abs() <= TOLERANCE * b.abs().max(1.0) => None,
        (a, _) => Some(format!("{what}: ours {a:?}, pyActigraphy {theirs}")),
    }
}

/// The recording a JSON file of expected values describes; panics, saying
/// how to get it, when it was not downloaded.
pub(crate) fn recording(name: &str) -> PathBuf {
    let path = reference_dir().join("pyactigraphy-data").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/fetch_reference_data.sh to download pyActigraphy's test recordings",
        path.display()
    );
    path
}

/// Whether our reader kept the white light pyActigraphy read (as many
/// values, the same sum in lux within 1e-6), and none where it read none.
fn light_problems(path: &Path, name: &str, expected: &serde_json::Value) -> Vec<String> {
    let mut head = vec![0u8; 512];
    let n = std::io::Read::read(&mut std::fs::File::open(path).expect("open"), &mut head)
        .expect("read");
    let format = phr_import::detect_format(name, &head[..n]);
    let recording = match phr_import::read_recording(path, name, format, |_| {}) {
        Ok(recording) => recording,
        Err(e) => return vec![format!("read: {e}")],
    };
    let ours: Vec<f64> = recording
        .light
        .iter()
        .flatten()
        .flatten()
        .copied()
        .collect();
    let theirs = &expected["white_light"];
    if theirs.is_null() {
        return match recording.light {
            Some(_) => vec!["light: ours kept, pyActigraphy read none".into()],
            None => Vec::new(),
        };
    }
    let mut problems = Vec::new();
    if serde_json::json!(ours.len()) != theirs["values"] {
        problems.push(format!(
            "light values: ours {}, pyActigraphy {}",
            ours.len(),
            theirs["values"]
        ));
    }
    problems.extend(close(Some(ours.iter().sum()), &theirs["sum"], "light sum"));
    problems
}

#[test]
fn every_pyactigraphy_test_recording_reads_and_analyses_as_pyactigraphy_does() {
    let dir = reference_dir().join("pyactigraphy");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/reference/pyactigraphy")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 27, "only {} expected files", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("read"),
        )
        .expect("json");
        let path = recording(name);
        let report = match phr_api::analyze_file(&path, 4.0) {
            Ok(report) => report,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let mut problems = Vec::new();
        if serde_json::json!(report.start) != expected["start"] {
            problems.push(format!(
                "start: ours {}, pyActigraphy {}",
                report.start, expected["start"]
            ));
        }
        if serde_json::json!(f64::from(report.epoch_seconds)) != expected["epoch_seconds"] {
            problems.push(format!(
                "epoch: ours {} s, pyActigraphy {} s",
                report.epoch_seconds, expected["epoch_seconds"]
            ));
        }
        if serde_json::json!(report.epochs) != expected["epochs"] {
            problems.push(format!(
                "epochs: ours {}, pyActigraphy {}",
                report.epochs, expected["epochs"]
            ));
        }
        for (scale, ours) in [("raw", &report.raw), ("binarized", &report.binarized)] {
            let theirs = &expected[scale];
            let metrics = [
                ("IS", ours.is),
                ("IV", ours.iv),
                ("L5", ours.l5),
                ("M10", ours.m10),
                ("RA", ours.ra),
            ];
            for (metric, value) in metrics {
                problems.extend(close(value, &theirs[metric], &format!("{scale} {metric}")));
            }
        }
        problems.extend(light_problems(&path, name, &expected));
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} recordings differ from pyActigraphy:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}
