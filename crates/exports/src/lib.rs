//! Readers for the exports people's own wearables and apps already made:
//! Apple Health (`export.zip` / `export.xml`), a Gadgetbridge database
//! export, a Fitbit / Google Takeout, and Garmin FIT files. Each turns into
//! model samples grouped by the source that recorded them (a watch, a
//! phone, an app), so the vault stores each source apart and a second
//! import of the same or an overlapping export stores nothing twice.
//!
//! Key design choices: every reader validates the **whole** input before
//! returning anything and names the first problem with its place (line,
//! record, table row), so a caller can store a file all or nothing; large
//! exports are streamed, never read whole; progress is reported in bytes
//! (or rows) and a caller may cancel through it. Time zones are each
//! format's own: Apple writes a UTC offset with every date, Gadgetbridge and
//! FIT store UTC seconds, Fitbit writes the local time of the account's
//! zone, which is resolved in the person's zone.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod apple_health;
pub mod fitbit;
pub mod gadgetbridge;
pub mod garmin_fit;

use phr_model::{ActivityEpoch, HeartRate, NewDevice, Samples, SleepEpisode, StepCount};
use std::ops::ControlFlow;

/// The exports this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// Apple Health `export.zip` or its `export.xml`.
    AppleHealth,
    /// A Gadgetbridge database export (SQLite).
    Gadgetbridge,
    /// A Fitbit / Google Takeout: its per-day JSON files, a folder or a ZIP.
    FitbitTakeout,
    /// A Garmin FIT file (monitoring, sleep or activity).
    GarminFit,
}

impl ExportFormat {
    /// Stable lower-case name used in summaries and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::AppleHealth => "apple_health",
            ExportFormat::Gadgetbridge => "gadgetbridge",
            ExportFormat::FitbitTakeout => "fitbit_takeout",
            ExportFormat::GarminFit => "garmin_fit",
        }
    }

    /// What the file is, in words, for messages ("an Apple Health export").
    pub fn description(self) -> &'static str {
        match self {
            ExportFormat::AppleHealth => "an Apple Health export",
            ExportFormat::Gadgetbridge => "a Gadgetbridge database export",
            ExportFormat::FitbitTakeout => "a Fitbit / Google Takeout export",
            ExportFormat::GarminFit => "a Garmin FIT file",
        }
    }
}

/// Everything one export holds, per source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// What the file was.
    pub format: ExportFormat,
    /// One entry per source (device or app) that recorded samples; sources
    /// without samples are left out.
    pub sources: Vec<SourceSamples>,
    /// Records the file holds that the model has no place for, as
    /// (record type, how many), so a summary can say what was left out.
    pub skipped: Vec<(String, u64)>,
}

/// The samples one source recorded, each list sorted by instant with at
/// most one sample per instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSamples {
    /// The source, with a `source_key` stable across exports (so a newer
    /// export of the same watch merges into what an older one stored).
    pub source: NewDevice,
    /// Step intervals.
    pub steps: Vec<StepCount>,
    /// Heart-rate readings.
    pub heart_rate: Vec<HeartRate>,
    /// Activity per epoch, where the source records one (minute intensity).
    pub activity: Vec<ActivityEpoch>,
    /// Sleep episodes with their stages.
    pub sleep: Vec<SleepEpisode>,
}

impl SourceSamples {
    /// The samples as the vault's batches (kinds without samples left out).
    pub fn batches(&self) -> Vec<Samples> {
        Samples::batches(
            self.steps.clone(),
            self.heart_rate.clone(),
            self.activity.clone(),
            self.sleep.clone(),
        )
    }

    /// True when the source recorded nothing this crate reads.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
            && self.heart_rate.is_empty()
            && self.activity.is_empty()
            && self.sleep.is_empty()
    }
}

/// Why an export was rejected, and where.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportError {
    /// A line, record or row that does not parse.
    #[error("{file}, {place}: {message}")]
    At {
        /// The file's name as the user gave it (with the entry inside an
        /// archive, as `export.zip/apple_health_export/export.xml`).
        file: String,
        /// Where in it: `line 12`, `record 40 (HKQuantityTypeIdentifierStepCount)`,
        /// `table MI_BAND_ACTIVITY_SAMPLE, row 3`.
        place: String,
        /// What is wrong with it.
        message: String,
    },
    /// The file as a whole is unusable.
    #[error("{file}: {message}")]
    File {
        /// The file's name as the user gave it.
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// The caller asked to stop (through the progress callback).
    #[error("the import of {file} was cancelled")]
    Cancelled {
        /// The file's name as the user gave it.
        file: String,
    },
}

/// Called with units done (bytes read, or rows for a database); returning
/// `ControlFlow::Break(())` cancels the read with [`ExportError::Cancelled`].
pub type Progress<'a> = &'a mut dyn FnMut(u64) -> ControlFlow<()>;

/// The export at `path`, when it is one this crate reads: told from its
/// content (`head` is its first bytes; a ZIP's entries and a SQLite
/// database's schema are looked at).
pub fn detect(path: &std::path::Path, head: &[u8]) -> Option<ExportFormat> {
    if head.starts_with(ZIP_MAGIC) {
        return if apple_health::zip_entry(path).is_some() {
            Some(ExportFormat::AppleHealth)
        } else if fitbit::zip_has_fitbit(path) {
            Some(ExportFormat::FitbitTakeout)
        } else if garmin_fit::zip_holds_fit(path) {
            Some(ExportFormat::GarminFit)
        } else {
            None
        };
    }
    if head.starts_with(b"SQLite format 3\0") {
        return gadgetbridge::looks_like_gadgetbridge(path).then_some(ExportFormat::Gadgetbridge);
    }
    if apple_health::looks_like_apple_health_xml(head) {
        Some(ExportFormat::AppleHealth)
    } else if garmin_fit::looks_like_fit(head) {
        Some(ExportFormat::GarminFit)
    } else if fitbit::looks_like_fitbit_json(head) {
        Some(ExportFormat::FitbitTakeout)
    } else {
        None
    }
}

/// The first bytes of a ZIP archive (a local file header).
pub const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Reads the export at `path` as `format` (from [`detect`]); `file` names it
/// in errors, times are placed in the person's `zone`.
pub fn read_export(
    path: &std::path::Path,
    file: &str,
    format: ExportFormat,
    zone: chrono_tz::Tz,
    progress: Progress,
) -> Result<Export, ExportError> {
    match format {
        ExportFormat::AppleHealth => apple_health::read_apple_health(path, file, zone, progress),
        ExportFormat::FitbitTakeout => fitbit::read_fitbit(path, file, zone, progress),
        ExportFormat::GarminFit => garmin_fit::read_fit(path, file, zone, progress),
        ExportFormat::Gadgetbridge => gadgetbridge::read_gadgetbridge(path, file, zone, progress),
    }
}

/// The export a folder at `path` holds, when it is one this crate reads: an
/// unpacked Fitbit / Google Takeout.
pub fn detect_folder(path: &std::path::Path) -> Option<ExportFormat> {
    fitbit::looks_like_fitbit_takeout_dir(path).then_some(ExportFormat::FitbitTakeout)
}

/// Marks the longest episode of each noon-to-noon local night as the main
/// sleep; an episode lying wholly between 09:00 and 18:00 local time is a
/// nap and never the main sleep. Every reader of an export whose sleep
/// does not say which episode is the main one uses this rule.
pub(crate) fn mark_main_sleep(episodes: &mut [SleepEpisode]) {
    let seconds_of_day =
        |stamp: phr_model::Stamp| (stamp.utc + i64::from(stamp.offset_seconds)).rem_euclid(86_400);
    let is_nap = |episode: &SleepEpisode| {
        let (start, end) = (seconds_of_day(episode.start), seconds_of_day(episode.end));
        episode.end.utc - episode.start.utc < 9 * 3600
            && (9 * 3600..=18 * 3600).contains(&start)
            && (9 * 3600..=18 * 3600).contains(&end)
            && start <= end
    };
    let mut longest: std::collections::BTreeMap<chrono::NaiveDate, (i64, usize)> =
        std::collections::BTreeMap::new();
    for (i, episode) in episodes.iter().enumerate() {
        if is_nap(episode) {
            continue;
        }
        let night =
            phr_model::Stamp::new(episode.start.utc - 12 * 3600, episode.start.offset_seconds)
                .local_date();
        let length = episode.end.utc - episode.start.utc;
        let entry = longest.entry(night).or_insert((length, i));
        if length > entry.0 {
            *entry = (length, i);
        }
    }
    for (_, i) in longest.into_values() {
        episodes[i].is_main = true;
    }
}
