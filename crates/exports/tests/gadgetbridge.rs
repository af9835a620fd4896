//! The Gadgetbridge database reader on databases built with Gadgetbridge's
//! own schema: the `CREATE TABLE` statements below are those greenDAO
//! generates from Gadgetbridge's `GBDaoGenerator` (schema 92: column names,
//! order, `NOT NULL`, and the `PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID") ON
//! CONFLICT REPLACE) WITHOUT ROWID` of every sample table), written out
//! here from its entity definitions. No real Gadgetbridge export with a
//! licence that allows its use as test data is published in a package
//! registry, so none is read here.

use chrono_tz::Tz;
use phr_exports::gadgetbridge::{looks_like_gadgetbridge, read_gadgetbridge, SLEEP_GAP_SECONDS};
use phr_exports::{Export, ExportError, ExportFormat, SourceSamples};
use phr_model::{SleepStage, SleepStageSpan};
use rusqlite::{params, Connection};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

const TOKYO: Tz = chrono_tz::Asia::Tokyo;
/// 2024-03-01 22:00:00 in Tokyo (13:00 UTC).
const NIGHT: i64 = 1_709_298_000;
const MIN: i64 = 60;

/// Gadgetbridge's schema for the tables these tests use.
const SCHEMA: &str = r#"
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE "DEVICE" ("_id" INTEGER PRIMARY KEY ,"NAME" TEXT NOT NULL ,"MANUFACTURER" TEXT NOT NULL ,"IDENTIFIER" TEXT NOT NULL UNIQUE ,"TYPE" INTEGER NOT NULL ,"TYPE_NAME" TEXT NOT NULL ,"MODEL" TEXT,"ALIAS" TEXT,"PARENT_FOLDER" TEXT);
CREATE TABLE "DEVICE_ATTRIBUTES" ("_id" INTEGER PRIMARY KEY ,"FIRMWARE_VERSION1" TEXT NOT NULL ,"FIRMWARE_VERSION2" TEXT,"VALID_FROM_UTC" INTEGER,"VALID_TO_UTC" INTEGER,"DEVICE_ID" INTEGER NOT NULL ,"VOLATILE_IDENTIFIER" TEXT);
CREATE TABLE "USER" ("_id" INTEGER PRIMARY KEY ,"NAME" TEXT NOT NULL ,"BIRTHDAY" INTEGER NOT NULL ,"GENDER" INTEGER NOT NULL );
CREATE TABLE "MI_BAND_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "HUAMI_EXTENDED_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,"UNKNOWN1" INTEGER,"SLEEP" INTEGER,"DEEP_SLEEP" INTEGER,"REM_SLEEP" INTEGER,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "HUAMI_SPO2_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"TYPE_NUM" INTEGER NOT NULL ,"SPO2" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "PEBBLE_HEALTH_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_PEBBLE_HEALTH_DATA" BLOB,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "PEBBLE_HEALTH_ACTIVITY_OVERLAY" ("TIMESTAMP_FROM" INTEGER  NOT NULL ,"TIMESTAMP_TO" INTEGER  NOT NULL ,"RAW_KIND" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_PEBBLE_HEALTH_DATA" BLOB,PRIMARY KEY ("TIMESTAMP_FROM" ,"TIMESTAMP_TO" ,"RAW_KIND" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "PINE_TIME_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "BANGLE_JSACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "GARMIN_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,"DISTANCE_CM" INTEGER NOT NULL ,"ACTIVE_CALORIES" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
INSERT INTO android_metadata VALUES ('en_US');
INSERT INTO "USER" VALUES (1, 'Gadgetbridge user', 0, 2);
"#;

/// Device ids of the tests' devices.
const BIP: i64 = 1;
const MIBAND1: i64 = 2;
const GTR: i64 = 3;
const PEBBLE: i64 = 4;
const PINETIME: i64 = 5;
const BANGLE: i64 = 6;

/// A database with Gadgetbridge's schema and its devices, the SQL `rows`
/// run on it.
fn database(dir: &Path, rows: &str) -> PathBuf {
    let path = dir.join("Gadgetbridge");
    let conn = Connection::open(&path).expect("create");
    conn.execute_batch(SCHEMA).expect("schema");
    conn.execute_batch(
        r#"INSERT INTO "DEVICE" VALUES
             (1, 'Amazfit Bip', 'Huami', 'c8:0f:10:aa:bb:01', 12, 'AMAZFITBIP', NULL, 'My Bip', NULL),
             (2, 'MI', 'Xiaomi', 'C8:0F:10:11:22:33', 10, 'MIBAND', '1S', NULL, NULL),
             (3, 'Amazfit GTR 4', 'Huami', 'D0:62:2C:00:00:03', 0, 'AMAZFITGTR4', NULL, NULL, NULL),
             (4, 'Pebble Time 1A2B', 'Pebble', 'B0:B4:48:00:00:04', 1, 'PEBBLE', 'snowy_dvt', NULL, NULL),
             (5, 'InfiniTime', 'Pine64', 'E1:E2:E3:00:00:05', 190, 'PINETIME_JF', NULL, '', NULL),
             (6, 'Bangle.js 1a2b', 'Espruino', 'F1:F2:F3:00:00:06', 160, 'BANGLEJS', NULL, NULL, NULL);
           INSERT INTO "DEVICE_ATTRIBUTES" VALUES
             (1, 'V0.1.1.40', '0.0.9.5', 1700000000000, 1705000000000, 1, NULL),
             (2, 'V1.1.3.16', '0.0.9.5', 1705000000000, NULL, 1, NULL);"#,
    )
    .expect("devices");
    conn.execute_batch(rows).expect("rows");
    path
}

/// Inserts minute rows `(timestamp, device, intensity, steps, kind, hr)`
/// into a table with the Mi Band columns.
fn insert(conn: &Connection, table: &str, rows: &[(i64, i64, i64, i64, i64, i64)]) {
    for r in rows {
        conn.execute(
            &format!(
                "INSERT INTO {table} (TIMESTAMP, DEVICE_ID, USER_ID, RAW_INTENSITY, STEPS, RAW_KIND, HEART_RATE) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)"
            ),
            params![r.0, r.1, r.2, r.3, r.4, r.5],
        )
        .expect("insert");
    }
}

fn read(path: &Path) -> Result<Export, ExportError> {
    read_gadgetbridge(path, "Gadgetbridge.db", TOKYO, &mut |_| {
        ControlFlow::Continue(())
    })
}

fn source<'a>(export: &'a Export, key: &str) -> &'a SourceSamples {
    export
        .sources
        .iter()
        .find(|s| s.source.source_key == key)
        .unwrap_or_else(|| panic!("no source {key} in {:?}", keys(export)))
}

fn keys(export: &Export) -> Vec<&str> {
    export
        .sources
        .iter()
        .map(|s| s.source.source_key.as_str())
        .collect()
}

fn span(offset_minutes: u32, minutes: u32, stage: SleepStage) -> SleepStageSpan {
    SleepStageSpan {
        offset_seconds: offset_minutes * 60,
        duration_seconds: minutes * 60,
        stage,
    }
}

/// A run of `n` minutes of one kind for one device, from `start`.
fn run(start: i64, n: i64, device: i64, kind: i64) -> Vec<(i64, i64, i64, i64, i64, i64)> {
    (0..n)
        .map(|i| (start + i * MIN, device, 3, 0, kind, 255))
        .collect()
}

#[test]
fn minutes_map_to_steps_intensity_and_heart_rate() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    insert(
        &conn,
        "MI_BAND_ACTIVITY_SAMPLE",
        &[
            (NIGHT, BIP, 40, 12, 1, 72),
            (NIGHT + MIN, BIP, 0, 0, 1, 255), // no steps, no reading
            (NIGHT + 2 * MIN, BIP, -1, -1, 1, 0), // not measured
            (NIGHT + 3 * MIN, BIP, 255, 110, 2, 251), // 251 bpm: not a reading
            (NIGHT + 4 * MIN, BIP, 7, 3, 1, 20),
        ],
    );
    drop(conn);
    assert!(looks_like_gadgetbridge(&path));
    let export = read(&path).expect("reads");
    assert_eq!(export.format, ExportFormat::Gadgetbridge);
    assert_eq!(keys(&export), ["gadgetbridge:C8:0F:10:AA:BB:01"]);
    let bip = &export.sources[0];
    assert_eq!(bip.source.label, "My Bip", "the alias the person gave it");
    assert_eq!(bip.source.manufacturer.as_deref(), Some("Huami"));
    assert_eq!(bip.source.model.as_deref(), Some("AMAZFITBIP"));
    assert_eq!(
        bip.source.firmware.as_deref(),
        Some("V1.1.3.16"),
        "the newest attributes"
    );
    let steps: Vec<(i64, u32, u32)> = bip
        .steps
        .iter()
        .map(|s| (s.start.utc, s.duration_seconds, s.steps))
        .collect();
    assert_eq!(
        steps,
        [
            (NIGHT, 60, 12),
            (NIGHT + 3 * MIN, 60, 110),
            (NIGHT + 4 * MIN, 60, 3)
        ]
    );
    assert_eq!(bip.steps[0].start.offset_seconds, 9 * 3600, "Tokyo time");
    let activity: Vec<(i64, u32)> = bip.activity.iter().map(|a| (a.at.utc, a.count)).collect();
    assert_eq!(
        activity,
        [
            (NIGHT, 40),
            (NIGHT + MIN, 0),
            (NIGHT + 3 * MIN, 255),
            (NIGHT + 4 * MIN, 7)
        ]
    );
    assert!(bip.activity.iter().all(|a| a.epoch_seconds == 60));
    let heart: Vec<(i64, u16)> = bip.heart_rate.iter().map(|h| (h.at.utc, h.bpm)).collect();
    assert_eq!(heart, [(NIGHT, 72), (NIGHT + 4 * MIN, 20)]);
    assert!(bip.sleep.is_empty());
}

#[test]
fn huami_sleep_kinds_make_one_episode_with_stages() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    let mut rows = Vec::new();
    rows.extend(run(NIGHT - 10 * MIN, 10, BIP, 1)); // awake before
    rows.extend(run(NIGHT, 20, BIP, 9)); // light
    rows.extend(run(NIGHT + 20 * MIN, 5, BIP, 0)); // "no change": still light
    rows.extend(run(NIGHT + 25 * MIN, 30, BIP, 11)); // deep
    rows.extend(run(NIGHT + 55 * MIN, 5, BIP, 10)); // "ignore": still deep
    rows.extend(run(NIGHT + 60 * MIN, 2, BIP, 1)); // up for two minutes
    rows.extend(run(NIGHT + 62 * MIN, 18, BIP, 0x19)); // light in the low bits
    rows.extend(run(NIGHT + 80 * MIN, 30, BIP, 1)); // awake after
    insert(&conn, "MI_BAND_ACTIVITY_SAMPLE", &rows);
    drop(conn);
    let export = read(&path).expect("reads");
    let bip = source(&export, "gadgetbridge:C8:0F:10:AA:BB:01");
    assert_eq!(bip.sleep.len(), 1, "{:?}", bip.sleep);
    let night = &bip.sleep[0];
    assert_eq!(night.start.utc, NIGHT);
    assert_eq!(night.end.utc, NIGHT + 80 * MIN);
    assert!(night.is_main);
    assert_eq!(night.method, "gadgetbridge");
    assert_eq!(
        night.stages,
        [
            span(0, 25, SleepStage::Light),
            span(25, 35, SleepStage::Deep),
            span(60, 2, SleepStage::Awake),
            span(62, 18, SleepStage::Light),
        ]
    );
    assert_eq!(bip.activity.len(), rows.len(), "every minute has its count");
}

#[test]
fn mi_band_1_reads_its_own_kinds() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    let mut rows = run(NIGHT, 10, MIBAND1, 5); // light on a Mi Band 1
    rows.extend(run(NIGHT + 10 * MIN, 10, MIBAND1, 4)); // deep on a Mi Band 1
    rows.extend(run(NIGHT + 20 * MIN, 10, MIBAND1, 1));
    // On a Huami device 4 and 5 are not sleep (4 is cycling).
    rows.extend(run(NIGHT, 20, BIP, 4));
    insert(&conn, "MI_BAND_ACTIVITY_SAMPLE", &rows);
    drop(conn);
    let export = read(&path).expect("reads");
    let band = source(&export, "gadgetbridge:C8:0F:10:11:22:33");
    assert_eq!(band.source.label, "MI");
    assert_eq!(band.source.manufacturer.as_deref(), Some("Xiaomi"));
    assert_eq!(
        band.source.model.as_deref(),
        Some("1S"),
        "MODEL over TYPE_NAME"
    );
    assert_eq!(band.sleep.len(), 1);
    assert_eq!(
        band.sleep[0].stages,
        [
            span(0, 10, SleepStage::Light),
            span(10, 10, SleepStage::Deep)
        ]
    );
    assert!(source(&export, "gadgetbridge:C8:0F:10:AA:BB:01")
        .sleep
        .is_empty());
}

#[test]
fn huami_extended_sleep_stages_come_from_its_stage_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    // (minute, raw kind, SLEEP, DEEP_SLEEP, REM_SLEEP)
    let rows: Vec<(i64, i64, i64, i64, i64)> = (0..30)
        .map(|i| match i {
            0..=9 => (i, 120, 30, 10, 10),         // light
            10..=19 => (i, 120, 30, 128 + 60, 20), // deep (high bit ignored)
            20..=24 => (i, 120, 30, 60, 56),       // REM beats deep
            _ => (i, 115, 0, 0, 0),                // not worn
        })
        .collect();
    for (i, kind, sleep, deep, rem) in rows {
        conn.execute(
            r#"INSERT INTO "HUAMI_EXTENDED_ACTIVITY_SAMPLE" VALUES (?1, ?2, 1, 9, 0, ?3, 255, 0, ?4, ?5, ?6)"#,
            params![NIGHT + i * MIN, GTR, kind, sleep, deep, rem],
        )
        .expect("insert");
    }
    drop(conn);
    let export = read(&path).expect("reads");
    let gtr = source(&export, "gadgetbridge:D0:62:2C:00:00:03");
    assert_eq!(gtr.source.label, "Amazfit GTR 4");
    assert_eq!(gtr.sleep.len(), 1);
    assert_eq!(gtr.sleep[0].end.utc, NIGHT + 25 * MIN);
    assert_eq!(
        gtr.sleep[0].stages,
        [
            span(0, 10, SleepStage::Light),
            span(10, 10, SleepStage::Deep),
            span(20, 5, SleepStage::Rem),
        ]
    );
    assert_eq!(
        gtr.activity.len(),
        25,
        "not-worn minutes give no activity count"
    );
}

#[test]
fn activity_kind_codes_of_pinetime_and_bangle_js_and_two_devices_are_two_sources() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    for (i, kind) in [
        (0, 2),
        (1, 2),
        (2, 4),
        (3, 4),
        (4, 0x0100_0000),
        (5, 0x0200_0000),
        (6, 2),
    ] {
        conn.execute(
            r#"INSERT INTO "PINE_TIME_ACTIVITY_SAMPLE" VALUES (?1, ?2, 1, ?3, 5, 61)"#,
            params![NIGHT + i * 10 * MIN, PINETIME, kind],
        )
        .expect("pinetime");
    }
    let mut bangle = run(NIGHT, 6, BANGLE, 0x0100_0000);
    bangle.push((NIGHT + 6 * MIN, BANGLE, 10, 40, 1, 90));
    insert(&conn, "BANGLE_JSACTIVITY_SAMPLE", &bangle);
    drop(conn);
    let export = read(&path).expect("reads");
    assert_eq!(
        keys(&export),
        [
            "gadgetbridge:E1:E2:E3:00:00:05",
            "gadgetbridge:F1:F2:F3:00:00:06"
        ]
    );
    let pinetime = source(&export, "gadgetbridge:E1:E2:E3:00:00:05");
    assert_eq!(
        pinetime.source.label, "InfiniTime",
        "an empty alias is no alias"
    );
    assert!(
        pinetime.activity.is_empty(),
        "PineTime records no intensity"
    );
    assert_eq!(pinetime.steps.len(), 7);
    assert_eq!(pinetime.heart_rate.len(), 7);
    // Minutes ten minutes apart: each a one-minute span, the rest uncovered.
    let night = &pinetime.sleep[0];
    assert_eq!(pinetime.sleep.len(), 1);
    let stages: Vec<SleepStage> = night.stages.iter().map(|s| s.stage).collect();
    assert_eq!(
        stages,
        [
            SleepStage::Light,
            SleepStage::Light,
            SleepStage::Deep,
            SleepStage::Deep,
            SleepStage::Rem,
            SleepStage::Awake,
            SleepStage::Light
        ]
    );
    assert_eq!(night.stages[6], span(60, 1, SleepStage::Light));
    assert_eq!(night.end.utc, NIGHT + 61 * MIN);
    let bangle = source(&export, "gadgetbridge:F1:F2:F3:00:00:06");
    assert_eq!(bangle.source.model.as_deref(), Some("BANGLEJS"));
    assert_eq!(bangle.sleep[0].stages, [span(0, 6, SleepStage::Rem)]);
    assert_eq!(bangle.steps.len(), 1);
}

#[test]
fn pebble_sleep_comes_from_its_overlay_spans() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    for i in 0..60 {
        conn.execute(
            r#"INSERT INTO "PEBBLE_HEALTH_ACTIVITY_SAMPLE" VALUES (?1, ?2, 1, x'00', 5, 0, 0)"#,
            params![NIGHT + i * MIN, PEBBLE],
        )
        .expect("pebble");
    }
    conn.execute_batch(&format!(
        r#"INSERT INTO "PEBBLE_HEALTH_ACTIVITY_OVERLAY" VALUES
             ({a}, {b}, 1, 4, 1, NULL), ({c}, {d}, 2, 4, 1, NULL), ({e}, {f}, 5, 4, 1, NULL);"#,
        a = NIGHT + 10 * MIN,
        b = NIGHT + 50 * MIN,
        c = NIGHT + 20 * MIN,
        d = NIGHT + 30 * MIN,
        e = NIGHT + 40 * MIN,
        f = NIGHT + 45 * MIN,
    ))
    .expect("overlay");
    drop(conn);
    let export = read(&path).expect("reads");
    let pebble = source(&export, "gadgetbridge:B0:B4:48:00:00:04");
    assert_eq!(pebble.sleep.len(), 1);
    assert_eq!(pebble.sleep[0].start.utc, NIGHT + 10 * MIN);
    assert_eq!(pebble.sleep[0].end.utc, NIGHT + 50 * MIN);
    assert_eq!(
        pebble.sleep[0].stages,
        [
            span(0, 10, SleepStage::Light),
            span(10, 10, SleepStage::Deep),
            span(20, 20, SleepStage::Light),
        ],
        "a walk overlay (5) is not sleep and leaves the light-sleep span as it was"
    );
    assert_eq!(pebble.activity.len(), 60);
}

#[test]
fn a_gap_over_an_hour_or_not_worn_ends_an_episode_and_the_longest_is_main() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    let gap_minutes = SLEEP_GAP_SECONDS / MIN;
    let mut rows = run(NIGHT, 30, BIP, 9);
    // Within the gap: the same episode.
    let second = NIGHT + (30 + gap_minutes) * MIN;
    rows.extend(run(second, 30, BIP, 11));
    // One minute more than the gap: a new episode.
    let third = second + (30 + gap_minutes + 1) * MIN;
    rows.extend(run(third, 200, BIP, 9));
    // A not-worn minute splits even without a gap.
    let fourth = third + 200 * MIN;
    rows.extend(run(fourth, 1, BIP, 3));
    rows.extend(run(fourth + MIN, 10, BIP, 9));
    // A short doze in the afternoon: too short to be an episode.
    rows.extend(run(NIGHT + 20 * 3600, 4, BIP, 9));
    insert(&conn, "MI_BAND_ACTIVITY_SAMPLE", &rows);
    drop(conn);
    let export = read(&path).expect("reads");
    let sleep = &source(&export, "gadgetbridge:C8:0F:10:AA:BB:01").sleep;
    let spans: Vec<(i64, i64, bool)> = sleep
        .iter()
        .map(|e| (e.start.utc, e.end.utc, e.is_main))
        .collect();
    assert_eq!(
        spans,
        [
            (NIGHT, second + 30 * MIN, false),
            (third, third + 200 * MIN, true),
            (fourth + MIN, fourth + 11 * MIN, false),
        ]
    );
    assert_eq!(sleep[0].stages.len(), 2, "the gap is left uncovered");
}

#[test]
fn of_duplicate_rows_the_last_read_is_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    // An edited or older file: a sample table without Gadgetbridge's
    // primary key, so it can hold two rows of one device and second.
    let path = database(
        dir.path(),
        r#"CREATE TABLE "ZE_TIME_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL ,"DEVICE_ID" INTEGER NOT NULL ,"USER_ID" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,"CALORIES_BURNT" INTEGER,"DISTANCE_METERS" INTEGER,"ACTIVE_TIME_MINUTES" INTEGER);"#,
    );
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(&format!(
        r#"INSERT INTO "ZE_TIME_ACTIVITY_SAMPLE" VALUES
             ({t}, 1, 1, 10, 0, 5, 60, 0, 0, 0),
             ({u}, 1, 1, 20, 0, 6, 61, 0, 0, 0),
             ({t}, 1, 1, 30, 0, 7, 62, 0, 0, 0);"#,
        t = NIGHT,
        u = NIGHT + MIN
    ))
    .expect("rows");
    // The same minute in a table read earlier (by name): the later table wins.
    insert(
        &conn,
        "MI_BAND_ACTIVITY_SAMPLE",
        &[
            (NIGHT + MIN, BIP, 1, 99, 1, 99),
            (NIGHT + 2 * MIN, BIP, 1, 5, 1, 70),
        ],
    );
    drop(conn);
    let export = read(&path).expect("reads");
    let bip = source(&export, "gadgetbridge:C8:0F:10:AA:BB:01");
    let steps: Vec<(i64, u32)> = bip.steps.iter().map(|s| (s.start.utc, s.steps)).collect();
    assert_eq!(
        steps,
        [(NIGHT, 30), (NIGHT + MIN, 20), (NIGHT + 2 * MIN, 5)]
    );
    let heart: Vec<u16> = bip.heart_rate.iter().map(|h| h.bpm).collect();
    assert_eq!(heart, [62, 61, 70]);
}

#[test]
fn bad_rows_are_errors_naming_table_and_row() {
    let check = |sql: &str, place: &str, says: &str| {
        let dir = tempfile::tempdir().expect("tmp");
        let path = database(dir.path(), sql);
        match read(&path) {
            Err(ExportError::At {
                file,
                place: at,
                message,
            }) => {
                assert_eq!(file, "Gadgetbridge.db");
                assert_eq!(at, place, "{message}");
                assert!(message.contains(says), "{message}");
            }
            other => panic!("expected an error at {place}, got {other:?}"),
        }
    };
    let t = NIGHT;
    // Milliseconds where seconds belong: the year 56000.
    check(
        &format!(
            r#"INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES ({t}, 1, 1, 0, 0, 1, 0), ({}, 1, 1, 0, 0, 1, 0), ({}, 1, 1, 0, 0, 1, 0);"#,
            t + 60,
            t * 1000
        ),
        "table MI_BAND_ACTIVITY_SAMPLE, row 3",
        "not a time in the years 1900-2199",
    );
    check(
        &format!(r#"INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES ({t}, 1, 1, 0, 'many', 1, 0);"#),
        "table MI_BAND_ACTIVITY_SAMPLE, row 1",
        "STEPS \"many\" is text",
    );
    check(
        &format!(r#"INSERT INTO BANGLE_JSACTIVITY_SAMPLE VALUES ({t}, 6, 1, 0, 70000, 1, 0);"#),
        "table BANGLE_JSACTIVITY_SAMPLE, row 1",
        "STEPS 70000",
    );
    check(
        &format!(
            r#"INSERT INTO PEBBLE_HEALTH_ACTIVITY_SAMPLE VALUES ({t}, 4, 1, NULL, 0, 0, 0);
               INSERT INTO PEBBLE_HEALTH_ACTIVITY_OVERLAY VALUES (-9000000000, {t}, 1, 4, 1, NULL);"#
        ),
        "table PEBBLE_HEALTH_ACTIVITY_OVERLAY, row 1",
        "TIMESTAMP_FROM -9000000000",
    );
    check(
        r#"INSERT INTO "DEVICE" VALUES (9, 'x', 'y', '  ', 0, 'UNKNOWN', NULL, NULL, NULL);"#,
        "table DEVICE, row 7",
        "IDENTIFIER",
    );
}

#[test]
fn rows_of_unknown_devices_and_tables_not_read_are_counted_as_skipped() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(
        dir.path(),
        &format!(
            r#"INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES ({t}, 1, 1, 3, 7, 1, 70), ({t}, 42, 1, 3, 7, 1, 70);
               INSERT INTO HUAMI_SPO2_SAMPLE VALUES ({ms}, 1, 1, 0, 97), ({ms2}, 1, 1, 0, 98);"#,
            t = NIGHT,
            ms = NIGHT * 1000,
            ms2 = NIGHT * 1000 + 60_000
        ),
    );
    let export = read(&path).expect("reads");
    assert_eq!(export.sources.len(), 1);
    let mut skipped = export.skipped.clone();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            ("HUAMI_SPO2_SAMPLE".to_string(), 2),
            (
                "MI_BAND_ACTIVITY_SAMPLE (rows of a device not in DEVICE)".to_string(),
                1
            ),
        ]
    );
}

#[test]
fn files_that_are_not_gadgetbridge_databases_are_file_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let file_error = |path: &Path, says: &str| match read(path) {
        Err(ExportError::File { file, message }) => {
            assert_eq!(file, "Gadgetbridge.db");
            assert!(message.contains(says), "{message}");
        }
        other => panic!("expected a file error, got {other:?}"),
    };
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"not a database at all, really not one").expect("write");
    assert!(!looks_like_gadgetbridge(&junk));
    file_error(
        &junk,
        "cannot open as a Gadgetbridge database: file is not a database",
    );
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").expect("write");
    assert!(!looks_like_gadgetbridge(&empty));
    file_error(&empty, "no DEVICE table");
    assert!(!looks_like_gadgetbridge(&dir.path().join("missing")));
    file_error(&dir.path().join("missing"), "cannot open");

    // An ActiGraph .agd is SQLite too (schema as ActiLife 6 writes it).
    let agd = dir.path().join("t.agd");
    let conn = Connection::open(&agd).expect("create");
    conn.execute_batch(
        "CREATE TABLE settings (settingID INTEGER PRIMARY KEY, settingName VARCHAR(64), settingValue VARCHAR(8192));
         CREATE TABLE data (dataTimestamp INTEGER, axis1 REAL, axis2 REAL, axis3 REAL, steps REAL, lux REAL);
         INSERT INTO settings (settingName, settingValue) VALUES ('epochlength', '60');
         INSERT INTO data VALUES (636909372000000000, 1, 2, 3, 0, 0);",
    )
    .expect("agd");
    drop(conn);
    assert!(!looks_like_gadgetbridge(&agd));
    file_error(&agd, "ActiGraph .agd");

    // DEVICE alone, without any sample table, is not Gadgetbridge's.
    let other = dir.path().join("other");
    let conn = Connection::open(&other).expect("create");
    conn.execute_batch("CREATE TABLE DEVICE (_id INTEGER PRIMARY KEY, IDENTIFIER TEXT);")
        .expect("other");
    drop(conn);
    assert!(!looks_like_gadgetbridge(&other));
    file_error(&other, "no sample table");
}

#[test]
fn views_triggers_and_virtual_tables_are_refused() {
    let cases = [
        (
            r#"DROP TABLE MI_BAND_ACTIVITY_SAMPLE;
               CREATE VIEW MI_BAND_ACTIVITY_SAMPLE AS WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r)
               SELECT 1709298000 + n * 60 AS TIMESTAMP, 1 AS DEVICE_ID, 1 AS USER_ID, 0 AS RAW_INTENSITY,
                      n AS STEPS, 1 AS RAW_KIND, 0 AS HEART_RATE FROM r;"#,
            "holds a view",
        ),
        (
            r#"CREATE TRIGGER t AFTER INSERT ON DEVICE BEGIN SELECT 1; END;"#,
            "holds a trigger",
        ),
        (
            r#"CREATE VIRTUAL TABLE "XIAOMI_ACTIVITY_SAMPLE" USING rtree(id, a, b);"#,
            "holds a virtual table",
        ),
        (
            r#"CREATE TABLE "SONY_SWR12_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL, "DEVICE_ID" INTEGER NOT NULL,
                 "STEPS" INTEGER GENERATED ALWAYS AS (TIMESTAMP * 2) VIRTUAL);"#,
            "generated column",
        ),
    ];
    for (sql, says) in cases {
        let dir = tempfile::tempdir().expect("tmp");
        let path = database(dir.path(), sql);
        match read(&path) {
            Err(ExportError::File { message, .. }) => {
                assert!(message.contains(says), "{message}")
            }
            other => panic!("expected {says:?}, got {other:?}"),
        }
    }
}

#[test]
fn progress_is_reported_and_cancel_stops_the_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch("BEGIN").expect("begin");
    insert(
        &conn,
        "MI_BAND_ACTIVITY_SAMPLE",
        &(0..10_000)
            .map(|i| (NIGHT + i * MIN, BIP, 1, 1, 1, 0))
            .collect::<Vec<_>>(),
    );
    conn.execute_batch("COMMIT").expect("commit");
    drop(conn);
    let mut seen = Vec::new();
    let export = read_gadgetbridge(&path, "Gadgetbridge.db", TOKYO, &mut |rows| {
        seen.push(rows);
        ControlFlow::Continue(())
    })
    .expect("reads");
    assert_eq!(export.sources[0].steps.len(), 10_000);
    assert_eq!(seen, [4096, 8192, 10_000]);
    let mut calls = 0;
    let cancelled = read_gadgetbridge(&path, "Gadgetbridge.db", TOKYO, &mut |_| {
        calls += 1;
        ControlFlow::Break(())
    });
    assert_eq!(
        cancelled,
        Err(ExportError::Cancelled {
            file: "Gadgetbridge.db".into()
        })
    );
    assert_eq!(calls, 1);
}

#[test]
fn the_file_is_not_changed() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = database(dir.path(), "");
    insert(
        &Connection::open(&path).expect("open"),
        "MI_BAND_ACTIVITY_SAMPLE",
        &run(NIGHT, 10, BIP, 9),
    );
    let before = std::fs::read(&path).expect("read");
    read(&path).expect("reads");
    assert_eq!(std::fs::read(&path).expect("read"), before);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 1, "no journal or lock file: {names:?}");
}
