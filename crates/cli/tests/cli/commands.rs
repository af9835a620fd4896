//! The command contract: import, export, days, passwd, audit, errors.

use super::*;
use rusqlite::Connection;

#[test]
fn import_then_export_reproduces_the_input_exactly() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let input = dir.path().join("week.csv");
    let text = minute_csv(&input, 3, date(2026, 2, 1), 7);
    ok(phr(&vault).arg("import").arg(&input));
    let exported = ok(phr(&vault).args(["export", "csv"]));
    assert_eq!(exported, text);
    let out = dir.path().join("out.csv");
    ok(phr(&vault).args(["export", "csv", "--out"]).arg(&out));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), text);
}

fn content(vault: &Path) -> (i64, i64, Vec<Vec<u8>>) {
    let conn = Connection::open(vault).expect("raw");
    let devices: i64 = conn
        .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))
        .expect("q");
    let chunks: i64 = conn
        .query_row("SELECT count(*) FROM chunks", [], |r| r.get(0))
        .expect("q");
    let mut stmt = conn
        .prepare("SELECT sealed FROM chunks ORDER BY device_id, kind, day")
        .expect("q");
    let sealed = stmt
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    (devices, chunks, sealed)
}

#[test]
fn reimporting_the_same_file_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let input = dir.path().join("two-weeks.csv");
    minute_csv(&input, 8, date(2026, 3, 10), 14);
    let first: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).arg("--json").arg("import").arg(&input)))
            .expect("json");
    assert_eq!(first["added"], 14 * 1440);
    let before = content(&vault);
    let second: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).arg("--json").arg("import").arg(&input)))
            .expect("json");
    assert_eq!(
        (second["added"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(14 * 1440))
    );
    assert_eq!(
        content(&vault),
        before,
        "row counts or sealed content changed"
    );
}

#[test]
fn a_malformed_row_names_file_and_line_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let input = dir.path().join("broken.csv");
    let mut text = minute_csv(&input, 1, date(2026, 1, 1), 2);
    text = text.replacen("2026-01-02 12:00:00,", "2026-01-02 12:00:00,-", 1);
    std::fs::write(&input, &text).expect("write");
    let line = text
        .lines()
        .position(|l| l.contains(",-"))
        .expect("bad line")
        + 1;
    let out = run(phr(&vault).arg("import").arg(&input));
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("broken.csv, line {line}:")),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "one-line cause expected: {stderr}"
    );
    assert_eq!(
        content(&vault).1,
        0,
        "chunks were stored from a rejected file"
    );
    let days: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "days"]))).expect("json");
    assert_eq!(days, serde_json::json!([]));
}

#[test]
fn days_lists_each_local_day_with_completeness() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let input = dir.path().join("gappy.csv");
    let text = minute_csv(&input, 2, date(2026, 4, 1), 2);
    // Drop the first 144 minutes of the second day (10 % of it).
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            !(l.starts_with("2026-04-02 00:")
                || l.starts_with("2026-04-02 01:")
                || l.starts_with("2026-04-02 02:0")
                || l.starts_with("2026-04-02 02:1")
                || l.starts_with("2026-04-02 02:20")
                || l.starts_with("2026-04-02 02:21")
                || l.starts_with("2026-04-02 02:22")
                || l.starts_with("2026-04-02 02:23"))
        })
        .collect();
    std::fs::write(&input, kept.join("\n") + "\n").expect("write");
    ok(phr(&vault).arg("import").arg(&input));
    let days: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "days"]))).expect("json");
    assert_eq!(days[0]["date"], "2026-04-01");
    assert_eq!(days[0]["samples"], 1440);
    assert_eq!(days[0]["completeness"], 1.0);
    assert_eq!(days[1]["samples"], 1440 - 144);
    assert_eq!(days[1]["completeness"], 0.9);
    let text = ok(phr(&vault).arg("days"));
    assert!(
        text.contains("2026-04-02") && text.contains("90.0%"),
        "{text}"
    );
}

#[test]
fn wrong_passphrase_exits_3_and_passwd_switches_passphrases() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let input = dir.path().join("d.csv");
    minute_csv(&input, 4, date(2026, 5, 1), 1);
    ok(phr(&vault).arg("import").arg(&input));
    let out = run(phr(&vault)
        .env("PHR_PASSPHRASE", "not the passphrase")
        .arg("days"));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));

    ok(phr(&vault)
        .env("PHR_NEW_PASSPHRASE", "the next passphrase")
        .arg("passwd"));
    assert_eq!(
        run(phr(&vault).arg("days")).status.code(),
        Some(3),
        "old passphrase still works"
    );
    let days = ok(phr(&vault)
        .env("PHR_PASSPHRASE", "the next passphrase")
        .args(["--json", "days"]));
    assert!(days.contains("\"samples\": 1440"), "{days}");

    let short = run(phr(&vault)
        .env("PHR_PASSPHRASE", "the next passphrase")
        .env("PHR_NEW_PASSPHRASE", "short")
        .arg("passwd"));
    assert_eq!(short.status.code(), Some(65));
}

#[test]
fn audit_lists_actions_and_verify_detects_tampering() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let input = dir.path().join("d.csv");
    minute_csv(&input, 4, date(2026, 5, 1), 1);
    ok(phr(&vault).arg("import").arg(&input));
    ok(phr(&vault).args(["export", "csv"]));
    let log: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "audit"]))).expect("json");
    let actions: Vec<&str> = log
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        ["init", "unlock", "import", "unlock", "export", "unlock"]
    );
    let verified: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "audit", "--verify"]))).expect("json");
    assert_eq!(verified["intact"], true);

    Connection::open(&vault)
        .expect("raw")
        .execute("DELETE FROM audit WHERE seq = 3", [])
        .expect("delete");
    let out = run(phr(&vault).args(["audit", "--verify"]));
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("audit log broken at entry 3"));

    Connection::open(&vault)
        .expect("raw")
        .execute("UPDATE chunks SET sealed = zeroblob(length(sealed)) WHERE rowid = (SELECT MIN(rowid) FROM chunks)", [])
        .expect("damage");
    let out = run(phr(&vault).arg("verify"));
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("damaged: record chunks (device 1, activity, day"));
}

#[test]
fn errors_are_one_line_and_never_panics() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("none.phr");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["days"], 5, "no vault at"),
        (vec!["import", "/nonexistent/file.csv"], 5, "no vault at"),
    ];
    for (args, code, fragment) in cases {
        let out = run(phr(&missing).args(&args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            stderr.contains(fragment) && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
    let vault = init(dir.path());
    let again = run(phr(&vault).arg("init"));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let out = run(phr(&vault).args(["import", "/nonexistent/file.csv"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/file.csv"));
    let junk = dir.path().join("junk.csv");
    std::fs::write(&junk, [0xff, 0xfe, 0x00, 0x41, 0x0a]).expect("write");
    let out = run(phr(&vault).arg("import").arg(&junk));
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.csv, line 1"));
    let out = run(phr(&vault)
        .args(["init", "--tz", "Mars/Base"])
        .env("PHR_VAULT", dir.path().join("new.phr")));
    assert_eq!(out.status.code(), Some(65));
    let out = run(phr(&vault).args(["days", "--person", "Nobody"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no person \"Nobody\""));
}

#[test]
fn a_distinctive_device_name_and_timestamps_never_reach_the_disk_in_clear() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let input = dir.path().join("zebra.csv");
    minute_csv(&input, 5, date(1987, 6, 5), 1);
    ok(phr(&vault)
        .arg("import")
        .arg(&input)
        .args(["--device", "ZEBRAWATCH-9731"]));
    for suffix in ["", "-wal", "-journal", "-shm"] {
        let Ok(bytes) = std::fs::read(format!("{}{suffix}", vault.display())) else {
            continue;
        };
        for needle in ["ZEBRAWATCH-9731", "1987-06-05", "zebra.csv", "Test Owner"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in vault{suffix}"
            );
        }
    }
}

#[test]
fn demo_syncs_fourteen_days_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = dir.path().join("demo.phr");
    let first: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "demo"]))).expect("json");
    assert_eq!(first["days"].as_array().expect("days").len(), 14);
    assert!(first["sync"]["added"].as_u64().expect("added") > 14 * 1440);
    let second: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "demo"]))).expect("json");
    assert_eq!(second["sync"]["added"], 0);
    assert_eq!(second["days"], first["days"]);
}

#[test]
fn sync_simulated_uses_the_sync_engine_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let first: serde_json::Value = serde_json::from_str(&ok(phr(&vault).args([
        "--json",
        "sync",
        "--simulated",
        "--days",
        "3",
    ])))
    .expect("json");
    assert!(first["added"].as_u64().expect("added") > 3 * 144, "{first}");
    let second: serde_json::Value = serde_json::from_str(&ok(phr(&vault).args([
        "--json",
        "sync",
        "--simulated",
        "--days",
        "3",
    ])))
    .expect("json");
    assert_eq!(second["added"], 0);
    let audit = ok(phr(&vault).arg("audit"));
    assert!(
        audit.contains("sync") && audit.contains("Bangle.js (simulated 1)"),
        "{audit}"
    );
    let out = run(phr(&vault).arg("sync"));
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no paired wearables") && stderr.contains("--simulated"),
        "{stderr}"
    );
}

/// A vault holding one imported day, for the integrity tests.
fn vault_with_a_day(dir: &Path) -> PathBuf {
    let vault = init(dir);
    let input = dir.join("d.csv");
    minute_csv(&input, 4, date(2026, 5, 1), 1);
    ok(phr(&vault).arg("import").arg(&input));
    vault
}

fn audit_rows(vault: &Path) -> (i64, Vec<u8>) {
    let conn = Connection::open(vault).expect("raw");
    let count = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .expect("count");
    let head = conn
        .query_row("SELECT audit_head FROM header", [], |r| r.get(0))
        .expect("head");
    (count, head)
}

#[test]
fn an_injected_audit_entry_is_an_integrity_failure_and_verify_still_runs_read_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = vault_with_a_day(dir.path());
    Connection::open(&vault)
        .expect("raw")
        .execute(
            "INSERT INTO audit (seq, hash, sealed) SELECT MAX(seq) + 1, hash, sealed FROM audit",
            [],
        )
        .expect("inject");
    let before = audit_rows(&vault);
    let input = dir.path().join("e.csv");
    minute_csv(&input, 5, date(2026, 5, 2), 1);
    for args in [vec!["days"], vec!["import", input.to_str().expect("utf-8")]] {
        let out = run(phr(&vault).args(&args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(stderr.contains("audit log broken"), "{args:?}: {stderr}");
        assert!(!stderr.contains("UNIQUE"), "{args:?}: {stderr}");
    }
    let out = run(phr(&vault).arg("verify"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("damaged: record audit (entry 4)"),
        "{stdout}"
    );
    assert!(!stdout.contains("Checked 0 sealed records"), "{stdout}");
    let out = run(phr(&vault).args(["audit", "--verify"]));
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(audit_rows(&vault), before, "verify wrote to the vault");
}

#[test]
fn verify_reports_an_unknown_chunk_kind_and_checks_the_rest() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = vault_with_a_day(dir.path());
    Connection::open(&vault)
        .expect("raw")
        .execute(
            "UPDATE chunks SET kind = 300 WHERE rowid = (SELECT MIN(rowid) FROM chunks)",
            [],
        )
        .expect("edit kind");
    let out = run(phr(&vault).args(["--json", "verify"]));
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].as_str().expect("text").contains("kind 300"),
        "{problems:?}"
    );
    assert!(report["records_checked"].as_u64().expect("count") >= 2);
    assert!(report["audit_entries"].as_u64().expect("count") >= 4);
}

#[test]
fn a_truncated_vault_is_reported_damaged_not_foreign() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = vault_with_a_day(dir.path());
    let bytes = std::fs::read(&vault).expect("read");
    assert!(bytes.len() > 8192, "{} bytes", bytes.len());
    for keep in [bytes.len() / 2, 4096, 50] {
        std::fs::write(&vault, &bytes[..keep]).expect("truncate");
        for args in [vec!["days"], vec!["verify"]] {
            let out = run(phr(&vault).args(&args));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(4),
                "{keep} bytes, {args:?}: {stderr}"
            );
            assert!(
                stderr.contains("damaged"),
                "{keep} bytes, {args:?}: {stderr}"
            );
            assert!(
                !stderr.contains("not a PHR vault"),
                "{keep} bytes: {stderr}"
            );
        }
    }
    // A file that never was a vault still says so.
    std::fs::write(&vault, b"just some text, not a database at all\n").expect("write");
    let out = run(phr(&vault).arg("days"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a PHR vault"));
}

#[test]
fn a_passphrase_of_only_whitespace_is_refused_by_init_and_passwd() {
    let dir = tempfile::tempdir().expect("tmp");
    let blank = " \t        \u{3000}  ";
    let new = dir.path().join("blank.phr");
    let out = run(phr(&new).env("PHR_PASSPHRASE", blank).arg("init"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("only spaces"), "{stderr}");
    assert!(!new.exists(), "a vault was created");

    let vault = init(dir.path());
    let out = run(phr(&vault).env("PHR_NEW_PASSPHRASE", blank).arg("passwd"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("only spaces"), "{stderr}");
    ok(phr(&vault).arg("days"));
}
