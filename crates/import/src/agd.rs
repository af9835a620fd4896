//! ActiGraph `.agd` files: SQLite databases written by ActiLife, read as
//! pyActigraphy reads them.
//!
//! The `settings` table gives `epochlength` (seconds), `startdatetime`,
//! `deviceserial`, `devicename` and `subjectname`; the `data` table one row per
//! epoch with `dataTimestamp` and the counts of three axes (`axis1..3`), and
//! `steps` and `lux` (kept as light; negative or non-finite lux is no
//! value) on devices that record them. Timestamps are .NET ticks (100 ns
//! since 0001-01-01) of the device's local wall-clock time. As in
//! pyActigraphy, the activity of an epoch is the vector magnitude
//! `sqrt(axis1² + axis2² + axis3²)`; missing epochs between the first and last
//! row are gaps.
//!
//! This is the one parser that opens a file itself, because the format is a
//! database: it is opened read-only and never written.

use crate::lines::quoted;
use crate::recording::plausible_span;
use crate::{ActivityRecording, FileFormat, ImportError, MAX_EPOCHS};
use chrono::{DateTime, NaiveDateTime};
use rusqlite::{Connection, OptionalExtension};
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

/// The most SQLite virtual-machine steps reading one file may take: 64 per
/// epoch a recording may hold, plus a little for the settings. A plain
/// table scan takes about 10 per row; past this the read is aborted.
const MAX_STEPS: u64 = 64 * MAX_EPOCHS + (1 << 20);

/// Reads an `.agd` file. `progress` is called with rows read so far.
///
/// The file is data from elsewhere, so it is read defensively: opened
/// read-only and immutable (`file:…?mode=ro&immutable=1`: no journal, lock
/// or write, nothing changed on disk); refused unless `data` and `settings`
/// are ordinary tables and the schema has no view, trigger or generated
/// column (so no SQL of the file's own runs); `data` read in storage order,
/// at most [`MAX_EPOCHS`] rows, and sorted here, so SQLite needs no sorter or
/// temporary file; temporary storage kept in memory and capped; and the
/// whole read aborted after a bounded number of SQLite steps.
pub fn read_agd(path: &Path, progress: impl FnMut(u64)) -> Result<ActivityRecording, ImportError> {
    read_agd_within(path, MAX_STEPS, progress)
}

fn read_agd_within(
    path: &Path,
    max_steps: u64,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let file = path.display().to_string();
    let fail = |message: String| ImportError::File {
        file: file.clone(),
        message,
    };
    let conn = open_guarded(path, max_steps)
        .map_err(|e| fail(format!("cannot open as an ActiGraph .agd database: {e}")))?;
    check_schema(&conn).map_err(|e| match e {
        SchemaError::Unsupported(what) => crate::unsupported::unsupported(&file, what),
        e => fail(e.message()),
    })?;
    let steps_exceeded = |e: &rusqlite::Error| {
        e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)
    };
    let too_long = || {
        fail(format!(
            "reading took more than {max_steps} SQLite steps and was stopped; the file is not one ActiLife writes"
        ))
    };
    let setting = |name: &str| -> Result<Option<String>, ImportError> {
        conn.query_row(
            "SELECT settingValue FROM settings WHERE settingName = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| {
            if steps_exceeded(&e) {
                return too_long();
            }
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
                "settings epochlength {} is not a positive whole number of seconds",
                quoted(&epoch_text)
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
    let has_lux = columns.iter().any(|c| c == "lux");
    // No ORDER BY: a sort would need SQLite's sorter and temporary storage
    // for as many rows as the file holds; the rows are sorted below instead.
    let sql = format!(
        "SELECT rowid, dataTimestamp, axis1, axis2, axis3, {}, {} FROM data",
        if has_steps { "steps" } else { "NULL" },
        if has_lux { "lux" } else { "NULL" }
    );
    let mut stmt = conn
        .prepare(&sql)
        .map_err(|e| fail(format!("cannot read the data table: {e}")))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| fail(format!("cannot read the data table: {e}")))?;
    let mut table: Vec<Row> = Vec::new();
    while let Some(row) = rows.next().map_err(|e| {
        if steps_exceeded(&e) {
            too_long()
        } else {
            fail(format!("data table damaged: {e}"))
        }
    })? {
        if table.len() as u64 >= MAX_EPOCHS {
            return Err(fail(format!(
                "the data table has more than {MAX_EPOCHS} rows; a recording spans at most {MAX_EPOCHS} epochs"
            )));
        }
        let rowid: i64 = row.get(0).unwrap_or(0);
        let row_err = |message: String| fail(format!("data row {rowid}: {message}"));
        let axis = |idx: usize, name: &str| {
            row.get::<_, Option<f64>>(idx)
                .map_err(|e| row_err(format!("bad {name}: {e}")))
                .map(|a| a.unwrap_or(f64::NAN))
        };
        table.push(Row {
            rowid,
            ticks: row
                .get(1)
                .map_err(|e| row_err(format!("bad dataTimestamp: {e}")))?,
            axes: [axis(2, "axis1")?, axis(3, "axis2")?, axis(4, "axis3")?],
            step: row.get(5).map_err(|e| row_err(format!("bad steps: {e}")))?,
            lux: row.get(6).map_err(|e| row_err(format!("bad lux: {e}")))?,
        });
        if table.len().is_multiple_of(8192) {
            progress(table.len() as u64);
        }
    }
    drop(rows);
    table.sort_by_key(|r| (r.ticks, r.rowid));
    let epoch_ticks = i64::from(epoch_seconds) * TICKS_PER_SECOND;
    let mut counts: Vec<Option<f64>> = Vec::with_capacity(table.len());
    let mut steps: Vec<Option<f64>> = Vec::with_capacity(table.len());
    let mut light: Vec<Option<f64>> = Vec::with_capacity(table.len());
    let first_ticks = table.first().map(|r| r.ticks);
    for r in &table {
        let row_err = |message: String| fail(format!("data row {}: {message}", r.rowid));
        let first = first_ticks.unwrap_or(r.ticks);
        let offset = r
            .ticks
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
        light.resize(slot, None);
        let axes = r.axes;
        let magnitude = (axes[0] * axes[0] + axes[1] * axes[1] + axes[2] * axes[2]).sqrt();
        if axes.iter().any(|a| *a < 0.0) {
            return Err(row_err("negative axis count".into()));
        }
        counts.push(magnitude.is_finite().then_some(magnitude));
        steps.push(r.step.filter(|s| s.is_finite()));
        light.push(r.lux.filter(|l| l.is_finite() && *l >= 0.0));
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
    progress(table.len() as u64);
    Ok(ActivityRecording {
        format: FileFormat::Agd,
        subject: setting("subjectname")?.filter(|s| !s.is_empty()),
        device_model: setting("devicename")?.filter(|s| !s.is_empty()),
        device_serial: setting("deviceserial")?.filter(|s| !s.is_empty()),
        start,
        epoch_seconds,
        counts,
        steps: has_steps.then_some(steps),
        light: has_lux.then_some(light),
    })
}

/// One row of the `data` table as stored.
struct Row {
    rowid: i64,
    ticks: i64,
    axes: [f64; 3],
    step: Option<f64>,
    lux: Option<f64>,
}

/// Opens `path` as an untrusted SQLite file (read-only, immutable, its
/// schema untrusted, temporary storage capped), interrupted after
/// `max_steps` SQLite steps.
fn open_guarded(path: &Path, max_steps: u64) -> rusqlite::Result<Connection> {
    phr_untrusted_sqlite::open(path, max_steps)
}

/// Why a database's schema is refused.
enum SchemaError {
    /// Reading the schema failed.
    Sql(rusqlite::Error),
    /// A view, trigger or other object that would run the file's own SQL.
    Refused(String),
    /// Another app's database (what it is), not an ActiGraph file.
    Unsupported(&'static str),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sql(e)
    }
}

impl SchemaError {
    fn message(self) -> String {
        match self {
            SchemaError::Sql(e) => format!("not an ActiGraph .agd file (unreadable schema: {e})"),
            SchemaError::Refused(why) => {
                format!("not an ActiGraph .agd file as ActiLife writes it: {why}; refused")
            }
            SchemaError::Unsupported(what) => format!("this is {what}, not an ActiGraph .agd file"),
        }
    }
}

/// Refuses a schema with a view or trigger, a `data` or `settings` that is
/// not an ordinary table, or a generated column in either.
fn check_schema(conn: &Connection) -> Result<(), SchemaError> {
    let mut stmt = conn.prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_schema")?;
    let objects: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if let Some((kind, name, _)) = objects
        .iter()
        .find(|(kind, _, _)| kind == "view" || kind == "trigger")
    {
        return Err(SchemaError::Refused(format!(
            "it holds a {kind} ({})",
            quoted(name)
        )));
    }
    let has = |table: &str| {
        objects
            .iter()
            .any(|(_, name, _)| name.eq_ignore_ascii_case(table))
    };
    // Gadgetbridge (greenDAO on Android) keeps one `*_ACTIVITY_SAMPLE`
    // table per device family beside `DEVICE` and `android_metadata`.
    let gadgetbridge = objects.iter().any(|(kind, name, _)| {
        kind == "table" && name.to_ascii_uppercase().ends_with("_ACTIVITY_SAMPLE")
    }) || (has("DEVICE") && has("android_metadata"));
    if gadgetbridge && !has("data") && !has("settings") {
        return Err(SchemaError::Unsupported("a Gadgetbridge database export"));
    }
    for table in ["data", "settings"] {
        let Some((kind, _, sql)) = objects
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(table))
        else {
            continue; // reported when it is read
        };
        let virtual_table = sql
            .split_whitespace()
            .take(2)
            .any(|w| w.eq_ignore_ascii_case("virtual"));
        if kind != "table" || virtual_table {
            return Err(SchemaError::Refused(format!(
                "{table} is not an ordinary table"
            )));
        }
        // hidden: 2 = generated virtual column, 3 = generated stored column.
        let generated: bool = conn.query_row(
            "SELECT count(*) > 0 FROM pragma_table_xinfo(?1) WHERE hidden IN (2, 3)",
            [table],
            |r| r.get(0),
        )?;
        if generated {
            return Err(SchemaError::Refused(format!(
                "{table} has a generated column"
            )));
        }
    }
    Ok(())
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
        assert_eq!(rec.light, Some(vec![Some(0.0), Some(0.0), None, Some(0.0)]));
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

    /// A file whose schema `sql` replaces or adds to the real one.
    fn hostile(dir: &Path, name: &str, sql: &str) -> std::path::PathBuf {
        let path = agd(dir, &[(T0, 1.0, 1.0, 1.0, 0.0)]);
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(sql).expect("hostile schema");
        drop(conn);
        let renamed = dir.join(name);
        std::fs::rename(&path, &renamed).expect("rename");
        renamed
    }

    /// A Gadgetbridge export is a SQLite database too: it is named as one,
    /// not reported as a broken ActiGraph file.
    #[test]
    fn a_gadgetbridge_database_is_named_as_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("Gadgetbridge");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(
            "CREATE TABLE android_metadata (locale TEXT);
             CREATE TABLE DEVICE (_id INTEGER PRIMARY KEY, NAME TEXT, IDENTIFIER TEXT);
             CREATE TABLE MI_BAND_ACTIVITY_SAMPLE (TIMESTAMP INTEGER, DEVICE_ID INTEGER,
               RAW_INTENSITY INTEGER, STEPS INTEGER, RAW_KIND INTEGER, HEART_RATE INTEGER);",
        )
        .expect("schema");
        drop(conn);
        let message = read_agd(&path, |_| {}).expect_err("refused").to_string();
        assert!(
            message.contains("this is a Gadgetbridge database export")
                && message.contains("cannot be imported yet"),
            "{message}"
        );
    }

    /// Red-team finding: `data` replaced by an endless recursive view made
    /// import sort rows forever, filling /var/tmp. Now refused at once, as
    /// are triggers, virtual tables and generated columns.
    #[test]
    fn views_triggers_and_generated_columns_are_refused_at_once() {
        let dir = tempfile::tempdir().expect("tmp");
        let cases = [
            (
                "view.agd",
                "DROP TABLE data;
                 CREATE VIEW data AS WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r)
                 SELECT 636909372000000000 + n * 600000000 AS dataTimestamp,
                        n AS axis1, n AS axis2, n AS axis3, n AS steps FROM r;",
                "holds a view (\"data\")",
            ),
            (
                "trigger.agd",
                "CREATE TABLE log (x); CREATE TRIGGER t AFTER INSERT ON settings BEGIN INSERT INTO log VALUES (1); END;",
                "holds a trigger (\"t\")",
            ),
            (
                "generated.agd",
                "DROP TABLE data;
                 CREATE TABLE data (dataTimestamp INTEGER, axis1 REAL, axis2 REAL,
                   axis3 AS (length(printf('%.*c', 100000000, 'x'))));",
                "data has a generated column",
            ),
        ];
        for (name, sql, why) in cases {
            let path = hostile(dir.path(), name, sql);
            let started = std::time::Instant::now();
            let message = read_agd(&path, |_| {}).expect_err(name).to_string();
            assert!(
                started.elapsed().as_secs() < 2,
                "{name}: {:?}",
                started.elapsed()
            );
            assert!(
                message.starts_with(&path.display().to_string()) && message.contains(why),
                "{message}"
            );
            assert!(message.contains("refused"), "{message}");
        }
    }

    #[test]
    fn reading_stops_after_its_step_budget() {
        let dir = tempfile::tempdir().expect("tmp");
        let rows: Vec<_> = (0..2000)
            .map(|k| (T0 + k * MIN, 1.0, 1.0, 1.0, 0.0))
            .collect();
        let path = agd(dir.path(), &rows);
        assert_eq!(
            read_agd(&path, |_| {})
                .expect("within the budget")
                .counts
                .len(),
            2000
        );
        let message = read_agd_within(&path, 5_000, |_| {})
            .expect_err("over budget")
            .to_string();
        assert!(message.contains("more than 5000 SQLite steps"), "{message}");
    }

    #[test]
    fn odd_file_names_open_the_file_they_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = agd(dir.path(), &[(T0, 3.0, 4.0, 0.0, 2.0)]);
        let odd = dir.path().join("a b?mode=rw#%41 é.agd");
        std::fs::rename(&path, &odd).expect("rename");
        let before = std::fs::read(&odd).expect("read");
        assert_eq!(
            read_agd(&odd, |_| {}).expect("reads").counts,
            vec![Some(5.0)]
        );
        assert_eq!(std::fs::read(&odd).expect("read"), before, "never written");
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(names.len(), 1, "no journal or other file left: {names:?}");
    }

    #[test]
    fn a_huge_setting_is_quoted_short() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = hostile(
            dir.path(),
            "big.agd",
            "UPDATE settings SET settingValue = printf('%.*c', 1000000, 'x') WHERE settingName = 'epochlength';",
        );
        let message = read_agd(&path, |_| {}).expect_err("bad epoch").to_string();
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.contains("(1000000 bytes)"), "{message}");
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
