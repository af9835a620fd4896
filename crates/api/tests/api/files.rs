//! Differential test of the importers and the `phr analyze actigraphy`
//! report against pyActigraphy 1.2.2 reading the same files with its own
//! readers (fixtures made by tests/reference/generate_files.py).

use std::path::{Path, PathBuf};

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference")
}

fn close(ours: Option<f64>, theirs: &serde_json::Value, what: &str) {
    match (ours, theirs.as_f64()) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            let tolerance = 1e-9 * b.abs().max(1e-12);
            assert!(
                (a - b).abs() <= tolerance,
                "{what}: ours {a}, pyActigraphy {b}"
            );
        }
        (a, _) => panic!("{what}: ours {a:?}, pyActigraphy {theirs}"),
    }
}

#[test]
fn reports_agree_with_pyactigraphy_on_every_fixture_file() {
    let dir = reference_dir().join("files");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let json_path = entry.expect("entry").path();
        let Some(name) = json_path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let data_path = match name.strip_suffix(".csv") {
            Some(stem) => reference_dir()
                .join("recordings")
                .join(format!("{stem}.csv")),
            None => dir.join(name),
        };
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).expect("read"))
                .expect("json");
        let report =
            phr_api::analyze_file(&data_path, 4.0).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            serde_json::json!(report.epochs),
            expected["epochs"],
            "{name}: epochs"
        );
        assert_eq!(
            serde_json::json!(report.start),
            expected["start"],
            "{name}: start"
        );
        for (scale, ours) in [("raw", &report.raw), ("binarized", &report.binarized)] {
            let theirs = &expected[scale];
            close(ours.is, &theirs["IS"], &format!("{name} {scale} IS"));
            close(ours.iv, &theirs["IV"], &format!("{name} {scale} IV"));
            close(ours.l5, &theirs["L5"], &format!("{name} {scale} L5"));
            close(ours.m10, &theirs["M10"], &format!("{name} {scale} M10"));
            close(ours.ra, &theirs["RA"], &format!("{name} {scale} RA"));
        }
        // CK `mean` scores whole minutes (pyActigraphy resamples to 1 min).
        assert_eq!(
            serde_json::json!(report.cole_kripke.sleep_minutes),
            expected["ck_sleep_epochs"],
            "{name}: CK sleep"
        );
        assert_eq!(
            serde_json::json!(report.cole_kripke.first_sleep),
            expected["ck_first_sleep"],
            "{name}: first sleep"
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} fixtures found in {}",
        dir.display()
    );
}
