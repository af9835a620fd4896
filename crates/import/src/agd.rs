//! ActiGraph `.agd` files: SQLite databases written by ActiLife, read as
//! pyActigraphy reads them.
//!
//! The `settings` table gives `epochlength` (seconds), `startdatetime`,
//! `deviceserial`, `devicename` and `subjectname`; the `data` table one row per
//! epoch with `dataTimestamp` and the counts of three axes (`axis1..3`), and
//! `steps` on devices that count them. Timestamps are .NET ticks (100 ns
//! since 0001-01-01) of the device's local wall-clock time. As in
//! pyActigraphy, the activity of an epoch is the vector magnitude
//! `sqrt(axis1² + axis2² + axis3²)`; missing epochs between the first and last
//! row are gaps.
//!
//! This is the one parser that opens a file itself, because the format is a
//! database: it is opened read-only and never written.

use crate::recording::plausible_span;
use crate::{ActivityRecording, FileFormat, ImportError, MAX_EPOCHS};
use chrono::{DateTime, NaiveDateTime};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

/// Seconds from 0001-01-01 to 1970-01-01.
const TICKS_EPOCH_OFFSET_SECONDS: i64 = 62_135_596_800;
const TICKS_PER_SECOND: i64 = 10_000_000;

/// The SQLite file signature, which every `.agd` file starts with.
pub const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

fn ticks_to_local(ticks: i64) -> Option<NaiveDateTime> {
    let seconds = ticks.div_euclid(TICKS_PER_SECOND) - TICKS_EPOCH_OFFSET_SECONDS;
    let nanos = (ticks.rem_euclid(TICKS_PER_SECOND) * 100) as u32;
    DateTime::from_timestamp(seconds, nanos).map(|t| t.naive_utc())
}

/// Reads an `.agd` file. `progress` is called with rows read so far.
pub fn read_agd(
    path: &Path,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let file = path.display().to_string();
    let fail = |message: String| ImportError::File {
        file: file.clone(),
        message,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| fail(format!("cannot open as an ActiGraph .agd database: {e}")))?;
    let setting = |name: &str| -> Result<Option<String>, ImportError> {
        conn.query_row(
            "SELECT settingValue FROM settings WHERE settingName = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| {
            fail(format!(
                "not an ActiGraph .agd file (no readable settings table: {e})"
            ))
        })
    };
    let epoch_text =
        setting("epochlength")?.ok_or_else(|| fail("settings has no epochlength".into()))?;
    let epoch_seconds: u32 = epoch_text
        .trim()
        .parse()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            fail(format!(
                "settings epochlength {epoch_text:?} is not a positive whole number of seconds"
            ))
        })?;
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('data')")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| fail(format!("cannot read the data table: {e}")))?;
    for needed in ["dataTimestamp", "axis1", "axis2", "axis3"] {
        if !columns.iter().any(|c| c == needed) {
            return Err(fail(format!("the data table has no {needed} column")));
        }
    }
    let has_steps = columns.iter().any(|c| c == "steps");
    let sql = format!(
        "SELECT rowid, dataTimestamp, axis1, axis2, axis3, {} FROM data ORDER BY dataTimestamp",
        if has_steps { "steps" } else { "NULL" }
    );
    let mut stmt = conn
        .prepare(&sql)
        .map_err(|e| fail(format!("cannot read the data table: {e}")))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| fail(format!("cannot read the data table: {e}")))?;
    let epoch_ticks = i64::from(epoch_seconds) * TICKS_PER_SECOND;
    let mut first_ticks: Option<i64> = None;
    let mut counts: Vec<Option<f64>> = Vec::new();
    let mut steps: Vec<Option<f64>> = Vec::new();
    let mut n_rows = 0u64;
    while let Some(row) = rows
        .next()
        .map_err(|e| fail(format!("data table damaged: {e}")))?
    {
        n_rows += 1;
        if n_rows.is_multiple_of(8192) {
            progress(n_rows);
        }
        let rowid: i64 = row.get(0).unwrap_or(0);
        let row_err = |message: String| fail(format!("data row {rowid}: {message}"));
        let ticks: i64 = row
            .get(1)
            .map_err(|e| row_err(format!("bad dataTimestamp: {e}")))?;
        let axes: [f64; 3] = [
            row.get::<_, Option<f64>>(2)
                .map_err(|e| row_err(format!("bad axis1: {e}")))?
                .unwrap_or(f64::NAN),
            row.get::<_, Option<f64>>(3)
                .map_err(|e| row_err(format!("bad axis2: {e}")))?
                .unwrap_or(f64::NAN),
            row.get::<_, Option<f64>>(4)
                .map_err(|e| row_err(format!("bad axis3: {e}")))?
                .unwrap_or(f64::NAN),
        ];
        let step: Option<f64> = row.get(5).map_err(|e| row_err(format!("bad steps: {e}")))?;
        let first = *first_ticks.get_or_insert(ticks);
        let offset = ticks
            .checked_sub(first)
            .ok_or_else(|| row_err("timestamp out of range".into()))?;
        if offset % epoch_ticks != 0 {
            return Err(row_err(format!("timestamp is not a whole number of {epoch_seconds}-second epochs after the first row")));
        }
        let slot = (offset / epoch_ticks) as usize;
        if slot < counts.len() {
            return Err(row_err("a second row for the same epoch".into()));
        }
        if slot as u64 >= MAX_EPOCHS {
            return Err(row_err(format!(
                "timestamp lies {} days after the first row; a recording spans at most {MAX_EPOCHS} epochs ({} days of {epoch_seconds}-second epochs)",
                offset / TICKS_PER_SECOND / 86_400,
                MAX_EPOCHS * u64::from(epoch_seconds) / 86_400,
            )));
        }
        counts.resize(slot, None);
        steps.resize(slot, None);
        let magnitude = (axes[0] * axes[0] + axes[1] * axes[1] + axes[2] * axes[2]).sqrt();
        if axes.iter().any(|a| *a < 0.0) {
            return Err(row_err("negative axis count".into()));
        }
        counts.push(magnitude.is_finite().then_some(magnitude));
        steps.push(step.filter(|s| s.is_finite()));
    }
    let first = first_ticks.ok_or_else(|| fail("the data table is empty".into()))?;
    let start = ticks_to_local(first)
        .filter(|start| plausible_span(*start, counts.len(), epoch_seconds))
        .ok_or_else(|| {
            fail(format!(
                "the data rows lie outside the years {}; is the device clock right?",
                phr_model::PLAUSIBLE_YEARS
            ))
        })?;
    progress(n_rows);
    Ok(ActivityRecording {
        format: FileFormat::Agd,
        subject: setting("subjectname")?.filter(|s| !s.is_empty()),
        device_model: setting("devicename")?.filter(|s| !s.is_empty()),
        device_serial: setting("deviceserial")?.filter(|s| !s.is_empty()),
        start,
        epoch_seconds,
        counts,
        steps: has_steps.then_some(steps),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds a small file with the tables and columns ActiLife 6 writes
    /// (schema as in ActiGraph's published .agd description).
    fn agd(dir: &Path, rows: &[(i64, f64, f64, f64, f64)]) -> std::path::PathBuf {
        let path = dir.join("t.agd");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(
            "CREATE TABLE settings (settingID INTEGER PRIMARY KEY, settingName VARCHAR(64), settingValue VARCHAR(8192));
             CREATE TABLE data (dataTimestamp INTEGER, axis1 REAL, axis2 REAL, axis3 REAL, steps REAL, lux REAL);
             INSERT INTO settings (settingName, settingValue) VALUES
               ('devicename', 'wGT3XBT'), ('deviceserial', 'MOS2E123'), ('epochlength', '60'),
               ('startdatetime', '636909372000000000'), ('subjectname', 'S01');",
        )
        .expect("schema");
        for r in rows {
            conn.execute(
                "INSERT INTO data VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                rusqlite::params![r.0, r.1, r.2, r.3, r.4],
            )
            .expect("row");
        }
        path
    }

    const T0: i64 = 636_909_372_000_000_000; // 2019-04-15 15:00:00
    const MIN: i64 = 600_000_000;

    #[test]
    fn magnitude_grid_gaps_and_steps() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = agd(
            dir.path(),
            &[
                (T0, 3.0, 4.0, 0.0, 2.0),
                (T0 + MIN, 0.0, 0.0, 0.0, 0.0),
                (T0 + 3 * MIN, 1.0, 2.0, 2.0, 5.0),
            ],
        );
        let rec = read_agd(&path, |_| {}).expect("reads");
        assert_eq!(rec.start.to_string(), "2019-04-15 15:00:00");
        assert_eq!(rec.epoch_seconds, 60);
        assert_eq!(rec.counts, vec![Some(5.0), Some(0.0), None, Some(3.0)]);
        assert_eq!(rec.steps, Some(vec![Some(2.0), Some(0.0), None, Some(5.0)]));
        assert_eq!(rec.device_serial.as_deref(), Some("MOS2E123"));
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = agd(
            dir.path(),
            &[(T0, 1.0, 1.0, 1.0, 0.0), (T0 + MIN / 2, 1.0, 1.0, 1.0, 0.0)],
        );
        let message = read_agd(&path, |_| {}).expect_err("misaligned").to_string();
        assert!(
            message.contains("data row 2") && message.contains("60-second epochs"),
            "{message}"
        );
        // A clock that jumped decades: an error, not a grid of billions.
        let far = dir.path().join("far");
        std::fs::create_dir(&far).expect("dir");
        let path = agd(
            &far,
            &[
                (T0, 1.0, 1.0, 1.0, 0.0),
                (T0 + 30 * 525_600 * MIN, 1.0, 1.0, 1.0, 0.0),
            ],
        );
        let message = read_agd(&path, |_| {}).expect_err("too far").to_string();
        assert!(
            message.contains("data row 2") && message.contains("10950 days after the first row"),
            "{message}"
        );
        let old = dir.path().join("old");
        std::fs::create_dir(&old).expect("dir");
        let path = agd(&old, &[(MIN, 1.0, 1.0, 1.0, 0.0)]);
        let message = read_agd(&path, |_| {}).expect_err("year 1").to_string();
        assert!(message.contains("outside the years 1900-2199"), "{message}");
        let junk = dir.path().join("junk.agd");
        std::fs::write(&junk, b"not a database at all, really not one").expect("write");
        assert!(read_agd(&junk, |_| {})
            .expect_err("junk")
            .to_string()
            .contains("junk.agd"));
        let empty = dir.path().join("e");
        std::fs::create_dir(&empty).expect("dir");
        let path = agd(&empty, &[]);
        assert!(read_agd(&path, |_| {})
            .expect_err("empty")
            .to_string()
            .contains("empty"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Whatever rows a damaged or odd file holds: an error, or a grid
        /// that starts at the first row, ends at the last, holds at most
        /// `MAX_EPOCHS` and resolves to instants.
        #[test]
        fn any_rows_give_an_error_or_a_sound_grid(
            first in prop_oneof![
                Just(T0),
                any::<i64>(),
            ],
            rows in proptest::collection::vec(
                (
                    prop_oneof![
                        4 => (0i64..4).prop_map(|k| k * MIN),
                        1 => Just(MIN / 2),
                        1 => any::<i64>(),
                        1 => Just(MAX_EPOCHS as i64 * MIN),
                    ],
                    prop_oneof![
                        0.0f64..500.0,
                        Just(-1.0),
                        Just(f64::NAN),
                    ],
                ),
                0..12,
            ),
        ) {
            let mut ticks = first;
            let mut table = Vec::new();
            for (delta, axis) in rows {
                table.push((ticks, axis, 1.0, 0.0, 3.0));
                ticks = ticks.wrapping_add(delta);
            }
            let dir = tempfile::tempdir().expect("tmp");
            let path = agd(dir.path(), &table);
            if let Ok(rec) = read_agd(&path, |_| {}) {
                let lo = table.iter().map(|r| r.0).min().expect("rows");
                let hi = table.iter().map(|r| r.0).max().expect("rows");
                prop_assert_eq!(rec.start, ticks_to_local(lo).expect("start"));
                prop_assert_eq!(rec.counts.len() as i64, (hi - lo) / MIN + 1);
                prop_assert!(rec.counts.len() as u64 <= MAX_EPOCHS);
                prop_assert_eq!(rec.steps.as_ref().map(Vec::len), Some(rec.counts.len()));
                prop_assert!(rec.epochs(chrono_tz::UTC).is_ok());
            }
        }
    }
}
