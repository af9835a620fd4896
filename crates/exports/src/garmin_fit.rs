//! Garmin FIT files: the monitoring ("wellness") files a watch writes all
//! day, and activity files, read with the `fitparser` crate into model
//! samples, one source per device.
//!
//! # What is read
//!
//! | FIT message (profile) | model sample |
//! |---|---|
//! | `file_id` (`manufacturer`, `product`, `serial_number`) | the source: `garmin:<serial>` (`fit-<manufacturer>:<serial>` for other makers; `…:<manufacturer>-<product>` without a serial) |
//! | `device_info` of the file's creator (`software_version`) | the source's firmware |
//! | `monitoring` `steps` (field 3, when `activity_type` is walking or running) | [`StepCount`] per interval |
//! | `monitoring` `heart_rate` | [`HeartRate`] |
//! | `record` `heart_rate` (activity files) | [`HeartRate`] |
//! | `sleep_level` (sleep files) | [`SleepEpisode`] with stages |
//!
//! **Steps.** A monitoring message holds the steps of *its* activity type
//! accumulated since the device's local midnight (the FIT profile:
//! "Accumulated cycles. Maintained by MonitoringReader for each
//! activity_type"), not the steps of an interval. Each count becomes the
//! difference from the previous count of the same activity type and the same
//! local day, over the interval from the previous monitoring message of any
//! type (the device writes one when the activity type changes) to this one.
//! The first count of a day counts from zero, and its interval starts no
//! earlier than that local midnight. That is only right when the day's start
//! was seen: a `monitoring_info` at local midnight (as a daily monitoring
//! file begins), or the stream crossing midnight. A day whose start is not
//! in the files (a file that begins mid-day with no earlier file of that
//! day) loses its first count per activity type, counted in
//! [`Export::skipped`], rather than credit all the day's earlier steps to
//! one interval. A count smaller than the previous one of its day is taken
//! as a reset (the steps since it). Counts carry across the files of one
//! device, taken in time order, so a day split over several files is not
//! counted twice. Steps are read from the raw field, since `fitparser`
//! resolves the field sometimes as `steps` and sometimes as `cycles` (scaled
//! by 2); other activity types (cycling, swimming) count strokes, not steps,
//! and are left out. The daily summary messages (with `duration_min`)
//! repeat the day's totals and are left out. Zero-step intervals are left
//! out; two activity types ending at the same instant are added into one
//! interval.
//!
//! **Time.** FIT stores UTC seconds since 1989-12-31T00:00:00Z; each sample
//! is stamped with [`Stamp::in_zone`] in the person's zone. A
//! `timestamp_16` (the low 16 bits) is expanded against the last full
//! timestamp of any message before it, as the FIT SDK does, and becomes the
//! new reference. Compressed-timestamp headers are expanded by `fitparser`.
//! The device's local day (for the midnight reset of step counts) is taken
//! from `monitoring_info` (`local_timestamp − timestamp`), else from the
//! person's zone.
//!
//! **Sleep.** A device's `sleep_level` messages (sleep files) become
//! [`SleepEpisode`]s (method `device`): consecutive messages form one
//! episode, a gap over 4 hours starts another. Each message gives the
//! level (awake, light, deep, REM) of the span since the message before it,
//! as GarminDB reads them; the first message of an episode opens it, the
//! last closes it; `unmeasurable` spans have no stage. The longest episode
//! of a noon-to-noon night (the person's zone) is the main one. None of the
//! real sample files holds `sleep_level` messages, so this reading is
//! tested on built files only.
//!
//! **Left out** (and counted in [`Export::skipped`]): activity epochs
//! (the monitoring `intensity` is a 0–7 class and `active_time` is
//! cumulative seconds; neither is an activity count), heart rate outside
//! 20..=250 bpm, monitoring messages earlier than one already read for the
//! device (an overlapping file: its counts are not taken twice), and every
//! other message.
//!
//! **One sample per instant**: where a source has two heart-rate readings
//! or two `sleep_level` messages at one instant (overlapping files), the
//! first read wins; files are read in name order. Step intervals starting
//! at one instant are added into one (see above).
//!
//! **Input**: a `.fit` file, a folder of them (searched recursively), or a
//! ZIP holding them (a Garmin Connect export keeps them under
//! `DI_CONNECT/`, partly in ZIPs inside it, which are opened one level
//! deep, each read into memory, at most [`MAX_NESTED_ZIP_BYTES`]). Each FIT file
//! is read whole into memory, at most [`MAX_FIT_BYTES`]; identical files are
//! read once. The whole input is validated first: a damaged file (CRC,
//! truncated, bad message) rejects the input. Progress is reported in bytes
//! of FIT data.
//!
//! **Hostile input.** `fitparser` 0.10 can panic on malformed files (a
//! 64-bit date field overflows its time arithmetic; a message running past
//! the declared data size makes it parse a header unchecked). The reader
//! checks headers, data sizes and 64-bit timestamps itself, and catches a
//! panic inside `fitparser` as an error for the file. `fitparser` also
//! prints `ERROR: field size …` to standard error for a field whose size
//! does not match its type (it then reads it as bytes).

use crate::{Export, ExportError, ExportFormat, Progress, SourceSamples};
use chrono_tz::Tz;
use fitparser::de::{FitObject, FitStreamProcessor};
use fitparser::{FitDataRecord, Value};
use phr_model::{HeartRate, NewDevice, SleepEpisode, SleepStage, SleepStageSpan, Stamp, StepCount};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The largest FIT file read (64 MiB). Real monitoring and activity files
/// are kilobytes to a few megabytes; a file is read whole into memory.
pub const MAX_FIT_BYTES: u64 = 64 * 1024 * 1024;

/// The FIT epoch, 1989-12-31T00:00:00Z, in Unix seconds.
const FIT_EPOCH_UNIX: i64 = 631_065_600;
/// Progress is reported at least every this many bytes.
const PROGRESS_STEP: u64 = 64 * 1024;

// Global message numbers (FIT profile `mesg_num`).
const MESG_FILE_ID: u16 = 0;
const MESG_RECORD: u16 = 20;
const MESG_DEVICE_INFO: u16 = 23;
const MESG_MONITORING: u16 = 55;
const MESG_MONITORING_INFO: u16 = 103;
const MESG_FILE_CREATOR: u16 = 49;
const MESG_SLEEP_LEVEL: u16 = 275;

// Field numbers.
const FIELD_TIMESTAMP: u8 = 253;
const MONITORING_CYCLES: u8 = 3;
const MONITORING_ACTIVITY_TYPE: u8 = 5;
const MONITORING_CURRENT_ACTIVITY_TYPE_INTENSITY: u8 = 24;
const MONITORING_TIMESTAMP_16: u8 = 26;
const MONITORING_HEART_RATE: u8 = 27;
const MONITORING_DURATION_MIN: u8 = 29;
const MONITORING_INFO_LOCAL_TIMESTAMP: u8 = 0;
const RECORD_HEART_RATE: u8 = 3;

// `activity_type` values whose cycles are steps.
const ACTIVITY_RUNNING: u8 = 1;
const ACTIVITY_WALKING: u8 = 6;

// Manufacturers whose serial numbers share Garmin's space.
const MANUFACTURER_GARMIN: u64 = 1;
const MANUFACTURER_DYNASTREAM: u64 = 15;
const MANUFACTURER_DYNASTREAM_OEM: u64 = 13;

const SECONDS_PER_DAY: i64 = 86_400;
/// A gap between `sleep_level` messages longer than this ends an episode.
const MAX_SLEEP_GAP_SECONDS: i64 = 4 * 3600;

/// True when `head` (the first bytes of a file, at least 12) starts with a
/// FIT header: a header size of 12 or 14 and `.FIT` at bytes 8..12.
pub fn looks_like_fit(head: &[u8]) -> bool {
    head.len() >= 12 && matches!(head[0], 12 | 14) && &head[8..12] == b".FIT"
}

/// Reads a FIT file, a folder of FIT files (recursively, `*.fit` in any
/// case) or a ZIP of them, into one [`Export`] with the sources merged by
/// device. `file` names the input in errors (an entry inside it as
/// `file/entry`); `zone` is the person's time zone, for the samples'
/// offsets. Progress is reported in bytes of FIT data read.
pub fn read_fit(
    path: &Path,
    file: &str,
    zone: Tz,
    progress: Progress,
) -> Result<Export, ExportError> {
    let mut reader = Reader::new(zone);
    if path.is_dir() {
        let mut files = Vec::new();
        collect_fit_files(path, &mut files).map_err(|err| file_error(file, err))?;
        files.sort();
        for fit_path in files {
            let shown = match fit_path.strip_prefix(path) {
                Ok(relative) => format!("{file}/{}", relative.display()),
                Err(_) => fit_path.display().to_string(),
            };
            let data = read_bounded(std::fs::File::open(&fit_path), &shown)?;
            reader.add_file(&data, &shown, progress)?;
        }
    } else {
        let mut opened = std::fs::File::open(path).map_err(|err| file_error(file, err))?;
        let mut magic = [0u8; 4];
        let n_magic = opened
            .read(&mut magic)
            .map_err(|err| file_error(file, err))?;
        if magic[..n_magic] == *ZIP_MAGIC {
            read_zip(path, file, &mut reader, progress)?;
        } else {
            let data = read_bounded(std::fs::File::open(path), file)?;
            reader.add_file(&data, file, progress)?;
        }
    }
    Ok(reader.finish())
}

/// True when the ZIP at `path` holds at least one `.fit` entry (as a
/// Garmin Connect export does).
pub fn zip_holds_fit(path: &Path) -> bool {
    let Ok(opened) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(archive) = zip::ZipArchive::new(std::io::BufReader::new(opened)) else {
        return false;
    };
    let holds_fit = archive.file_names().any(is_fit_name);
    holds_fit
}

/// Reads one FIT file held in memory (a chained FIT file, several FIT
/// files one after another, included). `file` names it in errors.
pub fn parse_fit(
    data: &[u8],
    file: &str,
    zone: Tz,
    progress: Progress,
) -> Result<Export, ExportError> {
    let mut reader = Reader::new(zone);
    reader.add_file(data, file, progress)?;
    Ok(reader.finish())
}

fn file_error(file: &str, message: impl std::fmt::Display) -> ExportError {
    ExportError::File {
        file: file.to_string(),
        message: message.to_string(),
    }
}

fn collect_fit_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_fit_files(&path, files)?;
        } else if is_fit_name(&path.to_string_lossy()) {
            files.push(path);
        }
    }
    Ok(())
}

fn is_fit_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".fit")
}

/// The first bytes of a ZIP archive.
const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// Reads a FIT file whole, refusing one larger than [`MAX_FIT_BYTES`].
fn read_bounded(
    opened: std::io::Result<std::fs::File>,
    shown: &str,
) -> Result<Vec<u8>, ExportError> {
    let opened = opened.map_err(|err| file_error(shown, err))?;
    let mut data = Vec::new();
    opened
        .take(MAX_FIT_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|err| file_error(shown, err))?;
    Ok(data)
}

/// The largest ZIP inside a ZIP that is opened (512 MiB): it is read into
/// memory to be opened.
pub const MAX_NESTED_ZIP_BYTES: u64 = 512 * 1024 * 1024;

fn is_zip_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip")
}

/// Reads the `.fit` entries of a ZIP in name order, one at a time.
fn read_zip(
    path: &Path,
    name: &str,
    reader: &mut Reader,
    progress: Progress,
) -> Result<(), ExportError> {
    let opened = std::fs::File::open(path).map_err(|err| file_error(name, err))?;
    let archive = zip::ZipArchive::new(std::io::BufReader::new(opened))
        .map_err(|err| file_error(name, format!("not a readable ZIP: {err}")))?;
    read_archive(archive, name, true, reader, progress)
}

/// The `.fit` entries of an archive, and those of the ZIPs inside it when
/// `open_nested` (Garmin Connect's export keeps its uploaded FIT files in
/// ZIPs inside the export's ZIP).
fn read_archive<R: Read + std::io::Seek>(
    mut archive: zip::ZipArchive<R>,
    name: &str,
    open_nested: bool,
    reader: &mut Reader,
    progress: Progress,
) -> Result<(), ExportError> {
    let mut entries: Vec<(String, usize, bool)> = Vec::new();
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|err| file_error(name, format!("ZIP entry {index}: {err}")))?;
        if entry.is_dir() {
            continue;
        }
        if is_fit_name(entry.name()) {
            entries.push((entry.name().to_string(), index, false));
        } else if open_nested && is_zip_name(entry.name()) {
            entries.push((entry.name().to_string(), index, true));
        }
    }
    entries.sort();
    for (entry_name, index, nested) in entries {
        let shown = format!("{name}/{entry_name}");
        let entry = archive
            .by_index(index)
            .map_err(|err| file_error(&shown, err))?;
        let limit = if nested {
            MAX_NESTED_ZIP_BYTES
        } else {
            MAX_FIT_BYTES
        };
        let mut bytes = Vec::new();
        entry
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| file_error(&shown, err))?;
        if !nested {
            reader.add_file(&bytes, &shown, progress)?;
        } else if bytes.len() as u64 > limit {
            return Err(file_error(
                &shown,
                format!("a ZIP inside the ZIP larger than {limit} bytes is not opened"),
            ));
        } else {
            let inner = zip::ZipArchive::new(std::io::Cursor::new(bytes))
                .map_err(|err| file_error(&shown, format!("not a readable ZIP: {err}")))?;
            read_archive(inner, &shown, false, reader, progress)?;
        }
    }
    Ok(())
}

/// The device a FIT file (or one part of a chained file) came from.
#[derive(Debug, Clone)]
struct Device {
    source: NewDevice,
    serial: Option<u64>,
}

/// What the step conversion needs from the monitoring messages, in file
/// order.
#[derive(Debug, Clone, Copy)]
enum MonitoringEvent {
    /// A `monitoring_info`: its time, the device's local offset and whether
    /// it starts a local day.
    Info {
        at: i64,
        local_offset: Option<i64>,
        at_midnight: bool,
    },
    /// A `monitoring` message at `at` (FIT seconds), with the cumulative
    /// steps of its activity type when it holds some.
    Interval { at: i64, steps: Option<(u8, u32)> },
}

/// One FIT file (one part of a chained file), decoded.
#[derive(Debug)]
struct FitPart {
    device: Device,
    order: usize,
    first_time: Option<i64>,
    monitoring: Vec<MonitoringEvent>,
    /// (FIT seconds, bpm), in file order.
    heart_rate: Vec<(i64, u16)>,
    /// (FIT seconds, `sleep_level` value), in file order.
    sleep_levels: Vec<(i64, u8)>,
}

/// Gathers the parts of every file read, then turns them into samples.
struct Reader {
    zone: Tz,
    parts: Vec<FitPart>,
    skipped: BTreeMap<String, u64>,
    seen_files: HashSet<u64>,
    bytes_done: u64,
    bytes_reported: u64,
}

impl Reader {
    fn new(zone: Tz) -> Self {
        Reader {
            zone,
            parts: Vec::new(),
            skipped: BTreeMap::new(),
            seen_files: HashSet::new(),
            bytes_done: 0,
            bytes_reported: 0,
        }
    }

    fn skip(&mut self, what: &str, n: u64) {
        if n > 0 {
            *self.skipped.entry(what.to_string()).or_insert(0) += n;
        }
    }

    fn report(&mut self, file: &str, progress: Progress, force: bool) -> Result<(), ExportError> {
        if force || self.bytes_done - self.bytes_reported >= PROGRESS_STEP {
            self.bytes_reported = self.bytes_done;
            if let ControlFlow::Break(()) = progress(self.bytes_done) {
                return Err(ExportError::Cancelled {
                    file: file.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Decodes one file's bytes and keeps its parts.
    fn add_file(&mut self, data: &[u8], file: &str, progress: Progress) -> Result<(), ExportError> {
        if data.len() as u64 > MAX_FIT_BYTES {
            return Err(file_error(
                file,
                format!("larger than {MAX_FIT_BYTES} bytes, too large for a FIT file"),
            ));
        }
        if !looks_like_fit(data) {
            return Err(file_error(file, "not a FIT file (no FIT header)"));
        }
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            data.hash(&mut hasher);
            hasher.finish()
        };
        if !self.seen_files.insert(fingerprint) {
            self.skip("duplicate FIT file", 1);
            self.bytes_done += data.len() as u64;
            return self.report(file, progress, true);
        }
        let mut decoder = FileDecoder::new(file, self.parts.len());
        let mut rest = data;
        let mut expect_header = true;
        let mut data_end = 0;
        let mut n_messages: u64 = 0;
        let base = self.bytes_done;
        while !rest.is_empty() {
            let offset = data.len() - rest.len();
            if expect_header {
                data_end = check_header(rest, offset, file)?;
            }
            let (remaining, object) =
                guarded(file, offset, || decoder.processor.deserialize_next(rest))?
                    .map_err(|err| fit_error(file, n_messages + 1, offset, &err))?;
            rest = remaining;
            // A message running past the data size its header gave would
            // make `fitparser` read the bytes after it as a header, unchecked.
            let is_message = matches!(
                object,
                FitObject::DataMessage(_) | FitObject::DefinitionMessage(_)
            );
            if is_message && data.len() - rest.len() > data_end {
                return Err(ExportError::At {
                    file: file.to_string(),
                    place: format!("message {} (byte {offset})", n_messages + 1),
                    message: "the message runs past the end of the FIT data".to_string(),
                });
            }
            match object {
                FitObject::Header(_) => expect_header = false,
                FitObject::Crc(_) => {
                    expect_header = true;
                    decoder.processor.reset();
                    decoder.end_part();
                }
                FitObject::DefinitionMessage(_) => n_messages += 1,
                FitObject::DataMessage(message) => {
                    n_messages += 1;
                    let global = message.global_message_number();
                    let raw: HashMap<u8, Value> = message.fields().clone();
                    // FIT timestamps are 32-bit; `fitparser` 0.10 panics
                    // converting a larger one (a 64-bit field 253).
                    if raw
                        .get(&FIELD_TIMESTAMP)
                        .is_some_and(|value| !fits_u32(value))
                    {
                        return Err(ExportError::At {
                            file: file.to_string(),
                            place: format!("message {n_messages} (byte {offset})"),
                            message: "a timestamp larger than 32 bits".to_string(),
                        });
                    }
                    let record =
                        guarded(file, offset, || decoder.processor.decode_message(message))?
                            .map_err(|err| fit_error(file, n_messages, offset, &err))?;
                    decoder.data_message(global, &raw, &record, n_messages)?;
                }
            }
            self.bytes_done = base + (data.len() - rest.len()) as u64;
            self.report(file, progress, false)?;
        }
        if !expect_header {
            return Err(file_error(
                file,
                "truncated: the FIT data ends before its checksum",
            ));
        }
        let FileDecoder { parts, skipped, .. } = decoder;
        self.parts.extend(parts);
        for (what, n) in skipped {
            self.skip(&what, n);
        }
        self.report(file, progress, true)
    }

    /// Turns every part read into one export, sources merged by device.
    fn finish(mut self) -> Export {
        let mut by_device: BTreeMap<String, Vec<FitPart>> = BTreeMap::new();
        for part in std::mem::take(&mut self.parts) {
            by_device
                .entry(part.device.source.source_key.clone())
                .or_default()
                .push(part);
        }
        let mut sources = Vec::new();
        for (_, mut parts) in by_device {
            parts.sort_by_key(|part| (part.first_time.unwrap_or(i64::MAX), part.order));
            let device = merged_device(&parts);
            let steps = self.steps(&parts);
            let heart_rate = self.heart_rate(&parts);
            let sleep = self.sleep(&parts);
            let samples = SourceSamples {
                source: device,
                steps,
                heart_rate,
                activity: Vec::new(),
                sleep,
            };
            if !samples.is_empty() {
                sources.push(samples);
            }
        }
        Export {
            format: ExportFormat::GarminFit,
            sources,
            skipped: self.skipped.into_iter().collect(),
        }
    }

    fn stamp(&self, fit_seconds: i64) -> Option<Stamp> {
        Stamp::in_zone(fit_seconds + FIT_EPOCH_UNIX, self.zone).ok()
    }

    fn zone_offset(&self, fit_seconds: i64) -> i64 {
        self.stamp(fit_seconds)
            .map_or(0, |stamp| i64::from(stamp.offset_seconds))
    }

    /// Heart rate of one device: valid readings, sorted, the first read of
    /// an instant kept.
    fn heart_rate(&mut self, parts: &[FitPart]) -> Vec<HeartRate> {
        let mut readings: Vec<(i64, u16)> = Vec::new();
        let mut out_of_range = 0;
        for part in parts {
            for &(at, bpm) in &part.heart_rate {
                if (20..=250).contains(&bpm) {
                    readings.push((at, bpm));
                } else {
                    out_of_range += 1;
                }
            }
        }
        self.skip("heart rate outside 20..=250 bpm", out_of_range);
        readings.sort_by_key(|&(at, _)| at); // stable: the first read of an instant stays first
        readings.dedup_by_key(|&mut (at, _)| at);
        readings
            .into_iter()
            .filter_map(|(at, bpm)| {
                Some(HeartRate {
                    at: self.stamp(at)?,
                    bpm,
                })
            })
            .collect()
    }

    /// Sleep episodes of one device from its `sleep_level` messages (see
    /// the module documentation).
    fn sleep(&mut self, parts: &[FitPart]) -> Vec<SleepEpisode> {
        let mut levels: Vec<(i64, u8)> = parts
            .iter()
            .flat_map(|part| part.sleep_levels.iter().copied())
            .collect();
        levels.sort_by_key(|&(at, _)| at); // stable: the first read of an instant stays first
        levels.dedup_by_key(|&mut (at, _)| at);
        let mut runs: Vec<&[(i64, u8)]> = Vec::new();
        let mut run_start = 0;
        for index in 1..=levels.len() {
            if index == levels.len()
                || levels[index].0 - levels[index - 1].0 > MAX_SLEEP_GAP_SECONDS
            {
                runs.push(&levels[run_start..index]);
                run_start = index;
            }
        }
        let mut episodes: Vec<SleepEpisode> = Vec::new();
        let mut lone = 0;
        for run in runs {
            let (Some(&(start, _)), Some(&(end, _))) = (run.first(), run.last()) else {
                continue;
            };
            if run.len() < 2 {
                lone += 1;
                continue;
            }
            let mut stages: Vec<SleepStageSpan> = Vec::new();
            for pair in run.windows(2) {
                let ((from, _), (to, level)) = (pair[0], pair[1]);
                let stage = match level {
                    1 => SleepStage::Awake,
                    2 => SleepStage::Light,
                    3 => SleepStage::Deep,
                    4 => SleepStage::Rem,
                    _ => continue, // unmeasurable or unknown: no stage
                };
                let (Ok(offset_seconds), Ok(duration_seconds)) =
                    (u32::try_from(from - start), u32::try_from(to - from))
                else {
                    continue;
                };
                match stages.last_mut() {
                    Some(last)
                        if last.stage == stage
                            && last.offset_seconds + last.duration_seconds == offset_seconds =>
                    {
                        last.duration_seconds += duration_seconds;
                    }
                    _ => stages.push(SleepStageSpan {
                        offset_seconds,
                        duration_seconds,
                        stage,
                    }),
                }
            }
            let (Some(start), Some(end)) = (self.stamp(start), self.stamp(end)) else {
                continue;
            };
            episodes.push(SleepEpisode {
                start,
                end,
                is_main: false,
                method: "device".to_string(),
                stages,
            });
        }
        self.skip("sleep_level alone (no span)", lone);
        // The main sleep: the longest episode of its noon-to-noon night that
        // is not a daytime nap, as for every export.
        crate::mark_main_sleep(&mut episodes);
        episodes
    }

    /// Step intervals of one device from its cumulative monitoring counts
    /// (see the module documentation).
    fn steps(&mut self, parts: &[FitPart]) -> Vec<StepCount> {
        // activity type → (local day, cumulative steps)
        let mut baselines: HashMap<u8, (i64, u32)> = HashMap::new();
        let mut days_started: HashSet<i64> = HashSet::new();
        let mut local_offset: Option<i64> = None;
        let mut last_time: Option<i64> = None;
        let mut interval_start: Option<i64> = None;
        let mut intervals: BTreeMap<i64, (i64, u32)> = BTreeMap::new(); // start → (end, steps)
        let mut unknown_baseline = 0;
        let mut out_of_order = 0;
        for part in parts {
            let mut last_day_in_part: Option<i64> = None;
            for event in &part.monitoring {
                match *event {
                    MonitoringEvent::Info {
                        at,
                        local_offset: offset,
                        at_midnight,
                    } => {
                        if offset.is_some() {
                            local_offset = offset;
                        }
                        if at_midnight {
                            let offset = local_offset.unwrap_or_else(|| self.zone_offset(at));
                            days_started.insert((at + offset).div_euclid(SECONDS_PER_DAY));
                            if last_time.is_none_or(|last| last < at) {
                                interval_start = Some(at);
                                last_time = Some(at);
                            }
                        }
                    }
                    MonitoringEvent::Interval { at, steps } => {
                        match last_time {
                            Some(last) if at < last => {
                                out_of_order += 1;
                                continue;
                            }
                            Some(last) if at == last => {}
                            _ => {
                                interval_start = last_time;
                                last_time = Some(at);
                            }
                        }
                        let offset = local_offset.unwrap_or_else(|| self.zone_offset(at));
                        // A count at local midnight closes the day before.
                        let day = (at - 1 + offset).div_euclid(SECONDS_PER_DAY);
                        if last_day_in_part.is_some_and(|last_day| last_day < day) {
                            days_started.insert(day);
                        }
                        last_day_in_part = Some(day);
                        let Some((activity_type, cumulative)) = steps else {
                            continue;
                        };
                        let (new_steps, since_midnight) = match baselines.get(&activity_type) {
                            Some(&(baseline_day, previous)) if baseline_day == day => {
                                if cumulative >= previous {
                                    (cumulative - previous, false)
                                } else {
                                    (cumulative, false)
                                }
                            }
                            _ if days_started.contains(&day) => (cumulative, true),
                            _ => {
                                baselines.insert(activity_type, (day, cumulative));
                                unknown_baseline += 1;
                                continue;
                            }
                        };
                        baselines.insert(activity_type, (day, cumulative));
                        if new_steps == 0 {
                            continue;
                        }
                        let midnight = day * SECONDS_PER_DAY - offset;
                        let start = match (interval_start, since_midnight) {
                            (Some(start), true) => start.max(midnight),
                            (Some(start), false) => start,
                            (None, true) => midnight,
                            (None, false) => {
                                unknown_baseline += 1;
                                continue;
                            }
                        };
                        if start >= at {
                            unknown_baseline += 1;
                            continue;
                        }
                        let entry = intervals.entry(start).or_insert((at, 0));
                        entry.0 = entry.0.max(at);
                        entry.1 = entry.1.saturating_add(new_steps);
                    }
                }
            }
        }
        self.skip(
            "monitoring steps whose day began before the file (no baseline)",
            unknown_baseline,
        );
        self.skip("monitoring out of time order", out_of_order);
        intervals
            .into_iter()
            .filter_map(|(start, (end, steps))| {
                Some(StepCount {
                    start: self.stamp(start)?,
                    duration_seconds: u32::try_from(end - start).ok()?,
                    steps,
                })
            })
            .collect()
    }
}

/// The source for a device's parts: the first part's identity, the first
/// firmware found.
fn merged_device(parts: &[FitPart]) -> NewDevice {
    let mut source = parts
        .first()
        .map(|part| part.device.source.clone())
        .unwrap_or_else(|| NewDevice {
            source_key: String::new(),
            label: String::new(),
            manufacturer: None,
            model: None,
            serial: None,
            firmware: None,
        });
    if source.firmware.is_none() {
        source.firmware = parts
            .iter()
            .find_map(|part| part.device.source.firmware.clone());
    }
    source
}

/// Refuses what `fitparser` would mis-read at a header position: a header
/// it could slice past, or a file shorter than its header says. Returns
/// where the header's data ends (before its CRC), from the start of the
/// input.
fn check_header(rest: &[u8], offset: usize, file: &str) -> Result<usize, ExportError> {
    if looks_like_fit(rest) && rest.len() < usize::from(rest[0]) {
        return Err(file_error(
            file,
            format!("truncated: the FIT header at byte {offset} is cut short"),
        ));
    }
    if !looks_like_fit(rest) {
        return Err(if offset == 0 {
            file_error(file, "not a FIT file (no FIT header)")
        } else {
            file_error(
                file,
                format!(
                    "{} bytes after the end of the FIT data at byte {offset} are not a FIT file",
                    rest.len()
                ),
            )
        });
    }
    let data_size = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
    let needed = usize::from(rest[0]) + data_size + 2;
    if rest.len() < needed {
        return Err(file_error(
            file,
            format!(
                "truncated: the FIT header at byte {offset} announces {needed} bytes, {} are left",
                rest.len()
            ),
        ));
    }
    Ok(offset + needed - 2)
}

/// Runs a `fitparser` call, turning a panic inside it (hostile input it
/// does not expect) into an error.
fn guarded<T>(file: &str, offset: usize, call: impl FnOnce() -> T) -> Result<T, ExportError> {
    catch_unwind(AssertUnwindSafe(call)).map_err(|_| {
        file_error(
            file,
            format!("the FIT parser failed on malformed data near byte {offset}"),
        )
    })
}

fn fit_error(file: &str, message: u64, offset: usize, err: &fitparser::Error) -> ExportError {
    match err.as_ref() {
        fitparser::ErrorKind::InvalidCrc(..) => {
            file_error(file, format!("damaged FIT file: {err}"))
        }
        fitparser::ErrorKind::UnexpectedEof(..) => file_error(
            file,
            format!("truncated FIT file at message {message}: {err}"),
        ),
        _ => ExportError::At {
            file: file.to_string(),
            place: format!("message {message} (byte {offset})"),
            message: err.to_string(),
        },
    }
}

/// A raw unsigned field value, as the file stores it.
fn raw_unsigned(value: &Value) -> Option<u64> {
    match *value {
        Value::Byte(v) | Value::Enum(v) | Value::UInt8(v) | Value::UInt8z(v) => Some(v.into()),
        Value::UInt16(v) | Value::UInt16z(v) => Some(v.into()),
        Value::UInt32(v) | Value::UInt32z(v) => Some(v.into()),
        Value::UInt64(v) | Value::UInt64z(v) => Some(v),
        _ => None,
    }
}

/// True for a raw integer value that fits 32 unsigned bits.
fn fits_u32(value: &Value) -> bool {
    match *value {
        Value::UInt64(v) | Value::UInt64z(v) => v <= u64::from(u32::MAX),
        Value::SInt64(v) => (0..=i64::from(u32::MAX)).contains(&v),
        Value::Array(_) => false,
        _ => true,
    }
}

/// A decoded field by number.
fn decoded(record: &FitDataRecord, number: u8) -> Option<&Value> {
    record
        .fields()
        .iter()
        .find(|field| field.number() == number)
        .map(|field| field.value())
}

/// The record's full timestamp (field 253, or the one `fitparser` expanded
/// from a compressed header), in FIT seconds.
fn timestamp(record: &FitDataRecord) -> Option<i64> {
    match decoded(record, FIELD_TIMESTAMP)? {
        Value::Timestamp(at) => Some(at.timestamp() - FIT_EPOCH_UNIX),
        _ => None,
    }
}

/// Decodes one file, message by message.
struct FileDecoder {
    file: String,
    processor: FitStreamProcessor,
    order: usize,
    parts: Vec<FitPart>,
    current: Option<FitPart>,
    previous_device: Option<Device>,
    last_timestamp: Option<i64>,
    skipped: BTreeMap<String, u64>,
}

impl FileDecoder {
    fn new(file: &str, order: usize) -> Self {
        FileDecoder {
            file: file.to_string(),
            processor: FitStreamProcessor::new(),
            order,
            parts: Vec::new(),
            current: None,
            previous_device: None,
            last_timestamp: None,
            skipped: BTreeMap::new(),
        }
    }

    /// An empty part of `device`, ordered after the parts read before it.
    fn new_part(&self, device: Device) -> FitPart {
        FitPart {
            device,
            order: self.order + self.parts.len(),
            first_time: None,
            monitoring: Vec::new(),
            heart_rate: Vec::new(),
            sleep_levels: Vec::new(),
        }
    }

    /// The end of one FIT file of a chain. The next one, if it has no
    /// `file_id` of its own, continues the same device's recording.
    fn end_part(&mut self) {
        if let Some(part) = self.current.take() {
            self.previous_device = Some(part.device.clone());
            self.parts.push(part);
        }
        self.last_timestamp = None;
    }

    fn data_message(
        &mut self,
        global: u16,
        raw: &HashMap<u8, Value>,
        record: &FitDataRecord,
        n_message: u64,
    ) -> Result<(), ExportError> {
        let full_timestamp = timestamp(record);
        if let Some(at) = full_timestamp {
            self.last_timestamp = Some(at);
        }
        if global == MESG_FILE_ID {
            self.end_part_keep_time();
            self.current = Some(self.new_part(device_of(raw, record)));
            return Ok(());
        }
        if self.current.is_none() {
            if let Some(device) = self.previous_device.clone() {
                self.current = Some(self.new_part(device));
            }
        }
        let Some(part) = self.current.as_mut() else {
            return Err(ExportError::At {
                file: self.file.clone(),
                place: format!("message {n_message}"),
                message: format!("a {} message before any file_id", record.kind()),
            });
        };
        match global {
            MESG_DEVICE_INFO | MESG_FILE_CREATOR => {
                if global == MESG_DEVICE_INFO && part.device.source.firmware.is_none() {
                    let serial = raw.get(&3).and_then(raw_unsigned);
                    let index = raw.get(&0).and_then(raw_unsigned);
                    let is_creator =
                        index == Some(0) || (serial.is_some() && serial == part.device.serial);
                    if is_creator {
                        part.device.source.firmware = decoded(record, 5)
                            .filter(|value| !matches!(value, Value::Invalid))
                            .map(|value| value.to_string());
                    }
                }
            }
            MESG_MONITORING_INFO => {
                let Some(at) = full_timestamp else {
                    count(
                        &mut self.skipped,
                        "monitoring_info without a timestamp".to_string(),
                    );
                    return Ok(());
                };
                let local = raw
                    .get(&MONITORING_INFO_LOCAL_TIMESTAMP)
                    .and_then(raw_unsigned)
                    .map(|local| local as i64);
                let local_offset = local
                    .map(|local| local - at)
                    .filter(|offset| offset.abs() <= 18 * 3600);
                part.first_time.get_or_insert(at);
                part.monitoring.push(MonitoringEvent::Info {
                    at,
                    local_offset,
                    at_midnight: local_offset.is_some()
                        && local.is_some_and(|local| local % SECONDS_PER_DAY == 0),
                });
            }
            MESG_MONITORING => {
                if raw.contains_key(&MONITORING_DURATION_MIN) {
                    count(&mut self.skipped, "monitoring daily summary".to_string());
                    return Ok(());
                }
                let at = match (full_timestamp, raw.get(&MONITORING_TIMESTAMP_16)) {
                    (Some(at), _) => at,
                    (None, Some(short)) => {
                        let (Some(short), Some(last)) = (raw_unsigned(short), self.last_timestamp)
                        else {
                            count(
                                &mut self.skipped,
                                "monitoring without a full timestamp before it".to_string(),
                            );
                            return Ok(());
                        };
                        let at = last + ((short as i64 - (last & 0xFFFF)) & 0xFFFF);
                        self.last_timestamp = Some(at);
                        at
                    }
                    (None, None) => {
                        count(
                            &mut self.skipped,
                            "monitoring without a timestamp".to_string(),
                        );
                        return Ok(());
                    }
                };
                part.first_time.get_or_insert(at);
                let activity_type = raw
                    .get(&MONITORING_ACTIVITY_TYPE)
                    .and_then(raw_unsigned)
                    .or_else(|| {
                        raw.get(&MONITORING_CURRENT_ACTIVITY_TYPE_INTENSITY)
                            .and_then(raw_unsigned)
                            .map(|packed| packed & 0x1F)
                    });
                let cycles = raw.get(&MONITORING_CYCLES).and_then(raw_unsigned);
                let steps = match (activity_type, cycles) {
                    (Some(kind), Some(cycles))
                        if kind == u64::from(ACTIVITY_WALKING)
                            || kind == u64::from(ACTIVITY_RUNNING) =>
                    {
                        u32::try_from(cycles)
                            .ok()
                            .map(|cycles| (kind as u8, cycles))
                    }
                    (_, Some(_)) => {
                        count(
                            &mut self.skipped,
                            "monitoring cycles of other activities (not steps)".to_string(),
                        );
                        None
                    }
                    _ => None,
                };
                part.monitoring
                    .push(MonitoringEvent::Interval { at, steps });
                if let Some(bpm) = raw.get(&MONITORING_HEART_RATE).and_then(raw_unsigned) {
                    part.heart_rate
                        .push((at, bpm.min(u64::from(u16::MAX)) as u16));
                }
            }
            MESG_SLEEP_LEVEL => {
                let level = raw.get(&0).and_then(raw_unsigned);
                match (full_timestamp, level) {
                    (Some(at), Some(level)) => {
                        part.first_time.get_or_insert(at);
                        part.sleep_levels
                            .push((at, level.min(u64::from(u8::MAX)) as u8));
                    }
                    _ => count(
                        &mut self.skipped,
                        "sleep_level without a timestamp or level".to_string(),
                    ),
                }
            }
            MESG_RECORD => {
                let heart_rate = raw.get(&RECORD_HEART_RATE).and_then(raw_unsigned);
                match (full_timestamp, heart_rate) {
                    (Some(at), Some(bpm)) => {
                        part.first_time.get_or_insert(at);
                        part.heart_rate
                            .push((at, bpm.min(u64::from(u16::MAX)) as u16));
                    }
                    (None, Some(_)) => {
                        count(&mut self.skipped, "record without a timestamp".to_string())
                    }
                    _ => {}
                }
            }
            _ => count(&mut self.skipped, record.kind().to_string()),
        }
        Ok(())
    }

    /// A new `file_id` inside one FIT file's data starts a new part but
    /// keeps the time reference.
    fn end_part_keep_time(&mut self) {
        if let Some(part) = self.current.take() {
            self.parts.push(part);
        }
    }
}

fn count(skipped: &mut BTreeMap<String, u64>, what: String) {
    *skipped.entry(what).or_insert(0) += 1;
}

/// The source named by a `file_id` message.
fn device_of(raw: &HashMap<u8, Value>, record: &FitDataRecord) -> Device {
    let manufacturer_number = raw.get(&1).and_then(raw_unsigned);
    let product_number = raw.get(&2).and_then(raw_unsigned);
    let serial = raw.get(&3).and_then(raw_unsigned);
    let name_of = |number: u8| {
        decoded(record, number).and_then(|value| match value {
            Value::String(name) => Some(name.clone()),
            Value::Invalid => None,
            other => Some(other.to_string()),
        })
    };
    let manufacturer = name_of(1);
    let model = name_of(2);
    let garmin_space = manufacturer_number.is_none_or(|number| {
        matches!(
            number,
            MANUFACTURER_GARMIN | MANUFACTURER_DYNASTREAM | MANUFACTURER_DYNASTREAM_OEM
        )
    });
    let prefix = if garmin_space {
        "garmin".to_string()
    } else {
        format!(
            "fit-{}",
            manufacturer
                .clone()
                .unwrap_or_else(|| "unknown".to_string())
        )
    };
    let source_key = match serial {
        Some(serial) => format!("{prefix}:{serial}"),
        None => format!(
            "{prefix}:{}-{}",
            manufacturer_number.map_or("unknown".to_string(), |n| n.to_string()),
            product_number.map_or("unknown".to_string(), |n| n.to_string())
        ),
    };
    let maker = match manufacturer.as_deref() {
        Some("garmin") | None => "Garmin".to_string(),
        Some(other) => other.to_string(),
    };
    let label = match &model {
        Some(model) => format!("{maker} {model}"),
        None => format!("{maker} device"),
    };
    Device {
        source: NewDevice {
            source_key,
            label,
            manufacturer,
            model,
            serial: serial.map(|serial| serial.to_string()),
            firmware: None,
        },
        serial,
    }
}
