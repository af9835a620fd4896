//! Every format pyActigraphy 1.2.2 reads, end to end: each of its test
//! recordings (downloaded by scripts/fetch_reference_data.sh, not
//! committed) is imported by `phr import` and analysed by `phr analyze
//! actigraphy --input`, detected from its content even under a misleading
//! name; a damaged file of each format is refused with its name and line
//! (or record), and nothing is stored.

use super::*;

/// One recording per format (and every AWD model), the format `phr import`
/// must report, and the format name in the analysis.
const RECORDINGS: [(&str, &str); 27] = [
    ("example_01.AWD", "awd"),
    ("example_01_mask.AWD", "awd"),
    ("example_02.AWD", "awd"),
    ("example_03.AWD", "awd"),
    ("example_04.AWD", "awd"),
    ("example_05.AWD", "awd"),
    ("test_sample.AWD", "awd"),
    ("test_sample_aw4.AWD", "awd"),
    ("test_sample_aw7.AWD", "awd"),
    ("test_sample_awi.AWD", "awd"),
    ("test_sample_awl.AWD", "awd"),
    ("test_sample_awlp.AWD", "awd"),
    ("test_sample_awmk2.AWD", "awd"),
    ("test_sample_aws.AWD", "awd"),
    ("test_sample_awt.AWD", "awd"),
    ("test_sample.agd", "agd"),
    ("test_sample.csv", "rpx"),
    ("test_sample_rpx_eng.csv", "rpx"),
    ("test_sample_rpx_fr.csv", "rpx"),
    ("test_sample_rpx_ger_no_light.csv", "rpx"),
    ("test_sample_rpx_ger_with_light.csv", "rpx"),
    ("test_sample.mtn", "mtn"),
    ("test_sample_atr.txt", "acttrust"),
    ("test_sample_tal.txt", "tempatilumi"),
    ("test_sample_dqt.csv", "daqtix"),
    ("test_sample_mesa.csv", "mesa"),
    ("sample-timeSeries.csv.gz", "biobank"),
];

/// A pyActigraphy test recording; fails, saying how to get it, when it was
/// not downloaded.
fn recording(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/reference/pyactigraphy-data")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/fetch_reference_data.sh to download pyActigraphy's test recordings",
        path.display()
    );
    path
}

fn analyze(file: &Path) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phr"));
    cmd.env_remove("PHR_VAULT").env_remove("PHR_PASSPHRASE");
    cmd.args(["--json", "analyze", "actigraphy", "--input"])
        .arg(file);
    serde_json::from_str(&ok(&mut cmd)).expect("json")
}

#[test]
fn every_pyactigraphy_recording_is_imported_and_analysed() {
    let dir = tempfile::tempdir().expect("tmp");
    for (idx, (name, format)) in RECORDINGS.iter().enumerate() {
        let path = recording(name);
        let report = analyze(&path);
        assert_eq!(report["format"], *format, "{name}: {report}");
        // A vault each: the recordings lie up to a century apart, and one
        // person's alerts would be evaluated over every day between.
        let home = dir.path().join(idx.to_string());
        std::fs::create_dir(&home).expect("dir");
        let vault = init(&home);
        let summary: serde_json::Value =
            serde_json::from_str(&ok(phr(&vault).args(["--json", "import"]).arg(&path)))
                .expect("json");
        assert_eq!(summary["format"], *format, "{name}: {summary}");
        assert!(
            summary["rows"].as_u64().is_some_and(|n| n > 0),
            "{name}: {summary}"
        );
        if idx % 9 == 0 {
            // Once more: nothing new.
            let again: serde_json::Value =
                serde_json::from_str(&ok(phr(&vault).args(["--json", "import"]).arg(&path)))
                    .expect("json");
            assert_eq!(again["added"], 0, "{name}: {again}");
        }
    }
}

#[test]
fn formats_are_found_from_the_content_not_the_name() {
    let dir = tempfile::tempdir().expect("tmp");
    for (name, format) in RECORDINGS {
        if format == "agd" || format == "biobank" {
            continue; // found by their SQLite and gzip signatures, tested below
        }
        let renamed = dir.path().join(format!("{name}.dat"));
        std::fs::copy(recording(name), &renamed).expect("copy");
        assert_eq!(analyze(&renamed)["format"], format, "{name}");
    }
    for name in ["test_sample.agd", "sample-timeSeries.csv.gz"] {
        let renamed = dir.path().join("recording.dat");
        std::fs::copy(recording(name), &renamed).expect("copy");
        let report = analyze(&renamed);
        assert!(
            report["epochs"].as_u64().is_some_and(|n| n > 1000),
            "{name}: {report}"
        );
    }
}

/// An import of `file` into `vault`, which must fail and store nothing;
/// the analysis of it must fail too. Both error messages.
fn refused(vault: &Path, file: &Path) -> [String; 2] {
    let before = ok(phr(vault).args(["--json", "days"]));
    let out = run(phr(vault).arg("import").arg(file));
    assert_eq!(out.status.code(), Some(65), "import of {}", file.display());
    assert_eq!(
        ok(phr(vault).args(["--json", "days"])),
        before,
        "stored nothing"
    );
    let import = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phr"));
    cmd.env_remove("PHR_VAULT").env_remove("PHR_PASSPHRASE");
    let out = run(cmd.args(["analyze", "actigraphy", "--input"]).arg(file));
    assert!(!out.status.success(), "analyze accepted {}", file.display());
    [import, String::from_utf8_lossy(&out.stderr).into_owned()]
}

/// `name`'s text with the `nth` line (1-based) replaced by `line`.
fn with_line(name: &str, nth: usize, line: &str) -> String {
    let text = String::from_utf8(std::fs::read(recording(name)).expect("read")).expect("utf-8");
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines[nth - 1] = line;
    lines.join("\n")
}

/// `name`'s text with `from` replaced by `to` in its `nth` line (1-based).
fn edit_line(name: &str, nth: usize, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(std::fs::read(recording(name)).expect("read")).expect("utf-8");
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    assert!(
        lines[nth - 1].contains(from),
        "{name}, line {nth}: {}",
        lines[nth - 1]
    );
    lines[nth - 1] = lines[nth - 1].replacen(from, to, 1);
    lines.join("\n").into_bytes()
}

/// `name`'s text cut after `fraction` of its bytes, in the middle of a line.
fn cut(name: &str, fraction: f64) -> Vec<u8> {
    let text = String::from_utf8(std::fs::read(recording(name)).expect("read")).expect("utf-8");
    let mut end = (text.len() as f64 * fraction) as usize;
    while !text.is_char_boundary(end) || text[..end].ends_with(['\n', '\r']) {
        end -= 1;
    }
    text.as_bytes()[..end].to_vec()
}

#[test]
fn a_damaged_file_of_each_format_is_refused_naming_its_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let gz = std::fs::read(recording("sample-timeSeries.csv.gz")).expect("read");
    let rpx_eng = edit_line(
        "test_sample_rpx_eng.csv",
        200,
        "\"10:10:30\",\"0\"",
        "\"10:10:30\",\"many\"",
    );
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("eng.csv", rpx_eng, "eng.csv, line 200", "activity \"many\""),
        (
            "fr.csv",
            cut("test_sample_rpx_fr.csv", 0.5),
            "fr.csv, line ",
            "inside a quoted field",
        ),
        (
            "ger.csv",
            edit_line(
                "test_sample_rpx_ger_with_light.csv",
                300,
                "\"407,69\"",
                "\"hell\"",
            ),
            "ger.csv, line 300",
            "light \"hell\"",
        ),
        (
            "cut.mtn",
            cut("test_sample.mtn", 0.5),
            "cut.mtn, line ",
            "not a well-formed XML file",
        ),
        (
            "bad.mtn",
            edit_line("test_sample.mtn", 100, "0,", "-5,"),
            "bad.mtn, line 100",
            "motion value \"-5\"",
        ),
        (
            "atr.txt",
            edit_line(
                "test_sample_atr.txt",
                30,
                ";4;0.0666667;",
                ";lots;0.0666667;",
            ),
            "atr.txt, line 30",
            "PIM activity \"lots\"",
        ),
        (
            "tal.txt",
            with_line("test_sample_tal.txt", 20, "2000/1/1; 00:11:00; 0; 0\r").into_bytes(),
            "tal.txt, line 20",
            "the row has 4 fields",
        ),
        (
            "dqt.csv",
            with_line("test_sample_dqt.csv", 40, "2000-01-27 19:00:24.5,1,2").into_bytes(),
            "dqt.csv, line 40",
            "not a time like",
        ),
        (
            "mesa.csv",
            with_line(
                "test_sample_mesa.csv",
                3,
                "X,2,00:00:30,0,-100.00,0,10.0,5.0,5.0,5.0,1,ACTIVE,5,1,1",
            )
            .into_bytes(),
            "mesa.csv, line 3",
            "activity \"-100.00\"",
        ),
        (
            "cut-timeSeries.csv.gz",
            gz[..gz.len() / 2].to_vec(),
            "cut-timeSeries.csv.gz, line ",
            "cut short",
        ),
        (
            "light.AWD",
            edit_line("test_sample_aw7.AWD", 100, ", 0.00", ", bright"),
            "light.AWD, line 100",
            "light \"bright\"",
        ),
    ];
    for (name, bytes, place, what) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        for stderr in refused(&vault, &file) {
            assert!(
                stderr.contains(place) && stderr.contains(what) && stderr.lines().count() == 1,
                "{name}: {stderr}"
            );
        }
    }
}
