//! Other apps' exports through `phr import`: Apple Health, Gadgetbridge,
//! Fitbit / Google Takeout, Garmin FIT. Each source is stored apart, a
//! second or overlapping import stores nothing twice, a damaged file stores
//! nothing and says where it is damaged.

use super::*;
use std::io::Write;

const WATCH: &str = "sourceName=\"Hanako&#8217;s Apple Watch\" sourceVersion=\"10.3\" device=\"&lt;&lt;HKDevice: 0x28&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.3&gt;\"";

/// An Apple Health `export.xml` with `days` days from 2024-03-01 (Tokyo):
/// the watch and the phone both count the morning walk (the watch more),
/// the phone alone an evening walk; heart rate every 30 minutes; a staged
/// night from the watch; an in-bed span from the phone; calories left out.
fn apple_xml(days: u32) -> String {
    let mut records = String::new();
    for day in 1..=days {
        let d = format!("2024-03-{day:02}");
        let next = format!("2024-03-{:02}", day + 1);
        let rec = |kind: &str, source: &str, unit: &str, start: &str, end: &str, value: &str| {
            format!(" <Record type=\"{kind}\" {source} unit=\"{unit}\" startDate=\"{start} +0900\" endDate=\"{end} +0900\" value=\"{value}\"/>\n")
        };
        let steps = "HKQuantityTypeIdentifierStepCount";
        records += &rec(
            steps,
            WATCH,
            "count",
            &format!("{d} 09:00:00"),
            &format!("{d} 09:10:00"),
            "900",
        );
        records += &rec(
            steps,
            "sourceName=\"iPhone\"",
            "count",
            &format!("{d} 09:01:00"),
            &format!("{d} 09:09:00"),
            "700",
        );
        records += &rec(
            steps,
            "sourceName=\"iPhone\"",
            "count",
            &format!("{d} 18:00:00"),
            &format!("{d} 18:20:00"),
            "300",
        );
        for half in 0..48 {
            let (h, m) = (half / 2, (half % 2) * 30);
            records += &rec(
                "HKQuantityTypeIdentifierHeartRate",
                WATCH,
                "count/min",
                &format!("{d} {h:02}:{m:02}:00"),
                &format!("{d} {h:02}:{m:02}:00"),
                "64",
            );
        }
        let sleep = "HKCategoryTypeIdentifierSleepAnalysis";
        let stage = |start: &str, end: &str, value: &str| {
            format!(" <Record type=\"{sleep}\" {WATCH} startDate=\"{start} +0900\" endDate=\"{end} +0900\" value=\"HKCategoryValueSleepAnalysis{value}\"/>\n")
        };
        records += &format!(" <Record type=\"{sleep}\" sourceName=\"iPhone\" startDate=\"{d} 22:30:00 +0900\" endDate=\"{next} 06:30:00 +0900\" value=\"HKCategoryValueSleepAnalysisInBed\"/>\n");
        records += &stage(
            &format!("{d} 23:00:00"),
            &format!("{next} 01:00:00"),
            "AsleepCore",
        );
        records += &stage(
            &format!("{next} 01:00:00"),
            &format!("{next} 02:00:00"),
            "AsleepDeep",
        );
        records += &stage(
            &format!("{next} 02:00:00"),
            &format!("{next} 02:10:00"),
            "Awake",
        );
        records += &stage(
            &format!("{next} 02:10:00"),
            &format!("{next} 06:00:00"),
            "AsleepREM",
        );
        records += &rec(
            "HKQuantityTypeIdentifierActiveEnergyBurned",
            WATCH,
            "kcal",
            &format!("{d} 09:00:00"),
            &format!("{d} 09:01:00"),
            "3.2",
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n<!ELEMENT HealthData (ExportDate,Me,(Record|Workout)*)>\n]>\n<HealthData locale=\"ja_JP\">\n <ExportDate value=\"2024-04-01 08:00:00 +0900\"/>\n <Me HKCharacteristicTypeIdentifierDateOfBirth=\"\"/>\n{records}</HealthData>\n"
    )
}

/// `xml` as Apple's `export.zip`.
fn apple_zip(path: &Path, xml: &str) {
    let file = std::fs::File::create(path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    zip.add_directory("apple_health_export/", options)
        .expect("dir");
    zip.start_file("apple_health_export/export_cda.xml", options)
        .expect("cda");
    zip.write_all(b"<?xml version=\"1.0\"?><ClinicalDocument/>")
        .expect("write");
    zip.start_file("apple_health_export/export.xml", options)
        .expect("entry");
    zip.write_all(xml.as_bytes()).expect("write");
    zip.finish().expect("finish");
}

fn import_json(vault: &Path, file: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(phr(vault).args(["--json", "import"]).arg(file))).expect("json")
}

fn kind<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["kinds"]
        .as_array()
        .and_then(|kinds| kinds.iter().find(|k| k["kind"] == name))
        .unwrap_or_else(|| panic!("no {name} in {summary}"))
}

#[test]
fn an_apple_health_export_is_stored_per_source_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let zip = dir.path().join("export.zip");
    apple_zip(&zip, &apple_xml(3));
    let summary = import_json(&vault, &zip);
    assert_eq!(summary["format"], "apple_health");
    assert_eq!(kind(&summary, "steps")["added"], 9);
    assert_eq!(kind(&summary, "heart_rate")["added"], 144);
    assert_eq!(
        kind(&summary, "sleep")["added"],
        6,
        "3 staged nights, 3 in bed"
    );
    let labels: Vec<&str> = summary["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["label"].as_str())
        .collect();
    assert_eq!(labels, ["Hanako\u{2019}s Apple Watch", "iPhone"]);
    assert_eq!(
        summary["skipped"],
        serde_json::json!([{"record": "HKQuantityTypeIdentifierActiveEnergyBurned", "count": 3}])
    );
    // The morning walk once (the watch's 900, not 900 + 700), the evening's 300.
    let days: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "days"]))).expect("json");
    assert_eq!(days[0]["date"], "2024-03-01");
    assert_eq!(days[0]["steps"], 1200, "{days}");

    // The same export again, then a newer one that overlaps it: nothing twice.
    let again = import_json(&vault, &zip);
    assert_eq!(again["added"], 0);
    assert_eq!(again["replaced"], 0);
    let newer = dir.path().join("export.xml");
    std::fs::write(&newer, apple_xml(5)).expect("write");
    let newer = import_json(&vault, &newer);
    assert_eq!(kind(&newer, "steps")["added"], 6, "{newer}");
    assert_eq!(kind(&newer, "steps")["unchanged"], 9);
    assert_eq!(newer["replaced"], 0);
    let text = ok(phr(&vault).arg("import").arg(&zip));
    assert!(text.contains("steps"), "{text}");
    assert!(text.contains("0 new"), "{text}");
    assert!(text.contains("iPhone"), "{text}");
}

#[test]
fn a_damaged_apple_health_export_stores_nothing_and_says_where() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let before = ok(phr(&vault).args(["--json", "days"]));
    let good = apple_xml(2);
    let bad = good.replacen("value=\"64\"", "value=\"sixty\"", 7);
    let bad = bad.replacen("value=\"sixty\"", "value=\"64\"", 6);
    let path = dir.path().join("export.xml");
    std::fs::write(&path, &bad).expect("write");
    let out = run(phr(&vault).arg("import").arg(&path));
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = bad
        .lines()
        .position(|l| l.contains("\"sixty\""))
        .expect("the bad line")
        + 1;
    assert!(
        stderr.contains(&format!("export.xml, line {line} (record "))
            && stderr.contains("\"sixty\" is not a number"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing from this file was stored"),
        "{stderr}"
    );
    // Cut short: not well-formed, nothing stored either.
    std::fs::write(&path, &good[..good.len() / 2]).expect("write");
    let out = run(phr(&vault).arg("import").arg(&path));
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("export.xml"));
    assert_eq!(ok(phr(&vault).args(["--json", "days"])), before);
}

#[test]
fn apple_health_data_goes_out_as_fhir_that_both_validators_accept() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let xml = dir.path().join("export.xml");
    std::fs::write(&xml, apple_xml(3)).expect("write");
    ok(phr(&vault).arg("import").arg(&xml));
    let bundle = dir.path().join("bundle.json");
    ok(phr(&vault)
        .args([
            "export",
            "fhir",
            "--types",
            "steps,sleep",
            "--from",
            "2024-03-01",
            "--to",
            "2024-03-03",
            "--out",
        ])
        .arg(&bundle));
    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let observations = json["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Observation")
        .count();
    assert!(observations >= 6, "steps and sleep of three days: {text}");
    let report = phr_test_fhir_server::validate(&[bundle]);
    assert!(report.starts_with("ok"), "{report}");
}

/// Fitbit's per-day JSON as Takeout lays it out, written by us (see
/// crates/exports/tests/data/fitbit/README.md for the layout's sources).
fn fitbit_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../exports/tests/data/fitbit/Takeout")
}

#[test]
fn a_fitbit_takeout_folder_and_one_of_its_files_are_imported_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let summary = import_json(&vault, &fitbit_folder());
    assert_eq!(summary["format"], "fitbit_takeout");
    for name in ["steps", "heart_rate", "sleep"] {
        assert!(
            kind(&summary, name)["added"]
                .as_u64()
                .is_some_and(|n| n > 0),
            "{summary}"
        );
    }
    assert_eq!(summary["sources"].as_array().map(Vec::len), Some(1));
    // One of its files alone: everything in it is already stored.
    let steps = fitbit_folder().join("Fitbit/Global Export Data/steps-2020-01-02.json");
    let again = import_json(&vault, &steps);
    assert_eq!(again["added"], 0, "{again}");
    assert!(again["unchanged"].as_u64().is_some_and(|n| n > 0));
}

/// The FIT SDK's example files that the `fitparser` crate ships in its
/// package (MIT), found through `cargo metadata`: nothing is copied here.
fn fit_sample(name: &str) -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../exports/Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let manifest = metadata["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "fitparser"))
        .and_then(|p| p["manifest_path"].as_str())
        .expect("fitparser is a dependency");
    Path::new(manifest)
        .parent()
        .expect("package folder")
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_garmin_monitoring_file_is_imported_and_a_damaged_one_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let fit = fit_sample("MonitoringFile.fit");
    let summary = import_json(&vault, &fit);
    assert_eq!(summary["format"], "garmin_fit");
    assert_eq!(kind(&summary, "steps")["added"], 79, "{summary}");
    assert_eq!(summary["sources"][0]["label"], "Garmin vivo_fit");
    assert_eq!(import_json(&vault, &fit)["added"], 0);
    let days: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "days"]))).expect("json");
    assert!(
        days.as_array().is_some_and(|d| d
            .iter()
            .any(|day| day["steps"].as_u64().is_some_and(|n| n > 0))),
        "{days}"
    );
    // Cut short: refused, naming the file, nothing more stored.
    let bytes = std::fs::read(&fit).expect("read");
    let cut = dir.path().join("cut.fit");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let before = ok(phr(&vault).args(["--json", "days"]));
    let out = run(phr(&vault).arg("import").arg(&cut));
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut.fit") && stderr.contains("nothing from this file was stored"),
        "{stderr}"
    );
    assert_eq!(ok(phr(&vault).args(["--json", "days"])), before);
}

/// A Gadgetbridge database with its own schema for a Mi Band (Gadgetbridge's
/// `DEVICE` and `MI_BAND_ACTIVITY_SAMPLE` as greenDAO creates them, see
/// crates/exports/tests/gadgetbridge.rs), `nights` nights from 2024-03-01:
/// an hour of walking at 21:00 Tokyo, then six hours of light and deep
/// sleep from 22:00, and SpO2 readings the reader does not take.
fn gadgetbridge_db(path: &Path, nights: i64) {
    let conn = rusqlite::Connection::open(path).expect("create");
    conn.execute_batch(
        r#"CREATE TABLE android_metadata (locale TEXT);
        CREATE TABLE "DEVICE" ("_id" INTEGER PRIMARY KEY ,"NAME" TEXT NOT NULL ,"MANUFACTURER" TEXT NOT NULL ,"IDENTIFIER" TEXT NOT NULL UNIQUE ,"TYPE" INTEGER NOT NULL ,"TYPE_NAME" TEXT NOT NULL ,"MODEL" TEXT,"ALIAS" TEXT,"PARENT_FOLDER" TEXT);
        CREATE TABLE "MI_BAND_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
        CREATE TABLE "HUAMI_SPO2_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"TYPE_NUM" INTEGER NOT NULL ,"SPO2" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
        INSERT INTO "DEVICE" VALUES (1, 'Mi Band 3', 'Huami', 'c8:0f:10:aa:bb:01', 11, 'MIBAND3', NULL, 'Grandma''s band', NULL);"#,
    )
    .expect("schema");
    // 2024-03-01 21:00 in Tokyo.
    let evening = 1_709_294_400_i64;
    let mut insert = conn
        .prepare("INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES (?1, 1, 1, ?2, ?3, ?4, ?5)")
        .expect("prepare");
    for night in 0..nights {
        let start = evening + night * 86_400;
        for minute in 0..60 {
            insert
                .execute(rusqlite::params![start + minute * 60, 80, 100, 1, 95])
                .expect("walk");
        }
        for minute in 60..420 {
            let kind = if (minute / 90) % 2 == 0 { 9 } else { 11 };
            insert
                .execute(rusqlite::params![start + minute * 60, 2, 0, kind, 58])
                .expect("sleep");
        }
        conn.execute(
            "INSERT INTO HUAMI_SPO2_SAMPLE VALUES (?1, 1, 1, 0, 97)",
            [(start + 7200) * 1000],
        )
        .expect("spo2");
    }
}

#[test]
fn a_gadgetbridge_database_is_imported_per_device_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let db = dir.path().join("Gadgetbridge");
    gadgetbridge_db(&db, 3);
    let summary = import_json(&vault, &db);
    assert_eq!(summary["format"], "gadgetbridge", "{summary}");
    assert_eq!(kind(&summary, "steps")["added"], 180, "{summary}");
    assert_eq!(kind(&summary, "heart_rate")["added"], 3 * 420, "{summary}");
    assert_eq!(kind(&summary, "sleep")["added"], 3, "{summary}");
    assert_eq!(
        summary["sources"][0]["label"], "Grandma's band",
        "the alias given"
    );
    assert_eq!(
        summary["skipped"],
        serde_json::json!([{"record": "HUAMI_SPO2_SAMPLE", "count": 3}])
    );
    let days: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "days"]))).expect("json");
    assert!(
        days.as_array()
            .is_some_and(|d| d.iter().any(|day| day["steps"] == 6000)),
        "an hour of 100 steps a minute: {days}"
    );

    // The same database again, then a newer one that holds it and more.
    let again = import_json(&vault, &db);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["replaced"], 0, "{again}");
    let newer = dir.path().join("Gadgetbridge-later");
    gadgetbridge_db(&newer, 5);
    let newer = import_json(&vault, &newer);
    assert_eq!(kind(&newer, "steps")["added"], 120, "{newer}");
    assert_eq!(kind(&newer, "steps")["unchanged"], 180, "{newer}");
    assert_eq!(kind(&newer, "sleep")["added"], 2, "{newer}");
    assert_eq!(newer["replaced"], 0, "{newer}");
    let text = ok(phr(&vault).arg("import").arg(&db));
    assert!(text.contains("0 new"), "{text}");
}
