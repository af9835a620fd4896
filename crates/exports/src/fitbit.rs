//! Fitbit's own data export, as Google Takeout (`Takeout/Fitbit/Global
//! Export Data/`) or Fitbit's older "export your account archive"
//! (`<Name>/user-site-export/`) lays it out: a folder, or a ZIP of one,
//! holding JSON files named after the kind of data and the first day they
//! cover (`steps-2020-01-02.json`; one file covers a day, a month or a
//! year, as the export chose). Only the file name tells the kind, so files
//! are recognised by name wherever they lie in the folder or archive; the
//! folder names (which Takeout has changed over the years) do not matter.
//!
//! Read (every other `<kind>-YYYY-MM-DD.json` file is counted, by kind, in
//! [`Export::skipped`] as `<kind>-*.json` files):
//!
//! - `steps-*.json`: `[{"dateTime":"01/02/20 00:00:00","value":"0"}, …]`,
//!   steps per minute → [`StepCount`] of 60 seconds. Every minute Fitbit
//!   wrote is kept, zeros included: a zero says the tracker counted no steps
//!   in a minute it reported, which a missing minute does not (Fitbit cannot
//!   tell worn-but-still from off-wrist either; neither can we).
//! - `heart_rate-*.json`: `{"dateTime":…, "value":{"bpm":70,"confidence":2}}`
//!   every few seconds → [`HeartRate`]. A reading with confidence 0 (Fitbit's
//!   "no reliable signal") or 0 bpm is left out and counted in
//!   [`Export::skipped`]; confidence 1 to 3 is kept.
//! - `sleep-*.json`: a list of sleep logs (`logId`, `startTime`, `endTime`,
//!   `mainSleep`, `type` `stages` or `classic`, `levels.data` and, for
//!   stages logs, `levels.shortData`) → one [`SleepEpisode`] per log, method
//!   `device`, the main sleep as Fitbit says. Stages: `wake`, `awake` and
//!   `restless` are [`SleepStage::Awake`] (Fitbit counts restless minutes as
//!   awake in a classic log's `minutesAwake`), `light`, `deep`, `rem` their
//!   own stage and `asleep` [`SleepStage::Asleep`]; a level of any other
//!   name is left out of the stages and counted. `shortData` holds the short
//!   wakes (under three minutes) that a stages log's `data` smooths over;
//!   they are laid over the `data` spans, cutting them, as Fitbit's app
//!   draws them, so the stages are in order and never overlap; stages are
//!   cut at the log's `endTime`.
//!
//! **Source**: these files name no device (no serial, no model), so the
//! whole export is one source keyed [`SOURCE_KEY`] (`fitbit:takeout`) and
//! labelled "Fitbit", stable across exports so a later export merges into an
//! earlier one. (The device list some exports carry is not read: its layout
//! varies between export versions and the samples are not tied to a
//! device in it anyway.)
//!
//! **Time**: Fitbit writes the wall-clock time of the account's zone with no
//! offset (`01/02/20 23:10:00`, `2020-01-02T23:10:30.000`). It is resolved
//! in the person's `zone` with [`Stamp::from_local`]: in the repeated hour
//! after a DST change a file that walks through it twice maps to increasing
//! instants. A local time that a DST change skipped never happened: a step
//! minute or heart-rate reading there is left out and counted (Fitbit's
//! minute grid can hold that hour, with nothing in it); a sleep log's start,
//! end or stage there is read with the offset in force before the change,
//! as a clock not yet moved forward would have meant it. Times must lie in
//! the years [`PLAUSIBLE_YEARS`].
//!
//! **Duplicates**: within the export each list is sorted by instant with one
//! sample per instant: of two step minutes the larger count is kept (the
//! same day in two overlapping files), of two heart-rate readings the later
//! in reading order (files in name order, records in file order); a sleep
//! log given twice (the same `logId`) is kept once, the later, and of two
//! episodes that start at the same instant the longer.
//!
//! **Bounds and errors**: the whole input is validated before anything is
//! returned. One JSON file (or archive entry) may hold at most
//! [`MAX_ENTRY_BYTES`]; only one entry is held in memory at a time. Errors
//! name the file (`takeout.zip/Takeout/Fitbit/Global Export
//! Data/steps-2020-01-02.json`) and the record (`record 3`, counted from 1;
//! with the line where the JSON itself does not parse).

use crate::{Export, ExportError, ExportFormat, Progress, SourceSamples};
use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;
use phr_model::{
    HeartRate, NewDevice, SleepEpisode, SleepStage, SleepStageSpan, Stamp, StepCount, TimeError,
    PLAUSIBLE_UTC, PLAUSIBLE_YEARS,
};
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read};
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// The source key of every sample of a Fitbit export (the files name no
/// device, so the account is the source).
pub const SOURCE_KEY: &str = "fitbit:takeout";

/// The most bytes one JSON file or archive entry may hold (256 MiB); a
/// larger one is refused rather than read into memory.
pub const MAX_ENTRY_BYTES: u64 = 256 << 20;

/// Bytes between progress reports.
const PROGRESS_EVERY: u64 = 1 << 20;

/// How deep a folder is walked.
const MAX_DEPTH: usize = 12;

/// The kinds of file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Steps,
    HeartRate,
    Sleep,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Steps => "steps",
            Kind::HeartRate => "heart_rate",
            Kind::Sleep => "sleep",
        }
    }
}

/// `<kind>-YYYY-MM-DD.json` → the kind's name, for any kind.
fn dated_prefix(base_name: &str) -> Option<&str> {
    let stem = base_name.strip_suffix(".json")?;
    let split = stem.len().checked_sub(11)?;
    if !stem.is_char_boundary(split) {
        return None;
    }
    let (prefix, date) = stem.split_at(split);
    let date = date.strip_prefix('-')?;
    let is_date = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let is_name = !prefix.is_empty()
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ');
    (is_date && is_name).then_some(prefix)
}

/// The kind of a file named `<kind>-YYYY-MM-DD.json`.
fn kind_of(base_name: &str) -> Option<Kind> {
    match dated_prefix(base_name)? {
        "steps" => Some(Kind::Steps),
        "heart_rate" => Some(Kind::HeartRate),
        "sleep" => Some(Kind::Sleep),
        _ => None,
    }
}

/// The kind of a file given on its own: by its name (the date may be
/// missing), else by what its first record holds.
fn kind_of_single(names: &[&str], head: &[u8]) -> Option<Kind> {
    for name in names {
        let base = base_name(name);
        if let Some(kind) = kind_of(base) {
            return Some(kind);
        }
        for kind in [Kind::Steps, Kind::HeartRate, Kind::Sleep] {
            if base.starts_with(kind.prefix())
                && base[kind.prefix().len()..].starts_with(['-', '.'])
                && base.ends_with(".json")
            {
                return Some(kind);
            }
        }
    }
    if contains(head, b"\"logId\"") || contains(head, b"\"dateOfSleep\"") {
        Some(Kind::Sleep)
    } else if contains(head, b"\"bpm\"") {
        Some(Kind::HeartRate)
    } else {
        None
    }
}

fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// True when `head` (the first bytes of a file) looks like one of Fitbit's
/// export JSON files: an array whose first record opens with `"dateTime"`
/// (steps, heart rate), `"logId"` or `"dateOfSleep"` (sleep), after an
/// optional byte-order mark and whitespace.
pub fn looks_like_fitbit_json(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let skip_ws = |bytes: &[u8]| -> usize {
        bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len())
    };
    let mut at = skip_ws(text);
    for expected in [b'[', b'{'] {
        if text.get(at) != Some(&expected) {
            return false;
        }
        at += 1;
        at += skip_ws(&text[at..]);
    }
    let rest = &text[at..];
    [&b"\"dateTime\""[..], b"\"logId\"", b"\"dateOfSleep\""]
        .iter()
        .any(|key| rest.starts_with(key))
}

/// True when the folder at `path` holds, at most a few levels down, a
/// Fitbit export file (`steps-`, `heart_rate-` or `sleep-YYYY-MM-DD.json`),
/// as an unpacked Takeout (`Takeout/Fitbit/Global Export Data/`) or account
/// archive (`<Name>/user-site-export/`) does.
pub fn looks_like_fitbit_takeout_dir(path: &Path) -> bool {
    let mut budget = 20_000usize;
    find_in_dir(path, 0, &mut budget)
}

fn find_in_dir(dir: &Path, depth: usize, budget: &mut usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut folders = Vec::new();
    for entry in entries.flatten() {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            folders.push(entry.path());
        } else if file_type.is_file() && entry.file_name().to_str().and_then(kind_of).is_some() {
            return true;
        }
    }
    folders
        .iter()
        .any(|folder| find_in_dir(folder, depth + 1, budget))
}

/// True when `path` is a ZIP archive (a Google Takeout or Fitbit account
/// archive) with an entry named like a Fitbit export file
/// (`Takeout/Fitbit/Global Export Data/steps-2020-01-02.json`, …).
pub fn zip_has_fitbit(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(archive) = zip::ZipArchive::new(BufReader::new(file)) else {
        return false;
    };
    let found = archive
        .file_names()
        .any(|name| kind_of(base_name(name)).is_some());
    found
}

/// Reads the Fitbit export at `path` (`file` names it in errors) in the
/// person's `zone`: one JSON file (`steps-…`, `heart_rate-…` or
/// `sleep-….json`), a folder (walked, every such file read) or a ZIP
/// archive of one. `progress` gets the bytes of JSON read so far.
pub fn read_fitbit(
    path: &Path,
    file: &str,
    zone: Tz,
    progress: Progress,
) -> Result<Export, ExportError> {
    let cannot = |e: &dyn std::fmt::Display| ExportError::File {
        file: file.to_string(),
        message: format!("cannot read: {e}"),
    };
    let metadata = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    let mut reader = Reader::new(zone, progress);
    if metadata.is_dir() {
        let mut found = Vec::new();
        walk(path, Path::new(""), 0, &mut found).map_err(|e| cannot(&e))?;
        found.sort();
        for (relative, full) in found {
            let name = format!("{file}/{relative}");
            match kind_of(base_name(&relative)) {
                Some(kind) => {
                    let opened = std::fs::File::open(&full).map_err(|e| ExportError::File {
                        file: name.clone(),
                        message: format!("cannot read: {e}"),
                    })?;
                    reader.read_entry(opened, &name, kind)?;
                }
                None => reader.skip_file(&relative),
            }
        }
    } else {
        let mut head = [0u8; 512];
        let n_head = {
            let mut opened = std::fs::File::open(path).map_err(|e| cannot(&e))?;
            read_head(&mut opened, &mut head).map_err(|e| cannot(&e))?
        };
        let head = &head[..n_head];
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            reader.read_zip(path, file)?;
        } else {
            let path_name = path.to_string_lossy();
            let kind = kind_of_single(&[&path_name, file], head).ok_or_else(|| not_fitbit(file))?;
            let opened = std::fs::File::open(path).map_err(|e| cannot(&e))?;
            reader.read_entry(opened, file, kind)?;
        }
    }
    if reader.n_files == 0 {
        return Err(ExportError::File {
            file: file.to_string(),
            message: "no Fitbit steps-, heart_rate- or sleep-YYYY-MM-DD.json file in it"
                .to_string(),
        });
    }
    let _ = (reader.progress)(reader.done);
    Ok(reader.finish())
}

/// Parses one Fitbit export JSON file held in memory (`bytes`, at most
/// [`MAX_ENTRY_BYTES`]) in the person's `zone`; `file` names it in errors
/// and, by its name (`steps-…`, `heart_rate-…`, `sleep-….json`), says
/// which kind it is, else its first record does (sleep logs and heart-rate
/// readings can be told apart from their fields; steps need the name).
pub fn parse_fitbit_json(bytes: &[u8], file: &str, zone: Tz) -> Result<Export, ExportError> {
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Err(too_large(file));
    }
    let head = &bytes[..bytes.len().min(512)];
    let kind = kind_of_single(&[file], head).ok_or_else(|| not_fitbit(file))?;
    let mut report = |_: u64| ControlFlow::Continue(());
    let mut reader = Reader::new(zone, &mut report);
    reader.read_entry(bytes, file, kind)?;
    Ok(reader.finish())
}

fn not_fitbit(file: &str) -> ExportError {
    ExportError::File {
        file: file.to_string(),
        message: "not a Fitbit export file: expected a steps-, heart_rate- or \
                  sleep-YYYY-MM-DD.json file, a folder or a ZIP of them"
            .to_string(),
    }
}

fn read_head(reader: &mut impl Read, head: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Files under `dir`, as (path relative to the top with `/`, full path);
/// symbolic links are not followed.
fn walk(
    dir: &Path,
    relative: &Path,
    depth: usize,
    found: &mut Vec<(String, PathBuf)>,
) -> std::io::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let relative = relative.join(entry.file_name());
        if file_type.is_dir() {
            walk(&entry.path(), &relative, depth + 1, found)?;
        } else if file_type.is_file() {
            let shown = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            found.push((shown, entry.path()));
        }
    }
    Ok(())
}

/// One step minute, as written.
#[derive(Deserialize)]
struct StepRecord {
    #[serde(rename = "dateTime")]
    date_time: String,
    value: serde_json::Value,
}

/// One heart-rate reading, as written.
#[derive(Deserialize)]
struct HeartRecord {
    #[serde(rename = "dateTime")]
    date_time: String,
    value: HeartValue,
}

#[derive(Deserialize)]
struct HeartValue {
    bpm: serde_json::Value,
    confidence: Option<serde_json::Value>,
}

/// One sleep log, as written (the fields read).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SleepLog {
    log_id: Option<i64>,
    start_time: String,
    end_time: String,
    main_sleep: Option<bool>,
    levels: Option<Levels>,
}

#[derive(Deserialize)]
struct Levels {
    data: Option<Vec<LevelSpan>>,
    #[serde(rename = "shortData")]
    short_data: Option<Vec<LevelSpan>>,
}

#[derive(Deserialize)]
struct LevelSpan {
    #[serde(rename = "dateTime")]
    date_time: String,
    level: String,
    seconds: u64,
}

/// What a whole read gathers.
struct Reader<'q> {
    zone: Tz,
    progress: Progress<'q>,
    done: u64,
    steps: Vec<StepCount>,
    heart_rate: Vec<HeartRate>,
    /// (log id, episode), in reading order.
    sleep: Vec<(Option<i64>, SleepEpisode)>,
    skipped: BTreeMap<String, u64>,
    n_files: u64,
}

impl<'q> Reader<'q> {
    fn new(zone: Tz, progress: Progress<'q>) -> Self {
        Reader {
            zone,
            progress,
            done: 0,
            steps: Vec::new(),
            heart_rate: Vec::new(),
            sleep: Vec::new(),
            skipped: BTreeMap::new(),
            n_files: 0,
        }
    }

    fn skip(&mut self, what: String) {
        *self.skipped.entry(what).or_default() += 1;
    }

    fn skip_file(&mut self, relative: &str) {
        if let Some(prefix) = dated_prefix(base_name(relative)) {
            self.skip(format!("{prefix}-*.json files"));
        }
    }

    fn read_zip(&mut self, path: &Path, file: &str) -> Result<(), ExportError> {
        let opened = std::fs::File::open(path).map_err(|e| ExportError::File {
            file: file.to_string(),
            message: format!("cannot read: {e}"),
        })?;
        let mut archive =
            zip::ZipArchive::new(BufReader::new(opened)).map_err(|e| ExportError::File {
                file: file.to_string(),
                message: format!("not a readable ZIP archive: {e}"),
            })?;
        let mut entries: Vec<(String, usize)> = (0..archive.len())
            .filter_map(|index| Some((archive.name_for_index(index)?.to_string(), index)))
            .filter(|(name, _)| !name.ends_with('/'))
            .collect();
        entries.sort();
        for (entry_name, index) in entries {
            let Some(kind) = kind_of(base_name(&entry_name)) else {
                self.skip_file(&entry_name);
                continue;
            };
            let name = format!("{file}/{entry_name}");
            let entry = archive.by_index(index).map_err(|e| ExportError::File {
                file: name.clone(),
                message: format!("cannot read: {e}"),
            })?;
            if entry.size() > MAX_ENTRY_BYTES {
                return Err(too_large(&name));
            }
            self.read_entry(entry, &name, kind)?;
        }
        Ok(())
    }

    /// Reads one JSON file or entry whole (at most [`MAX_ENTRY_BYTES`]) and
    /// parses it.
    fn read_entry(&mut self, source: impl Read, name: &str, kind: Kind) -> Result<(), ExportError> {
        let mut bytes = Vec::new();
        let mut limited = source.take(MAX_ENTRY_BYTES + 1);
        let mut chunk = vec![0u8; 1 << 16];
        let mut since_report = 0u64;
        loop {
            let n = match limited.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ExportError::File {
                        file: name.to_string(),
                        message: format!("cannot read: {e}"),
                    })
                }
            };
            bytes.extend_from_slice(&chunk[..n]);
            if bytes.len() as u64 > MAX_ENTRY_BYTES {
                return Err(too_large(name));
            }
            self.done += n as u64;
            since_report += n as u64;
            if since_report >= PROGRESS_EVERY {
                since_report = 0;
                self.report(name)?;
            }
        }
        self.report(name)?;
        self.n_files += 1;
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        match kind {
            Kind::Steps => self.parse_steps(text, name),
            Kind::HeartRate => self.parse_heart_rate(text, name),
            Kind::Sleep => self.parse_sleep(text, name),
        }
    }

    fn report(&mut self, name: &str) -> Result<(), ExportError> {
        match (self.progress)(self.done) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(ExportError::Cancelled {
                file: name.to_string(),
            }),
        }
    }

    fn parse_steps(&mut self, text: &[u8], name: &str) -> Result<(), ExportError> {
        let zone = self.zone;
        let mut previous: Option<Stamp> = None;
        let mut in_gap = 0u64;
        let steps = &mut self.steps;
        for_each_record(text, name, |record: StepRecord| {
            let local = parse_minute_time(&record.date_time)?;
            let count = whole_number(&record.value, "steps value")?;
            let count =
                u32::try_from(count).map_err(|_| format!("steps value {count} is out of range"))?;
            let Some(start) = resolve_or_gap(local, zone, previous)? else {
                in_gap += 1;
                return Ok(());
            };
            previous = Some(start);
            steps.push(StepCount {
                start,
                duration_seconds: 60,
                steps: count,
            });
            Ok(())
        })?;
        if in_gap > 0 {
            *self
                .skipped
                .entry("steps at a local time skipped by a DST change".to_string())
                .or_default() += in_gap;
        }
        Ok(())
    }

    fn parse_heart_rate(&mut self, text: &[u8], name: &str) -> Result<(), ExportError> {
        let zone = self.zone;
        let mut previous: Option<Stamp> = None;
        let (mut in_gap, mut no_confidence, mut zero_bpm) = (0u64, 0u64, 0u64);
        let heart_rate = &mut self.heart_rate;
        for_each_record(text, name, |record: HeartRecord| {
            let local = parse_minute_time(&record.date_time)?;
            let bpm = whole_number(&record.value.bpm, "bpm")?;
            let bpm = u16::try_from(bpm).map_err(|_| format!("bpm {bpm} is out of range"))?;
            let confidence = match &record.value.confidence {
                None | Some(serde_json::Value::Null) => None,
                Some(value) => Some(whole_number(value, "confidence")?),
            };
            let Some(at) = resolve_or_gap(local, zone, previous)? else {
                in_gap += 1;
                return Ok(());
            };
            previous = Some(at);
            if confidence == Some(0) {
                no_confidence += 1;
            } else if bpm == 0 {
                zero_bpm += 1;
            } else {
                heart_rate.push(HeartRate { at, bpm });
            }
            Ok(())
        })?;
        for (what, n) in [
            ("heart_rate at a local time skipped by a DST change", in_gap),
            ("heart_rate with confidence 0", no_confidence),
            ("heart_rate of 0 bpm", zero_bpm),
        ] {
            if n > 0 {
                *self.skipped.entry(what.to_string()).or_default() += n;
            }
        }
        Ok(())
    }

    fn parse_sleep(&mut self, text: &[u8], name: &str) -> Result<(), ExportError> {
        let zone = self.zone;
        let mut unknown_levels: BTreeMap<String, u64> = BTreeMap::new();
        let sleep = &mut self.sleep;
        for_each_record(text, name, |log: SleepLog| {
            let episode = sleep_episode(&log, zone, &mut unknown_levels)?;
            sleep.push((log.log_id, episode));
            Ok(())
        })?;
        for (level, n) in unknown_levels {
            *self
                .skipped
                .entry(format!("sleep level {level}"))
                .or_default() += n;
        }
        Ok(())
    }

    fn finish(self) -> Export {
        let mut steps = self.steps;
        // Stable: equal instants stay in reading order.
        steps.sort_by_key(|step| step.start.utc);
        let mut kept_steps: Vec<StepCount> = Vec::with_capacity(steps.len());
        for step in steps {
            match kept_steps.last_mut() {
                Some(last) if last.start.utc == step.start.utc => {
                    if step.steps > last.steps {
                        *last = step;
                    }
                }
                _ => kept_steps.push(step),
            }
        }

        let mut heart_rate = self.heart_rate;
        heart_rate.sort_by_key(|reading| reading.at.utc);
        let mut kept_heart: Vec<HeartRate> = Vec::with_capacity(heart_rate.len());
        for reading in heart_rate {
            match kept_heart.last_mut() {
                Some(last) if last.at.utc == reading.at.utc => *last = reading,
                _ => kept_heart.push(reading),
            }
        }

        // One episode per log id, the later read.
        let mut by_log: HashMap<i64, usize> = HashMap::new();
        let mut episodes: Vec<Option<SleepEpisode>> = Vec::with_capacity(self.sleep.len());
        for (log_id, episode) in self.sleep {
            if let Some(log_id) = log_id {
                if let Some(&earlier) = by_log.get(&log_id) {
                    episodes[earlier] = None;
                }
                by_log.insert(log_id, episodes.len());
            }
            episodes.push(Some(episode));
        }
        let mut episodes: Vec<SleepEpisode> = episodes.into_iter().flatten().collect();
        episodes.sort_by_key(|episode| episode.start.utc);
        let mut kept_sleep: Vec<SleepEpisode> = Vec::with_capacity(episodes.len());
        for episode in episodes {
            match kept_sleep.last_mut() {
                Some(last) if last.start.utc == episode.start.utc => {
                    if episode.end.utc >= last.end.utc {
                        *last = episode;
                    }
                }
                _ => kept_sleep.push(episode),
            }
        }

        let source = SourceSamples {
            source: NewDevice {
                source_key: SOURCE_KEY.to_string(),
                label: "Fitbit".to_string(),
                manufacturer: Some("Fitbit".to_string()),
                model: None,
                serial: None,
                firmware: None,
            },
            steps: kept_steps,
            heart_rate: kept_heart,
            activity: Vec::new(),
            sleep: kept_sleep,
        };
        Export {
            format: ExportFormat::FitbitTakeout,
            sources: if source.is_empty() {
                Vec::new()
            } else {
                vec![source]
            },
            skipped: self.skipped.into_iter().collect(),
        }
    }
}

fn too_large(name: &str) -> ExportError {
    ExportError::File {
        file: name.to_string(),
        message: format!(
            "larger than {} MiB, more than a Fitbit export file holds",
            MAX_ENTRY_BYTES >> 20
        ),
    }
}

/// Parses `text` as a JSON array and calls `on_record` with each record in
/// turn; the first failure is returned with its place: `record N` (from 1)
/// for a record that parses as JSON but not as what Fitbit writes, with the
/// line where the JSON does not parse.
fn for_each_record<T: DeserializeOwned>(
    text: &[u8],
    name: &str,
    on_record: impl FnMut(T) -> Result<(), String>,
) -> Result<(), ExportError> {
    let mut state = EachRecord {
        on_record,
        n_done: 0,
        in_array: false,
        finished: false,
        failure: None,
        _record: PhantomData,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let outcome = (&mut state)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match outcome {
        Ok(()) => Ok(()),
        Err(error) => {
            if let Some(message) = state.failure.take() {
                return Err(ExportError::At {
                    file: name.to_string(),
                    place: format!("record {}", state.n_done + 1),
                    message,
                });
            }
            let full = error.to_string();
            let suffix = format!(" at line {} column {}", error.line(), error.column());
            let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
            let in_record = state.in_array && !state.finished;
            let place = if in_record {
                format!("record {} (line {})", state.n_done + 1, error.line())
            } else {
                format!("line {}", error.line().max(1))
            };
            let message = if state.in_array {
                message
            } else {
                format!("{message} (a Fitbit export file is a JSON array of records)")
            };
            Err(ExportError::At {
                file: name.to_string(),
                place,
                message,
            })
        }
    }
}

struct EachRecord<T, F> {
    on_record: F,
    n_done: usize,
    in_array: bool,
    finished: bool,
    failure: Option<String>,
    _record: PhantomData<fn() -> T>,
}

impl<'de, T, F> DeserializeSeed<'de> for &mut EachRecord<T, F>
where
    T: DeserializeOwned,
    F: FnMut(T) -> Result<(), String>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T, F> Visitor<'de> for &mut EachRecord<T, F>
where
    T: DeserializeOwned,
    F: FnMut(T) -> Result<(), String>,
{
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON array of Fitbit records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.in_array = true;
        while let Some(record) = seq.next_element::<T>()? {
            if let Err(message) = (self.on_record)(record) {
                self.failure = Some(message);
                return Err(A::Error::custom("record rejected"));
            }
            self.n_done += 1;
        }
        self.finished = true;
        Ok(())
    }
}

/// A whole number written as a JSON number or a string of digits.
fn whole_number(value: &serde_json::Value, what: &str) -> Result<u64, String> {
    let parsed = match value {
        serde_json::Value::Number(number) => number.as_u64(),
        serde_json::Value::String(text) => text.trim().parse::<u64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| format!("{what} {value} is not a whole number"))
}

/// Fitbit's minute-file time, `MM/DD/YY HH:MM:SS` (the API's ISO form is
/// taken too).
fn parse_minute_time(text: &str) -> Result<NaiveDateTime, String> {
    let text = text.trim();
    [
        "%m/%d/%y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .ok_or_else(|| format!("dateTime {text:?} is not a time like 01/02/20 23:10:00 (MM/DD/YY)"))
}

/// A sleep log's time, `2020-01-02T23:10:30.000`.
fn parse_sleep_time(text: &str, field: &str) -> Result<NaiveDateTime, String> {
    let text = text.trim();
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .ok_or_else(|| format!("{field} {text:?} is not a time like 2020-01-02T23:10:30.000"))
}

fn plausible(stamp: Stamp, local: NaiveDateTime) -> Result<Stamp, String> {
    if PLAUSIBLE_UTC.contains(&stamp.utc) {
        Ok(stamp)
    } else {
        Err(format!(
            "time {local} is outside the years {PLAUSIBLE_YEARS}"
        ))
    }
}

/// `local` in `zone`, the earlier of a repeated hour unless that is before
/// `previous` (a file walking through the hour twice); `None` for a time a
/// DST change skipped.
fn resolve_or_gap(
    local: NaiveDateTime,
    zone: Tz,
    previous: Option<Stamp>,
) -> Result<Option<Stamp>, String> {
    // `from_local` takes the later instant when the earlier is not after
    // `after`; one second back lets a repeated time keep its instant.
    let after = previous.map(|stamp| stamp.plus_seconds(-1));
    match Stamp::from_local(local, zone, after) {
        Ok(stamp) => plausible(stamp, local).map(Some),
        Err(TimeError::Nonexistent(..)) => Ok(None),
        Err(e) => Err(format!("time {local}: {e}")),
    }
}

/// Like [`resolve_or_gap`], but a time a DST change skipped is read with
/// the offset in force before the change.
fn resolve_lenient(
    local: NaiveDateTime,
    zone: Tz,
    previous: Option<Stamp>,
) -> Result<Stamp, String> {
    if let Some(stamp) = resolve_or_gap(local, zone, previous)? {
        return Ok(stamp);
    }
    // The last offset before the gap: gaps last at most a few hours.
    for hours_back in 1..=48 {
        let earlier = local - Duration::hours(hours_back);
        if let Ok(before) = Stamp::from_local(earlier, zone, None) {
            let utc = local.and_utc().timestamp() - i64::from(before.offset_seconds);
            let stamp = Stamp::in_zone(utc, zone).map_err(|e| format!("time {local}: {e}"))?;
            return plausible(stamp, local);
        }
    }
    Err(format!("time {local} does not exist in {}", zone.name()))
}

fn stage_of(level: &str) -> Option<SleepStage> {
    match level {
        "wake" | "awake" | "restless" => Some(SleepStage::Awake),
        "light" => Some(SleepStage::Light),
        "deep" => Some(SleepStage::Deep),
        "rem" => Some(SleepStage::Rem),
        "asleep" => Some(SleepStage::Asleep),
        _ => None,
    }
}

/// Stage spans as (from, to) seconds after the episode start.
type Span = (i64, i64, SleepStage);

fn sleep_episode(
    log: &SleepLog,
    zone: Tz,
    unknown_levels: &mut BTreeMap<String, u64>,
) -> Result<SleepEpisode, String> {
    let start_local = parse_sleep_time(&log.start_time, "startTime")?;
    let end_local = parse_sleep_time(&log.end_time, "endTime")?;
    let start = resolve_lenient(start_local, zone, None)?;
    let end = resolve_lenient(end_local, zone, Some(start))?;
    if end.utc <= start.utc {
        return Err(format!(
            "endTime {} is not after startTime {}",
            log.end_time, log.start_time
        ));
    }
    let (data, short_data) = match &log.levels {
        Some(levels) => (
            levels.data.as_deref().unwrap_or_default(),
            levels.short_data.as_deref().unwrap_or_default(),
        ),
        None => (&[][..], &[][..]),
    };
    let mut spans = stage_spans(data, "levels.data", start, zone, unknown_levels)?;
    let wakes = stage_spans(short_data, "levels.shortData", start, zone, unknown_levels)?;
    if !wakes.is_empty() {
        spans = lay_over(&spans, &wakes);
    }
    // Stages lie within the episode (Fitbit's end where it ends).
    let length = end.utc - start.utc;
    spans.retain_mut(|span| {
        span.1 = span.1.min(length);
        span.1 > span.0
    });
    let stages = spans
        .into_iter()
        .map(|(from, to, stage)| {
            Ok(SleepStageSpan {
                offset_seconds: u32::try_from(from)
                    .map_err(|_| "a sleep stage lies too far from startTime".to_string())?,
                duration_seconds: u32::try_from(to - from)
                    .map_err(|_| "a sleep stage is too long".to_string())?,
                stage,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(SleepEpisode {
        start,
        end,
        is_main: log.main_sleep.unwrap_or(false),
        method: "device".to_string(),
        stages,
    })
}

/// The spans of `levels.data` or `levels.shortData`, sorted, each cut to
/// begin where the one before ends (they never overlap in what Fitbit
/// writes; should they, the earlier wins), empty ones left out.
fn stage_spans(
    levels: &[LevelSpan],
    field: &str,
    start: Stamp,
    zone: Tz,
    unknown_levels: &mut BTreeMap<String, u64>,
) -> Result<Vec<Span>, String> {
    let mut spans: Vec<Span> = Vec::with_capacity(levels.len());
    let mut previous = start;
    for (index, level) in levels.iter().enumerate() {
        let local = parse_sleep_time(&level.date_time, &format!("{field}[{}].dateTime", index))?;
        let at = resolve_lenient(local, zone, Some(previous))?;
        let from = at.utc - start.utc;
        if from < 0 {
            return Err(format!(
                "{field}[{index}] at {} begins before the sleep's startTime",
                level.date_time
            ));
        }
        let seconds = i64::try_from(level.seconds)
            .ok()
            .filter(|&seconds| seconds <= i64::from(u32::MAX))
            .ok_or_else(|| format!("{field}[{index}].seconds {} is too long", level.seconds))?;
        previous = at;
        match stage_of(&level.level) {
            Some(stage) => spans.push((from, from + seconds, stage)),
            None => *unknown_levels.entry(level.level.clone()).or_default() += 1,
        }
    }
    spans.sort_by_key(|span| span.0);
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    for (from, to, stage) in spans {
        let from = kept.last().map_or(from, |last| from.max(last.1));
        if to > from {
            kept.push((from, to, stage));
        }
    }
    Ok(kept)
}

/// `spans` with `wakes` laid over them: each span cut where a wake lies on
/// it, the wakes added; both sorted and non-overlapping, and so is the
/// result.
fn lay_over(spans: &[Span], wakes: &[Span]) -> Vec<Span> {
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len() + 2 * wakes.len());
    let mut first_wake = 0;
    for &(from, to, stage) in spans {
        while first_wake < wakes.len() && wakes[first_wake].1 <= from {
            first_wake += 1;
        }
        let mut cursor = from;
        for wake in wakes[first_wake..].iter().take_while(|wake| wake.0 < to) {
            if wake.0 > cursor {
                merged.push((cursor, wake.0, stage));
            }
            cursor = cursor.max(wake.1);
        }
        if cursor < to {
            merged.push((cursor, to, stage));
        }
    }
    merged.extend_from_slice(wakes);
    merged.sort_by_key(|span| span.0);
    merged
}
