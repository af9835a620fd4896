//! `phr analyze` (the external command contract) and device-file imports.

use super::*;

fn reference(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/reference")
        .join(path)
}

fn analyze_json(file: &Path, extra: &[&str]) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phr"));
    cmd.env_remove("PHR_VAULT").env_remove("PHR_PASSPHRASE");
    cmd.args(["analyze", "actigraphy", "--input"])
        .arg(file)
        .args(extra)
        .arg("--json");
    serde_json::from_str(&ok(&mut cmd)).expect("json")
}

#[test]
fn the_json_contract_holds_without_a_vault() {
    let report = analyze_json(&reference("files/regular_9d.AWD"), &[]);
    assert!(report["minutes"].is_u64(), "{report}");
    assert_eq!(report["minutes"], 12_960);
    assert_eq!(report["start"], "2024-03-04T00:00:00");
    for scale in ["raw", "binarized"] {
        for key in ["IS", "IV", "L5", "M10", "RA"] {
            assert!(
                report[scale][key].is_f64(),
                "{scale}.{key} missing: {report}"
            );
        }
    }
    assert_eq!(report["binarized"]["threshold"], 4.0);
    assert_eq!(report["cole_kripke"]["settings"], "mean");
    assert!(report["cole_kripke"]["sleep_minutes"].is_u64());
    let first = report["cole_kripke"]["first_sleep"]
        .as_str()
        .expect("first sleep");
    assert!(
        chrono::NaiveDateTime::parse_from_str(first, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "{first}"
    );
    assert!(!report["nights"].as_array().expect("nights").is_empty());
}

#[test]
fn the_threshold_changes_only_the_binarized_metrics() {
    let file = reference("files/regular_9d_3ax.agd");
    let default = analyze_json(&file, &[]);
    let strict = analyze_json(&file, &["--threshold", "50"]);
    assert_eq!(strict["binarized"]["threshold"], 50.0);
    assert_ne!(strict["binarized"]["IS"], default["binarized"]["IS"]);
    assert_eq!(strict["raw"], default["raw"]);
    assert_eq!(strict["cole_kripke"], default["cole_kripke"]);
}

#[test]
fn text_output_and_bad_files() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phr"));
    let text = ok(cmd
        .args(["analyze", "actigraphy", "--input"])
        .arg(reference("recordings/odd_start_gaps.csv")));
    assert!(
        text.contains("IS") && text.contains("Cole-Kripke (mean)"),
        "{text}"
    );

    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.AWD");
    std::fs::write(&bad, "x\n01-Jan-2018\n08:30\n4\n0\nV1\nF\n12\nabc\n").expect("write");
    let out = run(Command::new(env!("CARGO_BIN_EXE_phr"))
        .args(["analyze", "actigraphy", "--input"])
        .arg(&bad));
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.AWD, line 9"));
    // A mistyped year in the last row: the line named, not a grid of
    // billions of epochs (this ran out of memory once).
    let typo = dir.path().join("typo.csv");
    let rows = "timestamp,count\n2026-03-01 00:00,12\n2026-03-01 00:01,0\n2062-03-01 00:02,7\n";
    std::fs::write(&typo, rows).expect("write");
    let out = run(Command::new(env!("CARGO_BIN_EXE_phr"))
        .args(["analyze", "actigraphy", "--input"])
        .arg(&typo));
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("typo.csv, line 4") && stderr.contains("is the date right?"),
        "{stderr}"
    );
    let out = run(Command::new(env!("CARGO_BIN_EXE_phr")).args([
        "analyze",
        "actigraphy",
        "--input",
        "/no/such.csv",
    ]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /no/such.csv"));
}

#[test]
fn device_files_import_once_and_a_broken_one_stores_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let awd = reference("files/regular_9d.AWD");
    let first: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "import"]).arg(&awd))).expect("json");
    assert_eq!(
        (first["format"].as_str(), first["added"].as_u64()),
        (Some("awd"), Some(12_960))
    );
    let again: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "import"]).arg(&awd))).expect("json");
    assert_eq!(again["added"], 0);

    let agd = reference("files/odd_start_gaps_1ax.agd");
    let imported: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "import"]).arg(&agd))).expect("json");
    assert_eq!(imported["format"], "agd");
    assert!(
        imported["missing"].as_u64().expect("missing") > 0,
        "gaps are reported: {imported}"
    );
    let devices = rusqlite::Connection::open(&vault)
        .expect("raw")
        .query_row("SELECT count(*) FROM devices", [], |r| r.get::<_, i64>(0))
        .expect("q");
    assert_eq!(devices, 2, "one source per device file");

    // A file broken near its end keeps nothing.
    let broken = dir.path().join("broken.AWD");
    let mut text = std::fs::read_to_string(reference("files/epoch30_4d.AWD")).expect("read");
    text.push_str("oops\r\n");
    std::fs::write(&broken, text).expect("write");
    let before = ok(phr(&vault).args(["--json", "days"]));
    let out = run(phr(&vault).arg("import").arg(&broken));
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(ok(phr(&vault).args(["--json", "days"])), before);
}

#[test]
fn vault_analysis_matches_the_file_analysis() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let csv = reference("recordings/regular_9d.csv");
    ok(phr(&vault).arg("import").arg(&csv));
    let from_file = analyze_json(&csv, &[]);
    let from_vault: serde_json::Value = serde_json::from_str(&ok(phr(&vault).args([
        "--json",
        "analyze",
        "--from",
        "2024-03-04",
        "--to",
        "2024-03-12",
    ])))
    .expect("json");
    for key in ["minutes", "start", "raw", "binarized", "cole_kripke"] {
        assert_eq!(from_vault[key], from_file[key], "{key} differs");
    }
    // The vault knows the owner's zone, so its nights also carry the
    // instants (with offset); a file's wall-clock nights cannot. Apart
    // from those the nights are the same.
    let mut vault_nights = from_vault["nights"].as_array().expect("nights").clone();
    for night in &mut vault_nights {
        let night = night.as_object_mut().expect("night");
        let start = night.remove("start_instant").expect("start_instant");
        let end = night.remove("end_instant").expect("end_instant");
        assert!(start
            .as_str()
            .expect("text")
            .starts_with(night["start"].as_str().expect("start")));
        assert!(end.as_str().expect("text").ends_with("+09:00"), "{end}");
    }
    assert!(!vault_nights.is_empty());
    assert_eq!(serde_json::Value::Array(vault_nights), from_file["nights"]);
    assert_eq!(from_vault["format"], "vault");
    let out = run(phr(&vault).args(["analyze", "--from", "2030-01-01", "--to", "2030-01-02"]));
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no activity data"));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    for json in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_phr"));
        cmd.env_remove("PHR_VAULT").env_remove("PHR_PASSPHRASE");
        cmd.args(["analyze", "actigraphy", "--input"])
            .arg(reference("files/regular_9d.AWD"));
        if json {
            cmd.arg("--json");
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("phr starts");
        // `phr ... | head -0`: the reader is gone before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("phr ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "json {json}: {stderr}");
        assert!(stderr.is_empty(), "json {json}: {stderr}");
    }
}

#[test]
fn import_help_names_every_format_it_reads() {
    let help = ok(Command::new(env!("CARGO_BIN_EXE_phr")).args(["import", "--help"]));
    for format in [
        "CSV",
        ".AWD",
        ".agd",
        "Actiware",
        "English, French, German",
        ".mtn",
        "ActTrust",
        "Tempatilumi",
        "Daqtix",
        "MESA",
        "timeSeries.csv.gz",
    ] {
        assert!(help.contains(format), "{format}: {help}");
    }
}

/// A vault holding nine days of March 2024 (long before today), and
/// `phr analyze --json` of it without dates.
fn imported_9d(dir: &Path) -> (PathBuf, serde_json::Value) {
    let vault = init(dir);
    ok(phr(&vault)
        .arg("import")
        .arg(reference("recordings/regular_9d.csv")));
    let report = serde_json::from_str(&ok(phr(&vault).args(["--json", "analyze"]))).expect("json");
    (vault, report)
}

#[test]
fn analyze_without_dates_covers_the_latest_days_of_imported_history() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, report) = imported_9d(dir.path());
    assert_eq!(report["format"], "vault", "{report}");
    assert_eq!(report["start"], "2024-03-04T00:00:00", "{report}");
    assert!(report["nights"].as_array().is_some_and(|n| !n.is_empty()));
}

#[test]
fn a_sleep_export_of_actigraphy_only_holds_the_scored_nights() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, report) = imported_9d(dir.path());
    let nights = report["nights"].as_array().expect("nights").len();
    assert!(nights > 0, "{report}");
    let csv = ok(phr(&vault).args(["export", "csv", "--kind", "sleep"]));
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), nights, "{csv}");
    assert!(rows.iter().all(|r| r.contains("cole-kripke:mean")), "{csv}");
    let first_start = report["nights"][0]["start"]
        .as_str()
        .expect("start")
        .replace('T', " ");
    assert!(rows[0].starts_with(&first_start), "{csv}");
}
