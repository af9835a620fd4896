//! The Gadgetbridge database reader on two kinds of input (the first byte
//! picks which):
//!
//! - rows: the rest, eight bytes a row, is inserted into a database with
//!   Gadgetbridge's schema (Mi Band 1, Amazfit and PineTime devices, the
//!   Mi Band, Huami extended, PineTime and Pebble tables), with any time,
//!   device id (known or not), intensity, steps, kind and heart rate, so the
//!   mapping of kinds to sleep, the "no value" markers and duplicates are
//!   exercised;
//! - a file: the rest as the database file itself, as a damaged or hostile
//!   export would be, through detection and the reader.
//!
//! What reads must hold the reader's invariants: sources with samples and
//! a `gadgetbridge:` key, each list sorted with one sample per instant,
//! times in the plausible years, minute steps above 0, heart rate in
//! 20..=250, minute activity, sleep episodes apart that end after they start
//! with stage spans in order inside them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_exports::gadgetbridge::{looks_like_gadgetbridge, read_gadgetbridge};
use phr_model::PLAUSIBLE_UTC;
use rusqlite::{params, Connection};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

const SCHEMA: &str = r#"
CREATE TABLE "DEVICE" ("_id" INTEGER PRIMARY KEY ,"NAME" TEXT NOT NULL ,"MANUFACTURER" TEXT NOT NULL ,"IDENTIFIER" TEXT NOT NULL UNIQUE ,"TYPE" INTEGER NOT NULL ,"TYPE_NAME" TEXT NOT NULL ,"MODEL" TEXT,"ALIAS" TEXT,"PARENT_FOLDER" TEXT);
CREATE TABLE "MI_BAND_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "HUAMI_EXTENDED_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,"UNKNOWN1" INTEGER,"SLEEP" INTEGER,"DEEP_SLEEP" INTEGER,"REM_SLEEP" INTEGER,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "PINE_TIME_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "PEBBLE_HEALTH_ACTIVITY_OVERLAY" ("TIMESTAMP_FROM" INTEGER  NOT NULL ,"TIMESTAMP_TO" INTEGER  NOT NULL ,"RAW_KIND" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_PEBBLE_HEALTH_DATA" BLOB,PRIMARY KEY ("TIMESTAMP_FROM" ,"TIMESTAMP_TO" ,"RAW_KIND" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
CREATE TABLE "PEBBLE_HEALTH_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER  NOT NULL ,"DEVICE_ID" INTEGER  NOT NULL ,"USER_ID" INTEGER NOT NULL ,"RAW_PEBBLE_HEALTH_DATA" BLOB,"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"HEART_RATE" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ) ON CONFLICT REPLACE) WITHOUT ROWID;
INSERT INTO "DEVICE" VALUES
  (1, 'MI', 'Xiaomi', 'C8:0F:10:11:22:33', 10, 'MIBAND', '1S', NULL, NULL),
  (2, 'Amazfit Bip', 'Huami', 'c8:0f:10:aa:bb:01', 12, 'AMAZFITBIP', NULL, 'My Bip', NULL),
  (3, 'InfiniTime', 'Pine64', 'E1:E2:E3:00:00:05', 190, 'PINETIME_JF', NULL, '', NULL),
  (4, 'Pebble Time', 'Pebble', 'B0:B4:48:00:00:04', 1, 'PEBBLE', NULL, NULL, NULL);
"#;

/// 2024-03-01 22:00 in Tokyo.
const NIGHT: i64 = 1_709_298_000;

/// A file of this process's own (libFuzzer may run several processes).
fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!("phr-fuzz-gadgetbridge-{}", std::process::id()))
}

/// Builds a database from eight-byte rows; false when SQLite refuses it.
fn build(path: &Path, rows: &[u8]) -> bool {
    let Ok(conn) = Connection::open(path) else {
        return false;
    };
    // One transaction, no journal and no sync: a scratch file, built fast.
    let ready = conn
        .execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;")
        .and_then(|()| conn.execute_batch(SCHEMA));
    if ready.is_err() {
        return false;
    }
    for r in rows.chunks_exact(8) {
        let at = NIGHT + i64::from(i16::from_le_bytes([r[1], r[2]])) * 60;
        let device = match r[0] >> 2 & 7 {
            7 => 9, // in no DEVICE row
            d => i64::from(d % 4) + 1,
        };
        let intensity = i64::from(r[3] as i8);
        let steps = i64::from(r[4] as i8);
        let kind = i64::from(r[5]) | (i64::from(r[6] & 0x3) << 24);
        let heart = i64::from(r[7]);
        let _ = match r[0] & 3 {
            0 => conn.execute(
                "INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)",
                params![at, device, intensity, steps, kind, heart],
            ),
            1 => conn.execute(
                "INSERT INTO HUAMI_EXTENDED_ACTIVITY_SAMPLE VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9)",
                params![at, device, intensity, steps, kind, heart, r[5] & 1, r[6], r[7]],
            ),
            2 => conn.execute(
                "INSERT INTO PINE_TIME_ACTIVITY_SAMPLE VALUES (?1, ?2, 1, ?3, ?4, ?5)",
                params![at, device, kind, steps, heart],
            ),
            _ => {
                let to = at + i64::from(r[4]) * 60 - 600;
                let _ = conn.execute(
                    "INSERT INTO PEBBLE_HEALTH_ACTIVITY_SAMPLE VALUES (?1, ?2, 1, NULL, ?3, ?4, ?5)",
                    params![at, device, intensity, steps, heart],
                );
                conn.execute(
                    "INSERT INTO PEBBLE_HEALTH_ACTIVITY_OVERLAY VALUES (?1, ?2, ?3, ?4, 1, NULL)",
                    params![at, to, i64::from(r[5] % 6), device],
                )
            }
        };
    }
    conn.execute_batch("COMMIT").is_ok()
}

fn check(path: &Path, zone: chrono_tz::Tz) {
    let _ = looks_like_gadgetbridge(path);
    let Ok(export) = read_gadgetbridge(path, "Gadgetbridge", zone, &mut |_| {
        ControlFlow::Continue(())
    }) else {
        return;
    };
    for source in &export.sources {
        assert!(!source.is_empty());
        assert!(source.source.source_key.starts_with("gadgetbridge:"));
        assert!(source
            .steps
            .windows(2)
            .all(|w| w[0].start.utc < w[1].start.utc));
        for step in &source.steps {
            assert_eq!(step.duration_seconds, 60);
            assert!(step.steps > 0);
            assert!(PLAUSIBLE_UTC.contains(&step.start.utc));
        }
        assert!(source.heart_rate.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
        assert!(source
            .heart_rate
            .iter()
            .all(|h| (20..=250).contains(&h.bpm) && PLAUSIBLE_UTC.contains(&h.at.utc)));
        assert!(source.activity.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
        assert!(source.activity.iter().all(|a| a.epoch_seconds == 60));
        for pair in source.sleep.windows(2) {
            assert!(pair[0].end.utc <= pair[1].start.utc);
        }
        for episode in &source.sleep {
            assert!(episode.end.utc > episode.start.utc);
            assert_eq!(episode.method, "gadgetbridge");
            let length = episode.end.utc - episode.start.utc;
            let mut previous_end = 0u64;
            for span in &episode.stages {
                assert!(span.duration_seconds > 0);
                assert!(u64::from(span.offset_seconds) >= previous_end);
                previous_end = u64::from(span.offset_seconds) + u64::from(span.duration_seconds);
                assert!(previous_end <= length as u64);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let path = scratch();
    let _ = std::fs::remove_file(&path);
    let zone = if selector & 2 == 0 {
        chrono_tz::Asia::Tokyo
    } else {
        chrono_tz::America::New_York
    };
    let ready = if selector & 1 == 0 {
        build(&path, rest)
    } else {
        std::fs::write(&path, rest).is_ok()
    };
    if ready {
        check(&path, zone);
    }
    let _ = std::fs::remove_file(&path);
});
