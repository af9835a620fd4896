//! `phr report`: the clinician's summary of a cared-for person's three weeks,
//! as PDF (read back with poppler) and HTML, in both languages.

use super::*;

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn report_of_a_cared_for_person_in_both_languages() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    ok(phr(&vault).args(["people", "add", "Tanaka Haruko"]));
    let csv = dir.path().join("haruko.csv");
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let mut scenario = phr_synth::Scenario::ordinary(17, date(2026, 4, 1), 21, tokyo);
    scenario.wandering_nights = vec![date(2026, 4, 16)];
    scenario_csv(&csv, &scenario);
    ok(phr(&vault)
        .arg("import")
        .arg(&csv)
        .args(["--person", "Tanaka Haruko"]));

    let pdf = dir.path().join("haruko.pdf");
    let summary: serde_json::Value = serde_json::from_str(&ok(phr(&vault)
        .args(["--json", "report", "--person", "Tanaka Haruko"])
        .args([
            "--from",
            "2026-04-01",
            "--to",
            "2026-04-21",
            "--lang",
            "ja",
            "--out",
        ])
        .arg(&pdf)))
    .expect("json");
    assert_eq!(summary["format"], "pdf");
    assert_eq!(summary["person"], 2);
    let nights = summary["nights"].as_u64().expect("nights");
    assert!((18..=21).contains(&nights), "{summary}");
    assert!(
        summary["alerts"].as_u64().expect("alerts") >= 1,
        "{summary}"
    );

    let bytes = std::fs::read(&pdf).expect("pdf written");
    assert!(bytes.starts_with(b"%PDF-"));
    let p = pdf.to_str().expect("utf-8");
    let text = poppler("pdftotext", &["-layout", p, "-"]);
    for expected in [
        "活動と睡眠のサマリー",
        "Tanaka Haruko",
        "夜間の活動",
        "2026-04-21(火)",
        "IS",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from the PDF text"
        );
    }
    let png = dir.path().join("page");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            p,
            png.to_str().expect("utf-8"),
        ],
    );
    let page = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("page"))
        .expect("a PNG of page 1");
    assert!(std::fs::metadata(page.path()).expect("png").len() > 5_000);

    // HTML from the file name; English.
    let html_path = dir.path().join("haruko.html");
    ok(phr(&vault)
        .args([
            "report",
            "--person",
            "2",
            "--from",
            "2026-04-08",
            "--to",
            "2026-04-21",
        ])
        .args(["--lang", "en", "--out"])
        .arg(&html_path));
    let html = std::fs::read_to_string(&html_path).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("lang=\"en\""));
    assert!(
        html.contains("Night-time activity"),
        "the wandering night is listed"
    );
    assert!(html.contains("Mon 2026-04-20"));
    assert_eq!(html.matches("<svg").count(), 2);

    // Every report made is in the audit log.
    let audit = ok(phr(&vault).arg("audit"));
    assert!(
        audit.contains("pdf report for person 2, 2026-04-01 to 2026-04-21"),
        "{audit}"
    );
    assert!(audit.contains("html report for person 2"), "{audit}");

    // Bad requests: clear errors, nothing written.
    let backwards = run(phr(&vault)
        .args([
            "report",
            "--person",
            "2",
            "--from",
            "2026-04-21",
            "--to",
            "2026-04-01",
        ])
        .args(["--out"])
        .arg(dir.path().join("never.pdf")));
    assert_eq!(backwards.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&backwards.stderr).contains("before"));
    let empty = run(phr(&vault)
        .args([
            "report",
            "--from",
            "2026-04-01",
            "--to",
            "2026-04-21",
            "--out",
        ])
        .arg(dir.path().join("never.pdf")));
    assert_eq!(empty.status.code(), Some(65));
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("no activity data"),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    let nowhere = run(phr(&vault)
        .args([
            "report",
            "--person",
            "2",
            "--from",
            "2026-04-01",
            "--to",
            "2026-04-21",
            "--out",
        ])
        .arg(dir.path().join("missing-dir").join("r.pdf")));
    assert!(!nowhere.status.success());
    assert!(!dir.path().join("never.pdf").exists());
    // Only reports that were written are in the audit log.
    let audit = ok(phr(&vault).arg("audit"));
    assert_eq!(audit.matches("report for person 2").count(), 2, "{audit}");
}
