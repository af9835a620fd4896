//! Hostile and damaged activity files (issue "Hardening"): `phr import` and
//! `phr analyze actigraphy` refuse them quickly, with a short error naming
//! the file and line, and store nothing.

use super::*;
use std::time::{Duration, Instant};

/// Runs `cmd`, killing it if it has not ended within `limit` (so a
/// regression fails the test instead of hanging it).
fn run_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("phr starts");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            child.kill().expect("kill");
            child.wait().expect("reaped");
            panic!("phr still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// The analysis of `file` without a vault, which must fail.
fn analyze_fails(file: &Path) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phr"));
    cmd.env_remove("PHR_VAULT").env_remove("PHR_PASSPHRASE");
    cmd.args(["analyze", "actigraphy", "--input"]).arg(file);
    let out = run_within(&mut cmd, Duration::from_secs(20));
    assert!(!out.status.success(), "analyze accepted {}", file.display());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An import of `file` into `vault`, which must fail and store nothing.
fn import_fails(vault: &Path, file: &Path) -> String {
    let before = ok(phr(vault).args(["--json", "days"]));
    let out = run_within(phr(vault).arg("import").arg(file), Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(65), "import of {}", file.display());
    assert_eq!(
        ok(phr(vault).args(["--json", "days"])),
        before,
        "stored nothing"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A copy of a real `.agd` file with `sql` run on it.
fn doctored_agd(dir: &Path, name: &str, sql: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/reference/files/odd_start_gaps_1ax.agd"),
        &path,
    )
    .expect("copy");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(sql).expect("doctor");
    path
}

#[test]
fn an_agd_whose_data_is_an_endless_view_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let agd = doctored_agd(
        dir.path(),
        "endless.agd",
        "DROP TABLE data;
         CREATE VIEW data AS
           WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r)
           SELECT 636909372000000000 + (n % 1000) * 600000000 AS dataTimestamp,
                  n AS axis1, n AS axis2, n AS axis3, n AS steps
           FROM r;",
    );
    let started = Instant::now();
    for stderr in [import_fails(&vault, &agd), analyze_fails(&agd)] {
        assert!(
            stderr.contains(&agd.display().to_string()) && stderr.contains("holds a view"),
            "{stderr}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_agd_with_a_trigger_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let agd = doctored_agd(
        dir.path(),
        "trigger.agd",
        "CREATE TABLE seen (x);
         CREATE TRIGGER t AFTER INSERT ON data BEGIN INSERT INTO seen VALUES (1); END;",
    );
    let stderr = import_fails(&vault, &agd);
    assert!(
        stderr.contains("trigger.agd") && stderr.contains("holds a trigger"),
        "{stderr}"
    );
}

#[test]
fn a_one_mebibyte_line_gives_a_short_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let csv = dir.path().join("long.csv");
    let field = "9".repeat(1 << 20);
    std::fs::write(
        &csv,
        format!("timestamp,count\n2026-03-01 00:00:00,1\n2026-03-01 00:01:00,{field}\n"),
    )
    .expect("write");
    for stderr in [import_fails(&vault, &csv), analyze_fails(&csv)] {
        assert!(
            stderr.contains("long.csv, line 3") && stderr.contains("longer than 65536 bytes"),
            "{stderr}"
        );
        assert!(stderr.len() < 400, "{} bytes of error", stderr.len());
    }
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_on_its_first_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let zero = Path::new("/dev/zero");
    for stderr in [import_fails(&vault, zero), analyze_fails(zero)] {
        assert!(
            stderr.contains("/dev/zero, line 1") && stderr.contains("longer than 65536 bytes"),
            "{stderr}"
        );
    }
}

#[test]
fn an_awd_count_above_the_largest_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let awd = dir.path().join("big.AWD");
    std::fs::write(
        &awd,
        "S01\n01-Jan-2018\n08:30\n4\n0\nV00000\nF\n12\n4294967296 , 0.00\n3\n",
    )
    .expect("write");
    let stderr = import_fails(&vault, &awd);
    assert!(
        stderr.contains("big.AWD, line 9") && stderr.contains("more than 4294967295"),
        "{stderr}"
    );
}

#[test]
fn a_csv_cut_in_its_last_row_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let text = minute_csv(&dir.path().join("whole.csv"), 7, date(2026, 3, 1), 1);
    let cut = dir.path().join("cut.csv");
    let end = text.trim_end().rfind(',').expect("a comma") + 1;
    std::fs::write(&cut, &text[..end]).expect("write"); // `…,` and no count
    let lines = text.lines().count();
    let stderr = import_fails(&vault, &cut);
    assert!(
        stderr.contains(&format!("cut.csv, line {lines}")) && stderr.contains("cut short"),
        "{stderr}"
    );
}

/// Exports of other apps (issue "Correctness", item 8): said to be what
/// they are, instead of a misleading CSV error; none is analysed as a
/// recording on its own, and a damaged one is named and not imported.
#[test]
fn other_apps_exports_are_named_and_not_analysed_as_recordings() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let apple = dir.path().join("export.xml");
    std::fs::write(
        &apple,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n]>\n\
         <HealthData locale=\"ja_JP\">\n <Record type=\"HKQuantityTypeIdentifierStepCount\" \
         sourceName=\"iPhone\" value=\"12\" startDate=\"2026-03-01 08:00:00 +0900\" \
         endDate=\"2026-03-01 08:01:00 +0900\"/>\n</HealthData>\n",
    )
    .expect("write");
    let stderr = analyze_fails(&apple);
    assert!(
        stderr.contains("this is an Apple Health export")
            && stderr.contains("phr import")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    let gadgetbridge = dir.path().join("Gadgetbridge");
    rusqlite::Connection::open(&gadgetbridge)
        .expect("create")
        .execute_batch(
            "CREATE TABLE android_metadata (locale TEXT);
             CREATE TABLE DEVICE (_id INTEGER PRIMARY KEY, NAME TEXT, IDENTIFIER TEXT);
             INSERT INTO DEVICE VALUES (1, 'Mi Band 3', 'C8:0F:10:00:00:01');
             CREATE TABLE MI_BAND_ACTIVITY_SAMPLE (TIMESTAMP INTEGER, DEVICE_ID INTEGER,
               RAW_INTENSITY INTEGER, STEPS INTEGER, RAW_KIND INTEGER, HEART_RATE INTEGER);
             INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES (1772319600, 1, 40, 12, 1, 70);",
        )
        .expect("schema");
    let stderr = analyze_fails(&gadgetbridge);
    assert!(
        stderr.contains("this is a Gadgetbridge database export")
            && stderr.contains("phr import")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    // A Gadgetbridge database whose DEVICE table lacks the address: named,
    // not imported.
    let broken = dir.path().join("Gadgetbridge-old");
    rusqlite::Connection::open(&broken)
        .expect("create")
        .execute_batch(
            "CREATE TABLE DEVICE (_id INTEGER PRIMARY KEY, NAME TEXT);
             CREATE TABLE MI_BAND_ACTIVITY_SAMPLE (TIMESTAMP INTEGER, DEVICE_ID INTEGER,
               STEPS INTEGER);
             INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES (1772319600, 1, 12);",
        )
        .expect("schema");
    let stderr = import_fails(&vault, &broken);
    assert!(
        stderr.contains(&broken.display().to_string())
            && stderr.contains("no IDENTIFIER column")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
}
