//! A Gadgetbridge database export: the SQLite file Gadgetbridge (the
//! Android companion app for Mi Band / Amazfit, Pebble, PineTime, Bangle.js,
//! Garmin and many other watches) writes with "Export database".
//!
//! **Layout** (Gadgetbridge's greenDAO schema): a `DEVICE` table, one row
//! per paired device (`_id`, `NAME`, `MANUFACTURER`, `IDENTIFIER` — the
//! Bluetooth MAC address —, `TYPE`, `TYPE_NAME`, `MODEL`, `ALIAS`), and one
//! activity-sample table per device family, one row per device and minute:
//! `TIMESTAMP` (UTC Unix **seconds**), `DEVICE_ID` (a `DEVICE._id`),
//! `USER_ID`, and, as the family records them, `STEPS`, `RAW_INTENSITY`,
//! `RAW_KIND` (the device's own activity type) and `HEART_RATE`. Every
//! table whose name ends in `ACTIVITY_SAMPLE` and has `TIMESTAMP` and
//! `DEVICE_ID` is read (`MI_BAND_ACTIVITY_SAMPLE`,
//! `HUAMI_EXTENDED_ACTIVITY_SAMPLE`, `PEBBLE_HEALTH_ACTIVITY_SAMPLE`,
//! `PINE_TIME_ACTIVITY_SAMPLE`, `BANGLE_JSACTIVITY_SAMPLE`,
//! `GARMIN_ACTIVITY_SAMPLE`, `XIAOMI_ACTIVITY_SAMPLE`, …), and
//! `SONY_SWR12_SAMPLE`, which has the same columns.
//!
//! **Mapping**, per minute row (each sample 60 s long):
//!
//! - `STEPS` > 0 → a [`StepCount`] of 60 s. Zero is not kept: Gadgetbridge
//!   writes 0 for minutes it holds only for another value (a heart-rate
//!   reading, a sleep stage), so a zero does not say the wearer took no
//!   step; negative values are its "not measured" (-1).
//! - `RAW_INTENSITY` ≥ 0 → an [`ActivityEpoch`] of 60 s with the raw value
//!   as its count (the device's own scale: 0–255 on Mi Band, 0–100 on
//!   Garmin, …). Negative is "not measured" (-1) and skipped; so is every
//!   minute the device marks as not worn or charging, which stays a gap
//!   rather than a run of zero counts that would look like sleep.
//! - `HEART_RATE` in 20–250 → a [`HeartRate`]; anything else (0, 255, -1 …
//!   are Gadgetbridge's "no reading") is not a reading and is skipped.
//! - `RAW_KIND` → light, deep, REM or awake sleep, not worn, or neither,
//!   per family as Gadgetbridge's sample providers read them:
//!   - Mi Band 1 (`MI_BAND_ACTIVITY_SAMPLE` of a `MIBAND` device): 5 light,
//!     4 deep, 3 and 6 not worn;
//!   - every other device in `MI_BAND_ACTIVITY_SAMPLE` (Mi Band 2 and
//!     later, Amazfit; Huami's raw types): the low four bits, 9 light,
//!     11 deep, 3 and 6 not worn; 0 ("no change") and 10 ("ignore") take
//!     the kind of the device's previous minute; -1 is unset;
//!   - `HUAMI_EXTENDED_ACTIVITY_SAMPLE`: 120 is sleep, REM where
//!     `REM_SLEEP` (low seven bits) exceeds 55, else deep where
//!     `DEEP_SLEEP` exceeds 42, else light; 115 and 118 not worn;
//!   - Pebble Health: the table has no kind; the spans of
//!     `PEBBLE_HEALTH_ACTIVITY_OVERLAY` (`TIMESTAMP_FROM`..`TIMESTAMP_TO`)
//!     give it, 1 and 3 light sleep (night, nap), 2 and 4 deep, the later
//!     span winning where two overlap;
//!   - PineTime, Bangle.js, Garmin, Xiaomi, CMF, Colmi, Casio: Gadgetbridge's
//!     own activity-kind codes, 2 light, 4 deep, 0x1000000 REM,
//!     0x2000000 awake, 8 not worn;
//!   - any other family: kinds not read (its steps, intensity and heart
//!     rate still are).
//!
//! **Sleep episodes**: per device, minutes of light, deep or REM sleep
//! less than [`SLEEP_GAP_SECONDS`] apart (from the end of one to the start
//! of the next) are one [`SleepEpisode`], from its first to the end of its
//! last sleeping minute; a not-worn minute ends it. Inside it, each minute
//! row is a stage span (sleep stages as recorded, any other kind as
//! [`SleepStage::Awake`]); minutes without a row stay uncovered. An
//! episode with fewer than [`MIN_SLEEP_MINUTES`] sleeping minutes is not
//! kept (Gadgetbridge's own sleep view drops sessions of 5 minutes or less
//! too). The method is `gadgetbridge`; the longest episode of each
//! noon-to-noon local night is the main sleep, unless it lies wholly
//! between 09:00 and 18:00 (a nap), as for every export this crate reads.
//! Gadgetbridge's dedicated sleep-stage tables (Xiaomi, Garmin, Colmi,
//! CMF) are not read; they are counted in [`Export::skipped`] with every
//! other sample table that holds rows.
//!
//! **Sources**: one [`SourceSamples`] per `DEVICE` row with samples, keyed
//! `gadgetbridge:<IDENTIFIER>` (the MAC address, upper-cased), so a later
//! export of the same watch, or one from a reinstalled Gadgetbridge, merges
//! with an earlier one. Label: the alias the person gave it, else `NAME`;
//! manufacturer `MANUFACTURER`; model `MODEL`, else `TYPE_NAME`; firmware
//! the newest `DEVICE_ATTRIBUTES.FIRMWARE_VERSION1`. `USER_ID` is not read
//! (a Gadgetbridge database holds one person). Rows whose `DEVICE_ID` is
//! in no `DEVICE` row are counted in [`Export::skipped`].
//!
//! **Time**: `TIMESTAMP` is an instant (UTC seconds); each sample's local
//! time is the person's `zone` at that instant, like every other sample
//! (the phone's zone is not recorded).
//!
//! **Duplicates**: a real export cannot hold two rows of one device and
//! second (the tables' primary key is `TIMESTAMP, DEVICE_ID`), but an
//! edited or older file may; of such rows the last read is kept (later in
//! a table's storage order, or in the later table by name when two tables
//! hold the same minute).
//!
//! **Hostile files**: the database is opened read-only and immutable
//! (nothing is written, no journal or lock); a view, trigger or virtual
//! table anywhere, or a generated column in a table read, is refused
//! before any row is read, so no SQL of the file's own runs; tables are
//! read in storage order with no `ORDER BY` (sorted here, so SQLite needs
//! no sorter or temporary file); at most [`MAX_ROWS`] sample rows are read;
//! and the whole read stops after a bounded number of SQLite steps.
//! Errors name the table and row (`table MI_BAND_ACTIVITY_SAMPLE, row 3`:
//! the third row in the table's storage order, counted from 1).

use crate::{Export, ExportError, ExportFormat, Progress, SourceSamples};
use chrono_tz::Tz;
use phr_model::{
    ActivityEpoch, HeartRate, NewDevice, SleepEpisode, SleepStage, SleepStageSpan, Stamp,
    StepCount, PLAUSIBLE_UTC, PLAUSIBLE_YEARS,
};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;

/// Sleeping minutes of one device at most this far apart (seconds, from
/// the end of one to the start of the next) belong to one episode.
pub const SLEEP_GAP_SECONDS: i64 = 60 * 60;

/// The fewest sleeping minutes a kept sleep episode has.
pub const MIN_SLEEP_MINUTES: usize = 5;

/// The most sample rows (all tables together) one export may hold: 32
/// device-years of minutes. Past this the file is refused.
pub const MAX_ROWS: u64 = 1 << 24;

/// The most `DEVICE` rows one export may hold.
const MAX_DEVICES: usize = 100_000;
/// The SQLite file signature.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// The most SQLite virtual-machine steps one read may take: 64 per row the
/// file may hold (a plain scan takes about 10), plus some for the schema,
/// the devices and the counts of tables not read.
const MAX_STEPS: u64 = 64 * MAX_ROWS + (1 << 24);
/// Rows between two calls of the caller's progress callback.
const PROGRESS_EVERY: u64 = 4096;
/// Length of one sample row (Gadgetbridge's activity samples are minutes).
const MINUTE: i64 = 60;

/// The most steps one minute row may hold: more is a damaged value.
const MAX_STEPS_PER_MINUTE: i64 = 65_535;
/// Heart rates outside this range are Gadgetbridge's "no reading" markers
/// or noise, not readings.
const PLAUSIBLE_BPM: std::ops::RangeInclusive<i64> = 20..=250;

/// True when the file at `path` is a Gadgetbridge database: SQLite, with a
/// `DEVICE` table and at least one `*_SAMPLE` table. An ActiGraph `.agd`
/// (SQLite with `settings` and `data`) is not one. Never fails: a file that
/// cannot be read is not one.
pub fn looks_like_gadgetbridge(path: &Path) -> bool {
    let mut head = [0u8; 16];
    let is_sqlite = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == SQLITE_MAGIC;
    if !is_sqlite {
        return false;
    }
    let Ok(conn) = open_guarded(path, 1 << 20) else {
        return false;
    };
    read_schema(&conn).is_ok_and(|objects| is_gadgetbridge(&objects))
}

/// Reads a Gadgetbridge database export at `path`; `file` is its name as
/// the user gave it (used in errors), `zone` the person's time zone (for
/// each sample's local time), and `progress` is called with the sample
/// rows read so far, every few thousand rows; returning
/// `ControlFlow::Break(())` stops the read with [`ExportError::Cancelled`].
///
/// The whole file is read and checked before anything is returned: the
/// first bad row is an [`ExportError::At`] naming its table and row; a file
/// that is not a SQLite database, not Gadgetbridge's, or unreadable is an
/// [`ExportError::File`]. See the module documentation for the mapping.
pub fn read_gadgetbridge(
    path: &Path,
    file: &str,
    zone: Tz,
    progress: Progress,
) -> Result<Export, ExportError> {
    read_within(path, file, zone, progress, MAX_STEPS)
}

fn read_within(
    path: &Path,
    file: &str,
    zone: Tz,
    progress: Progress,
    max_steps: u64,
) -> Result<Export, ExportError> {
    let reader = Reader {
        file,
        max_steps,
        conn: open_guarded(path, max_steps).map_err(|e| ExportError::File {
            file: file.to_string(),
            message: format!("cannot open as a Gadgetbridge database: {e}"),
        })?,
    };
    let objects = read_schema(&reader.conn).map_err(|e| {
        reader.sql_error(e, |e| {
            format!("not a Gadgetbridge database (unreadable schema: {e})")
        })
    })?;
    check_schema(&objects).map_err(|message| reader.fail(message))?;
    if !is_gadgetbridge(&objects) {
        let has = |name: &str| objects.iter().any(|o| o.name.eq_ignore_ascii_case(name));
        let message = if has("data") && has("settings") {
            "this is an ActiGraph .agd file, not a Gadgetbridge database".to_string()
        } else if !has("DEVICE") {
            "not a Gadgetbridge database: it has no DEVICE table".to_string()
        } else {
            "not a Gadgetbridge database: it has no sample table".to_string()
        };
        return Err(reader.fail(message));
    }
    let devices = reader.devices()?;
    let device_index: HashMap<i64, u32> = devices
        .iter()
        .enumerate()
        .map(|(idx, d)| (d.id, idx as u32))
        .collect();

    let mut sample_tables: Vec<SampleTable> = Vec::new();
    for object in objects.iter().filter(|o| o.kind == "table") {
        if let Some(table) = reader.sample_table(object)? {
            sample_tables.push(table);
        }
    }
    sample_tables.sort_by(|a, b| a.name.cmp(&b.name));

    let mut rows_read = 0u64;
    let mut seq = 0u32;
    let mut minutes: Vec<Minute> = Vec::new();
    let mut skipped: Vec<(String, u64)> = Vec::new();
    let mut report = |rows_read: u64| -> Result<(), ExportError> {
        match progress(rows_read) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(ExportError::Cancelled {
                file: file.to_string(),
            }),
        }
    };
    for table in &sample_tables {
        let mut orphans = 0u64;
        let mut rows = reader.read_table(
            table,
            &devices,
            &device_index,
            &mut rows_read,
            &mut seq,
            &mut orphans,
            &mut report,
        )?;
        sort_and_dedup(&mut rows);
        carry_huami_kinds(&mut rows);
        minutes.append(&mut rows);
        if orphans > 0 {
            skipped.push((
                format!("{} (rows of a device not in DEVICE)", table.name),
                orphans,
            ));
        }
    }
    sort_and_dedup(&mut minutes);
    if objects
        .iter()
        .any(|o| o.kind == "table" && o.name == PEBBLE_OVERLAY)
    {
        reader.overlay_pebble_sleep(&mut minutes, &device_index)?;
    }
    report(rows_read)?;

    // Sample tables holding rows this reader does not read.
    for object in objects.iter().filter(|o| o.kind == "table") {
        let upper = object.name.to_ascii_uppercase();
        let read = sample_tables.iter().any(|t| t.name == object.name) || upper == PEBBLE_OVERLAY;
        let sample_like = upper.ends_with("_SAMPLE")
            || upper.ends_with("_OVERLAY")
            || upper == "BASE_ACTIVITY_SUMMARY";
        if read || !sample_like {
            continue;
        }
        let count: i64 = reader
            .conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote(&object.name)),
                [],
                |r| r.get(0),
            )
            .map_err(|e| {
                reader.sql_error(e, |e| format!("cannot read table {}: {e}", object.name))
            })?;
        if count > 0 {
            skipped.push((object.name.clone(), count as u64));
        }
    }

    let mut sources = Vec::new();
    let mut start = 0;
    while start < minutes.len() {
        let device = minutes[start].device;
        let end = start
            + minutes[start..]
                .iter()
                .position(|m| m.device != device)
                .unwrap_or(minutes.len() - start);
        let samples = source_samples(&devices[device as usize], &minutes[start..end], zone)
            .map_err(|e| ExportError::File {
                file: file.to_string(),
                message: format!("time out of range: {e}"),
            })?;
        if !samples.is_empty() {
            sources.push(samples);
        }
        start = end;
    }
    Ok(Export {
        format: ExportFormat::Gadgetbridge,
        sources,
        skipped,
    })
}

/// The Pebble Health overlay table, which holds Pebble's sleep spans.
const PEBBLE_OVERLAY: &str = "PEBBLE_HEALTH_ACTIVITY_OVERLAY";

/// One object of the database schema.
struct SchemaObject {
    kind: String,
    name: String,
    sql: String,
}

/// One `DEVICE` row.
struct Device {
    id: i64,
    type_name: String,
    type_key: Option<i64>,
    source: NewDevice,
}

/// How a family's `RAW_KIND` values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Mi Band 1 in `MI_BAND_ACTIVITY_SAMPLE`.
    MiBand1,
    /// Huami raw types in `MI_BAND_ACTIVITY_SAMPLE` (Mi Band 2 on, Amazfit).
    Huami,
    /// `HUAMI_EXTENDED_ACTIVITY_SAMPLE`.
    HuamiExtended,
    /// Gadgetbridge's own activity-kind codes.
    ActivityKindCodes,
    /// Kinds not read (Pebble Health gets them from its overlay).
    NotRead,
}

/// A sample table to read, with the columns it has.
struct SampleTable {
    name: String,
    steps: bool,
    intensity: bool,
    heart_rate: bool,
    raw_kind: bool,
    deep_sleep: bool,
    rem_sleep: bool,
}

/// What a minute's kind says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing known, or a kind that is neither sleep nor not worn.
    Other,
    /// Not worn, or charging.
    NotWorn,
    Light,
    Deep,
    Rem,
    /// Awake within sleep.
    Awake,
    /// Huami's "no change" / "ignore": the previous minute's kind.
    Carry,
}

/// One minute row, compact (`-1` = no value).
#[derive(Debug, Clone, Copy)]
struct Minute {
    device: u32,
    utc: i64,
    seq: u32,
    steps: i32,
    intensity: i32,
    bpm: u16,
    kind: Kind,
}

struct Reader<'a> {
    file: &'a str,
    max_steps: u64,
    conn: Connection,
}

impl Reader<'_> {
    fn fail(&self, message: String) -> ExportError {
        ExportError::File {
            file: self.file.to_string(),
            message,
        }
    }

    fn at(&self, table: &str, row: u64, message: String) -> ExportError {
        ExportError::At {
            file: self.file.to_string(),
            place: format!("table {table}, row {row}"),
            message,
        }
    }

    /// A SQLite error as a file error: the step limit named as such,
    /// anything else through `describe`.
    fn sql_error(
        &self,
        e: rusqlite::Error,
        describe: impl FnOnce(&rusqlite::Error) -> String,
    ) -> ExportError {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
            return self.fail(format!(
                "reading took more than {} SQLite steps and was stopped; the file is not one Gadgetbridge writes",
                self.max_steps
            ));
        }
        self.fail(describe(&e))
    }

    fn columns(&self, table: &str) -> Result<Vec<String>, ExportError> {
        self.conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .and_then(|mut s| s.query_map([table], |r| r.get(0))?.collect())
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table {table}: {e}")))
    }

    /// Refuses a table with a generated column.
    fn check_no_generated(&self, table: &str) -> Result<(), ExportError> {
        // hidden: 2 = generated virtual column, 3 = generated stored column.
        let generated: bool = self
            .conn
            .query_row(
                "SELECT count(*) > 0 FROM pragma_table_xinfo(?1) WHERE hidden IN (2, 3)",
                [table],
                |r| r.get(0),
            )
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table {table}: {e}")))?;
        if generated {
            return Err(self.fail(format!(
                "not a Gadgetbridge database as Gadgetbridge writes it: table {table} has a generated column; refused"
            )));
        }
        Ok(())
    }

    fn devices(&self) -> Result<Vec<Device>, ExportError> {
        let table = "DEVICE";
        self.check_no_generated(table)?;
        let columns = self.columns(table)?;
        let has = |c: &str| columns.iter().any(|x| x.eq_ignore_ascii_case(c));
        for needed in ["_id", "IDENTIFIER"] {
            if !has(needed) {
                return Err(self.fail(format!(
                    "not a Gadgetbridge database: the DEVICE table has no {needed} column"
                )));
            }
        }
        let column = |c: &str| if has(c) { quote(c) } else { "NULL".to_string() };
        let sql = format!(
            "SELECT \"_id\", \"IDENTIFIER\", {}, {}, {}, {}, {}, {} FROM \"DEVICE\"",
            column("NAME"),
            column("ALIAS"),
            column("MANUFACTURER"),
            column("MODEL"),
            column("TYPE_NAME"),
            column("TYPE"),
        );
        let firmware = self.firmware()?;
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table DEVICE: {e}")))?;
        let mut rows = stmt
            .query([])
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table DEVICE: {e}")))?;
        let mut devices: Vec<Device> = Vec::new();
        let mut row_no = 0u64;
        while let Some(row) = rows
            .next()
            .map_err(|e| self.sql_error(e, |e| format!("table DEVICE damaged: {e}")))?
        {
            row_no += 1;
            if devices.len() >= MAX_DEVICES {
                return Err(self.fail(format!("the DEVICE table has more than {MAX_DEVICES} rows")));
            }
            let at = |message: String| self.at(table, row_no, message);
            let value = |idx: usize| row.get_ref(idx).map_err(|e| at(e.to_string()));
            let id = integer(value(0)?)
                .map_err(|what| at(format!("_id {what}")))?
                .ok_or_else(|| at("_id is empty".into()))?;
            let identifier = text(value(1)?)
                .map_err(|what| at(format!("IDENTIFIER {what}")))?
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| at("IDENTIFIER (the device's address) is empty".into()))?;
            let optional = |idx: usize, name: &str| -> Result<Option<String>, ExportError> {
                Ok(text(value(idx)?)
                    .map_err(|what| at(format!("{name} {what}")))?
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()))
            };
            let name = optional(2, "NAME")?;
            let alias = optional(3, "ALIAS")?;
            let manufacturer = optional(4, "MANUFACTURER")?;
            let model = optional(5, "MODEL")?;
            let type_name = optional(6, "TYPE_NAME")?;
            let type_key = integer(value(7)?).map_err(|what| at(format!("TYPE {what}")))?;
            if devices.iter().any(|d| d.id == id) {
                return Err(at(format!("a second device with _id {id}")));
            }
            devices.push(Device {
                id,
                type_key,
                type_name: type_name.clone().unwrap_or_default(),
                source: NewDevice {
                    source_key: format!("gadgetbridge:{identifier}"),
                    label: alias.or(name).unwrap_or_else(|| identifier.clone()),
                    manufacturer,
                    model: model.or(type_name),
                    serial: None,
                    firmware: firmware.get(&id).cloned(),
                },
            });
        }
        Ok(devices)
    }

    /// The newest `FIRMWARE_VERSION1` of each device, where the database
    /// has `DEVICE_ATTRIBUTES`.
    fn firmware(&self) -> Result<HashMap<i64, String>, ExportError> {
        let table = "DEVICE_ATTRIBUTES";
        let columns = self.columns(table)?;
        let has = |c: &str| columns.iter().any(|x| x.eq_ignore_ascii_case(c));
        let mut newest: HashMap<i64, (i64, String)> = HashMap::new();
        if !(has("DEVICE_ID") && has("FIRMWARE_VERSION1")) {
            return Ok(HashMap::new());
        }
        self.check_no_generated(table)?;
        let valid_from = if has("VALID_FROM_UTC") {
            "\"VALID_FROM_UTC\""
        } else {
            "NULL"
        };
        let sql = format!("SELECT \"DEVICE_ID\", \"FIRMWARE_VERSION1\", {valid_from} FROM {table}");
        let mut read = || -> rusqlite::Result<()> {
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            let mut n = 0usize;
            while let Some(row) = rows.next()? {
                n += 1;
                if n > MAX_DEVICES * 16 {
                    break;
                }
                let (Ok(Some(device)), Ok(Some(version))) =
                    (integer(row.get_ref(0)?), text(row.get_ref(1)?))
                else {
                    continue;
                };
                let from = integer(row.get_ref(2)?).ok().flatten().unwrap_or(i64::MIN);
                let version = version.trim().to_string();
                if version.is_empty() {
                    continue;
                }
                let entry = newest.entry(device).or_insert((from, version.clone()));
                if from >= entry.0 {
                    *entry = (from, version);
                }
            }
            Ok(())
        };
        read().map_err(|e| self.sql_error(e, |e| format!("cannot read table {table}: {e}")))?;
        Ok(newest.into_iter().map(|(id, (_, v))| (id, v)).collect())
    }

    /// The table, if it is one of Gadgetbridge's per-minute activity sample
    /// tables (checked for generated columns).
    fn sample_table(&self, object: &SchemaObject) -> Result<Option<SampleTable>, ExportError> {
        let upper = object.name.to_ascii_uppercase();
        if !(upper.ends_with("ACTIVITY_SAMPLE") || upper == "SONY_SWR12_SAMPLE") {
            return Ok(None);
        }
        // Before the columns: `table_info` does not list generated ones.
        self.check_no_generated(&object.name)?;
        let columns = self.columns(&object.name)?;
        let has = |c: &str| columns.iter().any(|x| x.eq_ignore_ascii_case(c));
        if !(has("TIMESTAMP") && has("DEVICE_ID")) {
            return Ok(None);
        }
        let table = SampleTable {
            name: object.name.clone(),
            steps: has("STEPS"),
            intensity: has("RAW_INTENSITY"),
            heart_rate: has("HEART_RATE"),
            raw_kind: has("RAW_KIND"),
            deep_sleep: has("DEEP_SLEEP"),
            rem_sleep: has("REM_SLEEP"),
        };
        if !(table.steps || table.intensity || table.heart_rate) {
            return Ok(None);
        }
        Ok(Some(table))
    }

    #[allow(clippy::too_many_arguments)]
    fn read_table(
        &self,
        table: &SampleTable,
        devices: &[Device],
        device_index: &HashMap<i64, u32>,
        rows_read: &mut u64,
        seq: &mut u32,
        orphans: &mut u64,
        report: &mut dyn FnMut(u64) -> Result<(), ExportError>,
    ) -> Result<Vec<Minute>, ExportError> {
        let column = |present: bool, name: &str| {
            if present {
                quote(name)
            } else {
                "NULL".to_string()
            }
        };
        // No ORDER BY: a sort would need SQLite's sorter and temporary
        // storage for the whole table; the rows are sorted here instead.
        let sql = format!(
            "SELECT \"TIMESTAMP\", \"DEVICE_ID\", {}, {}, {}, {}, {}, {} FROM {}",
            column(table.steps, "STEPS"),
            column(table.intensity, "RAW_INTENSITY"),
            column(table.heart_rate, "HEART_RATE"),
            column(table.raw_kind, "RAW_KIND"),
            column(table.deep_sleep, "DEEP_SLEEP"),
            column(table.rem_sleep, "REM_SLEEP"),
            quote(&table.name),
        );
        let name = table.name.as_str();
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table {name}: {e}")))?;
        let mut rows = stmt
            .query([])
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table {name}: {e}")))?;
        let mut minutes = Vec::new();
        let mut row_no = 0u64;
        while let Some(row) = rows
            .next()
            .map_err(|e| self.sql_error(e, |e| format!("table {name} damaged: {e}")))?
        {
            row_no += 1;
            *rows_read += 1;
            if *rows_read > MAX_ROWS {
                return Err(self.fail(format!(
                    "the sample tables hold more than {MAX_ROWS} rows; more than an export of 32 device-years of minutes"
                )));
            }
            if (*rows_read).is_multiple_of(PROGRESS_EVERY) {
                report(*rows_read)?;
            }
            let at = |message: String| self.at(name, row_no, message);
            let value = |idx: usize, column: &str| -> Result<Option<i64>, ExportError> {
                let v = row.get_ref(idx).map_err(|e| at(e.to_string()))?;
                integer(v).map_err(|what| at(format!("{column} {what}")))
            };
            let utc = value(0, "TIMESTAMP")?.ok_or_else(|| at("TIMESTAMP is empty".into()))?;
            if !PLAUSIBLE_UTC.contains(&utc) {
                return Err(at(format!(
                    "TIMESTAMP {utc} is not a time in the years {PLAUSIBLE_YEARS} (UTC seconds)"
                )));
            }
            let device_id =
                value(1, "DEVICE_ID")?.ok_or_else(|| at("DEVICE_ID is empty".into()))?;
            let steps = value(2, "STEPS")?.filter(|s| *s >= 0);
            if let Some(s) = steps.filter(|s| *s > MAX_STEPS_PER_MINUTE) {
                return Err(at(format!(
                    "STEPS {s} is more than anyone takes in a minute (at most {MAX_STEPS_PER_MINUTE})"
                )));
            }
            let intensity = value(3, "RAW_INTENSITY")?.filter(|i| *i >= 0);
            if let Some(i) = intensity.filter(|i| *i > i64::from(i32::MAX)) {
                return Err(at(format!("RAW_INTENSITY {i} is out of range")));
            }
            let bpm = value(4, "HEART_RATE")?.filter(|b| PLAUSIBLE_BPM.contains(b));
            let raw_kind = value(5, "RAW_KIND")?;
            let deep = value(6, "DEEP_SLEEP")?;
            let rem = value(7, "REM_SLEEP")?;
            let Some(&device) = device_index.get(&device_id) else {
                *orphans += 1;
                continue;
            };
            let family = family(name, &devices[device as usize]);
            *seq = seq.wrapping_add(1);
            minutes.push(Minute {
                device,
                utc,
                seq: *seq,
                steps: steps.map_or(-1, |s| s as i32),
                intensity: intensity.map_or(-1, |i| i as i32),
                bpm: bpm.map_or(0, |b| b as u16),
                kind: raw_kind.map_or(Kind::Other, |raw| kind_of(family, raw, deep, rem)),
            });
        }
        Ok(minutes)
    }

    /// Sets the kind of Pebble minutes from the overlay's sleep spans.
    fn overlay_pebble_sleep(
        &self,
        minutes: &mut [Minute],
        device_index: &HashMap<i64, u32>,
    ) -> Result<(), ExportError> {
        let table = PEBBLE_OVERLAY;
        let columns = self.columns(table)?;
        let has = |c: &str| columns.iter().any(|x| x.eq_ignore_ascii_case(c));
        if !["TIMESTAMP_FROM", "TIMESTAMP_TO", "RAW_KIND", "DEVICE_ID"]
            .iter()
            .all(|c| has(c))
        {
            return Ok(());
        }
        self.check_no_generated(table)?;
        let sql = format!(
            "SELECT \"TIMESTAMP_FROM\", \"TIMESTAMP_TO\", \"RAW_KIND\", \"DEVICE_ID\" FROM {table}"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table {table}: {e}")))?;
        let mut rows = stmt
            .query([])
            .map_err(|e| self.sql_error(e, |e| format!("cannot read table {table}: {e}")))?;
        let mut row_no = 0u64;
        while let Some(row) = rows
            .next()
            .map_err(|e| self.sql_error(e, |e| format!("table {table} damaged: {e}")))?
        {
            row_no += 1;
            if row_no > MAX_ROWS {
                return Err(self.fail(format!("table {table} holds more than {MAX_ROWS} rows")));
            }
            let at = |message: String| self.at(table, row_no, message);
            let value = |idx: usize, column: &str| -> Result<i64, ExportError> {
                let v = row.get_ref(idx).map_err(|e| at(e.to_string()))?;
                integer(v)
                    .map_err(|what| at(format!("{column} {what}")))?
                    .ok_or_else(|| at(format!("{column} is empty")))
            };
            let from = value(0, "TIMESTAMP_FROM")?;
            let to = value(1, "TIMESTAMP_TO")?;
            for (column, t) in [("TIMESTAMP_FROM", from), ("TIMESTAMP_TO", to)] {
                if !PLAUSIBLE_UTC.contains(&t) {
                    return Err(at(format!(
                        "{column} {t} is not a time in the years {PLAUSIBLE_YEARS} (UTC seconds)"
                    )));
                }
            }
            let kind = match value(2, "RAW_KIND")? {
                1 | 3 => Kind::Light,
                2 | 4 => Kind::Deep,
                _ => continue,
            };
            let Some(&device) = device_index.get(&value(3, "DEVICE_ID")?) else {
                continue;
            };
            let first = minutes.partition_point(|m| (m.device, m.utc) < (device, from));
            let last = minutes.partition_point(|m| (m.device, m.utc) < (device, to));
            for minute in &mut minutes[first..last.max(first)] {
                if minute.kind != Kind::NotWorn {
                    minute.kind = kind;
                }
            }
        }
        Ok(())
    }
}

/// How `table`'s raw kinds read for `device`.
fn family(table: &str, device: &Device) -> Family {
    match table.to_ascii_uppercase().as_str() {
        "MI_BAND_ACTIVITY_SAMPLE" => {
            // Mi Band 1's DeviceType is MIBAND (key 10 before Gadgetbridge
            // stored the name).
            let mi_band_1 = if device.type_name.is_empty() {
                device.type_key == Some(10)
            } else {
                device.type_name.eq_ignore_ascii_case("MIBAND")
            };
            if mi_band_1 {
                Family::MiBand1
            } else {
                Family::Huami
            }
        }
        "HUAMI_EXTENDED_ACTIVITY_SAMPLE" => Family::HuamiExtended,
        "PINE_TIME_ACTIVITY_SAMPLE"
        | "BANGLE_JSACTIVITY_SAMPLE"
        | "GARMIN_ACTIVITY_SAMPLE"
        | "XIAOMI_ACTIVITY_SAMPLE"
        | "CMF_ACTIVITY_SAMPLE"
        | "COLMI_ACTIVITY_SAMPLE"
        | "CASIO_GBX100_ACTIVITY_SAMPLE" => Family::ActivityKindCodes,
        _ => Family::NotRead,
    }
}

/// What a raw kind says in `family` (`deep`, `rem`: the extended Huami
/// table's sleep-stage columns).
fn kind_of(family: Family, raw: i64, deep: Option<i64>, rem: Option<i64>) -> Kind {
    match family {
        Family::MiBand1 => match raw {
            5 => Kind::Light,
            4 => Kind::Deep,
            3 | 6 => Kind::NotWorn,
            _ => Kind::Other,
        },
        Family::Huami => {
            if raw == -1 {
                return Kind::Other;
            }
            match raw & 0xf {
                0 | 10 => Kind::Carry,
                9 => Kind::Light,
                11 => Kind::Deep,
                3 | 6 => Kind::NotWorn,
                _ => Kind::Other,
            }
        }
        Family::HuamiExtended => match raw {
            120 => {
                if rem.is_some_and(|r| r & 127 > 55) {
                    Kind::Rem
                } else if deep.is_some_and(|d| d & 127 > 42) {
                    Kind::Deep
                } else {
                    Kind::Light
                }
            }
            115 | 118 => Kind::NotWorn,
            _ => Kind::Other,
        },
        Family::ActivityKindCodes => match raw {
            0x2 => Kind::Light,
            0x4 => Kind::Deep,
            0x0100_0000 => Kind::Rem,
            0x0200_0000 => Kind::Awake,
            0x8 => Kind::NotWorn,
            _ => Kind::Other,
        },
        Family::NotRead => Kind::Other,
    }
}

/// Sorts by device and instant, keeping of rows for the same device and
/// second the last read.
fn sort_and_dedup(minutes: &mut Vec<Minute>) {
    minutes.sort_unstable_by_key(|m| (m.device, m.utc, m.seq));
    let mut kept = 0usize;
    for i in 0..minutes.len() {
        if kept > 0
            && (minutes[kept - 1].device, minutes[kept - 1].utc)
                == (minutes[i].device, minutes[i].utc)
        {
            minutes[kept - 1] = minutes[i];
        } else {
            minutes[kept] = minutes[i];
            kept += 1;
        }
    }
    minutes.truncate(kept);
}

/// Huami's "no change" and "ignore" minutes take the kind of the device's
/// previous minute (rows sorted by device and instant).
fn carry_huami_kinds(minutes: &mut [Minute]) {
    let mut previous: Option<(u32, Kind)> = None;
    for minute in minutes.iter_mut() {
        let last = previous
            .filter(|(device, _)| *device == minute.device)
            .map_or(Kind::Other, |(_, kind)| kind);
        if minute.kind == Kind::Carry {
            minute.kind = last;
        }
        previous = Some((minute.device, minute.kind));
    }
}

/// The samples of one device from its minutes (sorted, one per instant).
fn source_samples(
    device: &Device,
    minutes: &[Minute],
    zone: Tz,
) -> Result<SourceSamples, phr_model::TimeError> {
    let mut samples = SourceSamples {
        source: device.source.clone(),
        ..SourceSamples::default()
    };
    for minute in minutes {
        let at = Stamp::in_zone(minute.utc, zone)?;
        if minute.steps > 0 {
            samples.steps.push(StepCount {
                start: at,
                duration_seconds: MINUTE as u32,
                steps: minute.steps as u32,
            });
        }
        if minute.intensity >= 0 && minute.kind != Kind::NotWorn {
            samples.activity.push(ActivityEpoch {
                at,
                epoch_seconds: MINUTE as u32,
                count: minute.intensity as u32,
            });
        }
        if minute.bpm > 0 {
            samples.heart_rate.push(HeartRate {
                at,
                bpm: minute.bpm,
            });
        }
    }
    samples.sleep = sleep_episodes(minutes, zone)?;
    Ok(samples)
}

fn is_asleep(kind: Kind) -> bool {
    matches!(kind, Kind::Light | Kind::Deep | Kind::Rem)
}

/// Sleep episodes from one device's minutes (see the module documentation).
fn sleep_episodes(minutes: &[Minute], zone: Tz) -> Result<Vec<SleepEpisode>, phr_model::TimeError> {
    let mut spans: Vec<(usize, usize)> = Vec::new(); // first and last asleep minute
    let mut current: Option<(usize, usize)> = None;
    for (i, minute) in minutes.iter().enumerate() {
        if is_asleep(minute.kind) {
            current = match current {
                Some((first, last))
                    if minute.utc - (minutes[last].utc + MINUTE) <= SLEEP_GAP_SECONDS =>
                {
                    Some((first, i))
                }
                other => {
                    spans.extend(other);
                    Some((i, i))
                }
            };
        } else if minute.kind == Kind::NotWorn {
            spans.extend(current.take());
        }
    }
    spans.extend(current);
    let mut episodes = Vec::new();
    for (first, last) in spans {
        let inside = &minutes[first..=last];
        if inside.iter().filter(|m| is_asleep(m.kind)).count() < MIN_SLEEP_MINUTES {
            continue;
        }
        let start = inside[0].utc;
        let end = inside[inside.len() - 1].utc + MINUTE;
        let mut stages: Vec<SleepStageSpan> = Vec::new();
        for (j, minute) in inside.iter().enumerate() {
            let stage = match minute.kind {
                Kind::Light => SleepStage::Light,
                Kind::Deep => SleepStage::Deep,
                Kind::Rem => SleepStage::Rem,
                _ => SleepStage::Awake,
            };
            let offset = (minute.utc - start) as u32;
            let duration = inside
                .get(j + 1)
                .map_or(MINUTE, |next| (next.utc - minute.utc).min(MINUTE))
                as u32;
            match stages.last_mut() {
                Some(previous)
                    if previous.stage == stage
                        && previous.offset_seconds + previous.duration_seconds == offset =>
                {
                    previous.duration_seconds += duration;
                }
                _ => stages.push(SleepStageSpan {
                    offset_seconds: offset,
                    duration_seconds: duration,
                    stage,
                }),
            }
        }
        episodes.push(SleepEpisode {
            start: Stamp::in_zone(start, zone)?,
            end: Stamp::in_zone(end, zone)?,
            is_main: false,
            method: "gadgetbridge".to_string(),
            stages,
        });
    }
    crate::mark_main_sleep(&mut episodes);
    Ok(episodes)
}

/// A whole number, or `None` for SQL NULL; text, a fraction or a blob is
/// an error (`what` follows the column name).
fn integer(value: ValueRef<'_>) -> Result<Option<i64>, String> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(i)),
        ValueRef::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Ok(Some(r as i64)),
        ValueRef::Real(r) => Err(format!("{r} is not a whole number")),
        ValueRef::Text(t) => Err(format!(
            "{:?} is text, not a whole number",
            String::from_utf8_lossy(&t[..t.len().min(40)])
        )),
        ValueRef::Blob(_) => Err("is a blob, not a whole number".into()),
    }
}

/// Text, or `None` for SQL NULL; a number is taken as its text.
fn text(value: ValueRef<'_>) -> Result<Option<String>, String> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => Ok(Some(String::from_utf8_lossy(&t[..t.len().min(256)]).into())),
        ValueRef::Integer(i) => Ok(Some(i.to_string())),
        ValueRef::Real(r) => Ok(Some(r.to_string())),
        ValueRef::Blob(_) => Err("is a blob, not text".into()),
    }
}

/// `name` as an SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn read_schema(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_schema")?;
    let mut rows = stmt.query([])?;
    let mut objects = Vec::new();
    while let Some(row) = rows.next()? {
        let name = match row.get_ref(1)? {
            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
            _ => continue,
        };
        let kind = match row.get_ref(0)? {
            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
            _ => String::new(),
        };
        let sql = match row.get_ref(2)? {
            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
            _ => String::new(),
        };
        objects.push(SchemaObject { kind, name, sql });
    }
    Ok(objects)
}

fn is_gadgetbridge(objects: &[SchemaObject]) -> bool {
    let tables = || objects.iter().filter(|o| o.kind == "table");
    tables().any(|o| o.name.eq_ignore_ascii_case("DEVICE"))
        && tables().any(|o| o.name.to_ascii_uppercase().ends_with("_SAMPLE"))
}

/// Refuses a view, a trigger or a virtual table: each would run SQL of the
/// file's own when read.
fn check_schema(objects: &[SchemaObject]) -> Result<(), String> {
    for object in objects {
        let virtual_table = object.kind == "table"
            && object
                .sql
                .split_whitespace()
                .take(2)
                .any(|w| w.eq_ignore_ascii_case("virtual"));
        if object.kind == "view" || object.kind == "trigger" || virtual_table {
            let what = if virtual_table {
                "virtual table"
            } else {
                object.kind.as_str()
            };
            return Err(format!(
                "not a Gadgetbridge database as Gadgetbridge writes it: it holds a {what} ({:?}); refused",
                object.name
            ));
        }
    }
    Ok(())
}

/// Opens `path` as an untrusted SQLite file (read-only, immutable, its
/// schema untrusted, temporary storage capped), interrupted after
/// `max_steps` SQLite steps.
fn open_guarded(path: &Path, max_steps: u64) -> rusqlite::Result<Connection> {
    phr_untrusted_sqlite::open(path, max_steps)
}
