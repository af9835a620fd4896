//! The façade every front end calls: the `phr` command line and the Tauri
//! app both go through [`Phr`], so a script can do whatever the app does.
//!
//! Key design choices: the façade owns orchestration (which person, which
//! source, which audit entry) and returns plain serializable DTOs; it never
//! prints, prompts or reads the clock (today's date is passed in), so it can
//! be driven from a terminal, an IPC channel or a test alike. Errors are one
//! [`ApiError`] with a stable [`ErrorCode`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod analyze;
mod app;
mod care;
mod devices;
mod error;
mod export;
mod files;
mod keys;
mod other_apps;
mod report;
mod share;
mod steps;

pub use analyze::{
    analyze_recording, wall_clock_grid, ActigraphyReport, ColeKripkeDto, CompletenessDto,
    MetricsDto, NightDto, WeekDto,
};
pub use app::{
    actogram_grid, check_demo_days, default_demo_vault_path, source_devices_of, sync_failure,
    ActogramDto, AppSettings, Dashboard, DayFraction, DaySteps, DeviceListing, DeviceSummary,
    DEFAULT_AUTO_LOCK_MINUTES, MAX_AUTO_LOCK_MINUTES, MAX_DEMO_DAYS, MIN_AUTO_LOCK_MINUTES,
};
pub use care::{
    apply_alert_settings, evaluate_alert_rules, evaluate_alert_rules_on_recordings,
    Acknowledgement, AlertDto, AlertEvaluation, CaredPerson, NightWindow, RealAlertEvaluation,
};
pub(crate) use devices::BATTERY_NAMESPACE;
pub use devices::{
    scan_devices, FoundDevice, HeartRateReading, LiveHeartRate, PairedDevice, SyncSummary,
    SyncTiming,
};
pub use error::{ApiError, ErrorCode, Result};
pub use export::CsvKind;
pub use files::{write_atomically, WriteOptions};
pub use keys::{es384_jwk, generate_es384_key, private_key_pem, read_private_key};
pub use phr_care::AlertSettings;
pub use phr_import::FileFormat;
pub use phr_model::{Device, Lang, Person, PersonId};
pub use phr_report::ReportInput;
pub use phr_wearables::{Clock, LinkFaults, Protocol, SystemClock};
pub use report::{RenderedReport, ReportFormat};
pub use share::{
    check_recipient_url, redact_url, redact_urls, Preview, RecipientAuth, Selection, ShareRecord,
    ShareType,
};

use chrono::NaiveDate;
use phr_import::ActivityRecording;
use phr_model::{
    local_day_seconds, parse_time_zone, DeviceId, NewDevice, NewPerson, Role, SampleKind, Samples,
};
use phr_vault::{AuditAction, AuditEvent, IngestReport, KdfParams, Vault};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The source named in a sleep CSV for nights scored from activity.
const SCORED_SOURCE: &str = "scored from activity (Cole-Kripke)";

/// Shortest passphrase accepted for a new vault or a passphrase change.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// The time zone new people get unless told otherwise.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Tokyo";

/// Where the vault lives unless `--vault`/`PHR_VAULT` says otherwise: the
/// platform's data directory (e.g. `~/.local/share/phr/vault.phr` on Linux).
pub fn default_vault_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("phr").join("vault.phr"))
}

/// `n` random bytes as lower-case hex.
fn random_hex(n: usize) -> Result<String> {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ApiError::new(ErrorCode::Internal, "the system random generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Progress of a long operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Units done: bytes for imports, records for syncs, bundles for
    /// shares.
    pub done: u64,
    /// Units in all, when known.
    pub total: Option<u64>,
}

/// One audit log entry (`phr audit --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it was recorded (Unix seconds, UTC).
    pub at_utc: i64,
    /// What happened: `init`, `unlock`, `import`, `sync`, `export`,
    /// `share`, `passphrase_change`, `profile`, ...
    pub action: &'static str,
    /// Details.
    pub detail: String,
}

/// What `phr verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Sealed records opened and decoded.
    pub records_checked: u64,
    /// Audit entries whose chain was checked.
    pub audit_entries: u64,
    /// One line per damaged record or audit break, naming it.
    pub problems: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSummary {
    /// The file imported.
    pub file: String,
    /// Its format (`csv`, `awd`, `agd`).
    pub format: String,
    /// The person it was stored for.
    pub person: i64,
    /// The source it was stored under.
    pub device: i64,
    /// Epochs with a count in the file.
    pub rows: u64,
    /// Epochs listed without a count (gaps).
    pub missing: u64,
    /// New samples stored.
    pub added: u64,
    /// Samples that replaced a different stored value.
    pub replaced: u64,
    /// Samples the vault already had.
    pub unchanged: u64,
    /// First epoch, local time.
    pub first: String,
    /// Last epoch, local time.
    pub last: String,
    /// Alerts the new data raised (evaluated on every import).
    pub new_alerts: usize,
    /// Per kind of sample, what was stored (kinds the file holds, in the
    /// order steps, heart rate, activity, sleep).
    pub kinds: Vec<KindImport>,
    /// The sources the samples were stored under: one for a device file or
    /// CSV; a watch and a phone, say, for an Apple Health export.
    pub sources: Vec<ImportSource>,
    /// Records the file holds that the vault has no place for (calories,
    /// workouts, ...), by record type; empty for device files.
    pub skipped: Vec<SkippedRecords>,
}

impl ImportSummary {
    /// True when the file was another app's export (Apple Health,
    /// Gadgetbridge, Fitbit, FIT) rather than a device file or CSV.
    pub fn is_from_export(&self) -> bool {
        [
            phr_exports::ExportFormat::AppleHealth,
            phr_exports::ExportFormat::Gadgetbridge,
            phr_exports::ExportFormat::FitbitTakeout,
            phr_exports::ExportFormat::GarminFit,
        ]
        .iter()
        .any(|f| f.name() == self.format)
    }
}

/// What an import stored of one kind of sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindImport {
    /// The kind (`steps`, `heart_rate`, `activity`, `sleep`).
    pub kind: SampleKind,
    /// New samples stored.
    pub added: u64,
    /// Samples that replaced a different stored value at the same instant.
    pub replaced: u64,
    /// Samples the vault already had.
    pub unchanged: u64,
}

/// One source an import stored samples under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSource {
    /// Its id in the vault.
    pub device: i64,
    /// Its name (e.g. "Hanako's Apple Watch").
    pub label: String,
    /// Samples of every kind the file held for it.
    pub samples: u64,
}

/// Records of one type an import left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRecords {
    /// The record type as the file names it.
    pub record: String,
    /// How many.
    pub count: u64,
}

/// Per-kind totals of per-batch ingest reports.
pub(crate) fn kind_imports<'a>(
    reports: impl IntoIterator<Item = (&'a Samples, &'a IngestReport)>,
) -> Vec<KindImport> {
    let mut by_kind: BTreeMap<u8, KindImport> = BTreeMap::new();
    let order = |kind: SampleKind| match kind {
        SampleKind::Steps => 0,
        SampleKind::HeartRate => 1,
        SampleKind::Activity => 2,
        SampleKind::Sleep => 3,
    };
    for (batch, report) in reports {
        let entry = by_kind.entry(order(batch.kind())).or_insert(KindImport {
            kind: batch.kind(),
            added: 0,
            replaced: 0,
            unchanged: 0,
        });
        entry.added += report.added;
        entry.replaced += report.replaced;
        entry.unchanged += report.unchanged;
    }
    by_kind.into_values().collect()
}

/// One local day of a person's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaySummary {
    /// The local calendar day.
    pub date: NaiveDate,
    /// Activity epochs recorded.
    pub samples: u64,
    /// Sum of activity counts.
    pub total_counts: u64,
    /// Minutes in this local day (1,380 or 1,500 on DST days).
    pub day_minutes: u64,
    /// Share of the day covered by epochs, 0 to 1.
    pub completeness: f64,
    /// Steps recorded this day, if any step data exists.
    pub steps: Option<u64>,
}

/// [`phr_model::Stamp::local_date`] for many stamps in order, computing a date only
/// when the local day number changes.
#[derive(Default)]
struct LocalDates {
    last: Option<(i64, NaiveDate)>,
}

impl LocalDates {
    /// The local date of `at`, as [`phr_model::Stamp::local_date`] gives it.
    fn of(&mut self, at: phr_model::Stamp) -> NaiveDate {
        // Within these bounds `local_date` is the date of day number
        // floor((utc + offset) / 86,400) after 1970-01-01; outside, ask it.
        if !(phr_model::PLAUSIBLE_UTC.contains(&at.utc) && at.offset_seconds.abs() < 86_400) {
            return at.local_date();
        }
        let day = (at.utc + i64::from(at.offset_seconds)).div_euclid(86_400);
        match self.last {
            Some((last, date)) if last == day => date,
            _ => {
                let date = at.local_date();
                self.last = Some((day, date));
                date
            }
        }
    }
}

/// What a file held, read for import or analysis.
enum FileContent {
    /// A minute CSV, resolved to instants in the zone it was read with.
    Csv(phr_import::MinuteCsv),
    /// A recording on a wall-clock grid: a device's (AWD, AGD, …), or a
    /// minute CSV read as [`CsvAs::Grid`].
    Device(ActivityRecording),
}

fn io_error(path: &Path, err: std::io::Error) -> ApiError {
    ApiError::new(
        ErrorCode::Io,
        format!("cannot read {}: {err}", path.display()),
    )
}

/// The read buffer of a minute CSV: a year's 12 MB in about 200 reads
/// instead of 1,500 of the default 8 KiB.
const CSV_BUFFER_BYTES: usize = 64 * 1024;

/// What a minute CSV is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvAs {
    /// Its epochs, each at its instant (an import).
    Epochs,
    /// Its wall-clock grid (an analysis of the file): read straight onto
    /// the grid, a [`FileContent::Device`].
    Grid,
}

/// Reads an activity file of any supported format (detected from its name
/// and first bytes); CSV wall-clock times are resolved in `zone`.
fn read_activity_file(
    path: &Path,
    zone: chrono_tz::Tz,
    csv_as: CsvAs,
    mut progress: impl FnMut(Progress),
) -> Result<FileContent> {
    let file_name = path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let total = file.metadata().ok().map(|m| m.len());
    let mut head = [0u8; 512];
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    if let Some(export) = phr_exports::detect(path, &head[..n]) {
        return Err(ApiError::invalid(format!(
            "{file_name}: this is {}, which holds no actigraphy recording to analyse on its own; \
             store it with `phr import` and analyse the vault",
            export.description()
        )));
    }
    phr_import::check_supported(&file_name, &head[..n])?;
    drop(file);
    match phr_import::detect_format(&file_name, &head[..n]) {
        FileFormat::Csv => {
            let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
            let report = |done| progress(Progress { done, total });
            let input = BufReader::with_capacity(CSV_BUFFER_BYTES, file);
            let size = total.unwrap_or(0);
            Ok(match csv_as {
                CsvAs::Epochs => FileContent::Csv(phr_import::parse_minute_csv_sized(
                    input, &file_name, zone, report, size,
                )?),
                CsvAs::Grid => FileContent::Device(phr_import::read_minute_csv_recording(
                    input, &file_name, zone, report, size,
                )?),
            })
        }
        format => {
            // Rows (.agd) or decompressed bytes: not comparable to the size.
            let total = match format {
                FileFormat::Agd | FileFormat::Biobank | FileFormat::Mtn => None,
                _ => total,
            };
            let report = |done| progress(Progress { done, total });
            Ok(FileContent::Device(phr_import::read_recording(
                path, &file_name, format, report,
            )?))
        }
    }
}

/// Analyses an actigraphy file directly, without a vault: minute CSV, AWD or
/// AGD, on the file's own wall-clock grid (pyActigraphy's convention).
pub fn analyze_file(path: &Path, threshold: f64) -> Result<ActigraphyReport> {
    analyze::analyze_owned_recording(read_recording(path)?, threshold)
}

/// An actigraphy file of any supported format on its own wall-clock grid.
pub(crate) fn read_recording(path: &Path) -> Result<phr_import::ActivityRecording> {
    Ok(
        match read_activity_file(path, chrono_tz::UTC, CsvAs::Grid, |_| {})? {
            FileContent::Csv(csv) => csv.into_recording(),
            FileContent::Device(recording) => recording,
        },
    )
}

/// A vault analysis with what it was computed from.
pub(crate) struct Analysis {
    /// The figures.
    pub report: ActigraphyReport,
    /// The wall-clock grid analysed.
    pub recording: phr_import::ActivityRecording,
    /// One flag per epoch of the grid: `true` = worn.
    pub worn: Vec<bool>,
}

/// Each of a person's devices with its activity epochs ([`Phr::activity_of`]).
pub(crate) type DeviceActivity = Vec<(DeviceId, Vec<phr_model::ActivityEpoch>)>;

/// An open vault, as front ends use it.
pub struct Phr {
    vault: Vault,
    /// Raised by a front end to cancel the running import, sync or share.
    cancel: Arc<AtomicBool>,
    /// The time now: the system's unless a test sets another
    /// ([`Phr::with_clock`]). The façade never reads the time itself.
    clock: Arc<dyn Clock>,
}

/// A person's time zone (checked when the person was stored).
pub(crate) fn zone_of(person: &Person) -> Result<chrono_tz::Tz> {
    parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))
}

fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(ApiError::invalid(format!(
            "the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    if passphrase.trim().is_empty() {
        return Err(ApiError::invalid(
            "the passphrase must not be only spaces or other blank characters",
        ));
    }
    Ok(())
}

impl Phr {
    /// Creates a vault at `path` owned by `owner_name`, living in `time_zone`.
    pub fn init(path: &Path, passphrase: &str, owner_name: &str, time_zone: &str) -> Result<Phr> {
        check_passphrase(passphrase)?;
        parse_time_zone(time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let owner = NewPerson {
            display_name: owner_name.to_string(),
            time_zone: time_zone.to_string(),
            role: Role::Owner,
            birth_date: None,
        };
        let vault = Vault::create(path, passphrase, &owner, KdfParams::default())?;
        Ok(Phr {
            vault,
            cancel: Arc::default(),
            clock: Arc::new(SystemClock),
        })
    }

    /// Opens and unlocks the vault at `path`.
    pub fn open(path: &Path, passphrase: &str) -> Result<Phr> {
        Ok(Phr {
            vault: Vault::open(path, passphrase)?,
            cancel: Arc::default(),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same vault with another clock (tests; a front end that knows
    /// better than the system clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Phr {
        self.clock = clock;
        self
    }

    /// The flag that cancels the running import, sync or share when set
    /// (from another thread). The operation stops at its next step, stores
    /// nothing of its own (a share stops between bundles and records what
    /// did not arrive) and fails with [`ErrorCode::Cancelled`]. The flag is
    /// cleared when an operation starts.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Clears the cancel flag at the start of a cancellable operation.
    pub(crate) fn start_cancellable(&self) {
        self.cancel.store(false, Ordering::SeqCst);
    }

    /// Fails with [`ErrorCode::Cancelled`] if the flag is set.
    pub(crate) fn check_cancelled(&self, what: &str) -> Result<()> {
        if self.cancel.load(Ordering::SeqCst) {
            return Err(ApiError::new(
                ErrorCode::Cancelled,
                format!("{what} cancelled; nothing from it was stored"),
            ));
        }
        Ok(())
    }

    /// Locks the vault, zeroizing its key.
    pub fn lock(&mut self) {
        self.vault.lock();
    }

    /// The devices (data sources) of a person.
    pub fn devices(&self, person: Option<&str>) -> Result<Vec<phr_model::Device>> {
        let person = self.person(person)?;
        Ok(self.vault.devices(person.id)?)
    }

    /// Adds someone the owner cares for, living in `time_zone`.
    pub fn add_person(&mut self, name: &str, time_zone: &str) -> Result<Person> {
        if name.trim().is_empty() {
            return Err(ApiError::invalid("the name must not be empty"));
        }
        parse_time_zone(time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        if self
            .vault
            .people()?
            .iter()
            .any(|p| p.display_name.eq_ignore_ascii_case(name.trim()))
        {
            return Err(ApiError::invalid(format!(
                "{name:?} is already in this vault"
            )));
        }
        Ok(self.vault.add_person(&NewPerson {
            display_name: name.trim().to_string(),
            time_zone: time_zone.to_string(),
            role: Role::CaredFor,
            birth_date: None,
        })?)
    }

    /// Everyone in the vault.
    pub fn people(&self) -> Result<Vec<Person>> {
        Ok(self.vault.people()?)
    }

    /// The person `selector` names (an id, or a name, case-insensitive); the
    /// vault owner when `None`.
    pub fn person(&self, selector: Option<&str>) -> Result<Person> {
        let people = self.vault.people()?;
        let found = match selector {
            None => people.into_iter().find(|p| p.role == Role::Owner),
            Some(text) => {
                let by_id = text.parse::<i64>().ok();
                people.into_iter().find(|p| {
                    Some(p.id.0) == by_id || p.display_name.eq_ignore_ascii_case(text.trim())
                })
            }
        };
        found.ok_or_else(|| {
            ApiError::invalid(format!(
                "no person {} in this vault",
                selector.map_or("owner".to_string(), |s| format!("{s:?}"))
            ))
        })
    }

    /// Imports an activity file (minute CSV, Actiwatch AWD or ActiGraph
    /// AGD) for a person, all or nothing. CSV data is stored under the source
    /// `device_label` (default `CSV import`); device files under their serial
    /// number unless a label is given. Re-importing the same file, or an
    /// overlapping export of the same source, never duplicates a sample.
    pub fn import_file(
        &mut self,
        path: &Path,
        person: Option<&str>,
        device_label: Option<&str>,
        progress: impl FnMut(Progress),
    ) -> Result<ImportSummary> {
        self.start_cancellable();
        let person = self.person(person)?;
        let zone = crate::zone_of(&person)?;
        if let Some(format) = other_apps::detect(path)? {
            return self.import_export(path, format, &person, device_label, progress);
        }
        let file_name = path.display().to_string();
        let base_name = path
            .file_name()
            .map_or(file_name.clone(), |n| n.to_string_lossy().into_owned());
        let time_error = |e: phr_model::TimeError| {
            ApiError::invalid(format!(
                "{file_name}: {e}; nothing from this file was stored"
            ))
        };
        let (format, epochs, steps, missing, mut source) =
            match read_activity_file(path, zone, CsvAs::Epochs, progress)? {
                FileContent::Csv(csv) => {
                    let label = device_label.unwrap_or("CSV import");
                    let source = NewDevice {
                        source_key: format!("csv:{label}"),
                        label: label.to_string(),
                        ..NewDevice::default()
                    };
                    (FileFormat::Csv, csv.epochs, Vec::new(), csv.missing, source)
                }
                FileContent::Device(recording) => {
                    let epochs = recording.epochs(zone).map_err(time_error)?;
                    let steps = recording.step_counts(zone).map_err(time_error)?;
                    let missing = recording.counts.iter().filter(|c| c.is_none()).count() as u64;
                    let serial = recording
                        .device_serial
                        .clone()
                        .unwrap_or_else(|| base_name.clone());
                    let model = recording.device_model.clone();
                    let source = NewDevice {
                        source_key: format!("{}:{serial}", recording.format.name()),
                        label: format!("{} {serial}", model.as_deref().unwrap_or("actigraph")),
                        model,
                        serial: recording.device_serial.clone(),
                        ..NewDevice::default()
                    };
                    (recording.format, epochs, steps, missing, source)
                }
            };
        if let Some(label) = device_label {
            source.label = label.to_string();
            if format == FileFormat::Csv {
                source.source_key = format!("csv:{label}");
            }
        }
        if epochs.is_empty() {
            return Err(ApiError::invalid(format!(
                "{file_name}: no activity epochs; nothing was stored"
            )));
        }
        let event = AuditEvent::new(
            AuditAction::Import,
            format!(
                "{} file {base_name}: {} activity epochs for person {}",
                format.name(),
                epochs.len(),
                person.id.0
            ),
        );
        let first = epochs
            .first()
            .map(|e| e.at.local().to_string())
            .unwrap_or_default();
        let last = epochs
            .last()
            .map(|e| e.at.local().to_string())
            .unwrap_or_default();
        let rows = epochs.len() as u64;
        let first_date = epochs.first().map(|e| e.at.local_date());
        let mut batches = vec![Samples::Activity(epochs)];
        if !steps.is_empty() {
            batches.push(Samples::Steps(steps));
        }
        self.check_cancelled("the import")?;
        let samples = batches.iter().map(|b| b.len() as u64).sum();
        let label = source.label.clone();
        let sources = [(source, batches)];
        let reports = self.vault.ingest_sources(person.id, &sources, &event)?;
        let mut report = IngestReport::default();
        reports.iter().flatten().for_each(|r| report.add(r));
        let device = reports
            .iter()
            .flatten()
            .find_map(|r| r.device)
            .map_or(0, |d| d.0);
        let kinds = kind_imports(sources[0].1.iter().zip(&reports[0]));
        let new_alerts = self.alerts_after_new_data(&person, first_date, None)?;
        Ok(ImportSummary {
            file: file_name,
            format: format.name().to_string(),
            person: person.id.0,
            device,
            rows,
            missing,
            added: report.added,
            replaced: report.replaced,
            unchanged: report.unchanged,
            first,
            last,
            new_alerts,
            kinds,
            sources: vec![ImportSource {
                device,
                label,
                samples,
            }],
            skipped: Vec::new(),
        })
    }

    /// Analyses a person's stored activity over the local days `from` to
    /// `to` (inclusive), on their wall-clock grid (see [`wall_clock_grid`]).
    pub fn analyze(
        &self,
        person: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        threshold: f64,
    ) -> Result<ActigraphyReport> {
        let person = self.person(person)?;
        Ok(self.analysis(&person, from, to, threshold, true)?.report)
    }

    /// The local days `phr analyze` covers when not told: up to `to`, else
    /// up to the person's latest day of data (not after `today`; yesterday
    /// when there is none), from `from`, else the 13 days before, so
    /// imported history is analysed where it is, not where today is.
    pub fn analysis_period(
        &self,
        person: Option<&str>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<(NaiveDate, NaiveDate)> {
        let to = match to {
            Some(to) => to,
            None => {
                let person = self.person(person)?;
                let latest = self.days_of(&person)?.last().map(|d| d.date);
                latest.map_or(today - chrono::Days::new(1), |day| day.min(today))
            }
        };
        Ok((from.unwrap_or(to - chrono::Days::new(13)), to))
    }

    /// [`Phr::analyze`], also returning the grid analysed and its wear mask
    /// (`require_sleep_scoring`: see `analyze_with_wear`).
    pub(crate) fn analysis(
        &self,
        person: &Person,
        from: NaiveDate,
        to: NaiveDate,
        threshold: f64,
        require_sleep_scoring: bool,
    ) -> Result<Analysis> {
        if to < from {
            return Err(ApiError::invalid(format!(
                "--to {to} is before --from {from}"
            )));
        }
        let zone = crate::zone_of(person)?;
        let range_start = phr_model::local_midnight(from, zone);
        let range_end = phr_model::local_midnight(to.succ_opt().unwrap_or(to), zone);
        let mut epochs: Vec<phr_model::ActivityEpoch> = Vec::new();
        for device in self.vault.devices(person.id)? {
            if let Samples::Activity(v) =
                self.vault
                    .samples(device.id, SampleKind::Activity, range_start..range_end)?
            {
                epochs.extend(v);
            }
        }
        // By instant; at an instant two devices share, the first device's
        // epoch (a stable sort keeps it first, and dedup keeps the first).
        epochs.sort_by_key(|e| e.at.utc);
        epochs.dedup_by_key(|e| e.at.utc);
        let recording = wall_clock_grid(&epochs).ok_or_else(|| {
            ApiError::invalid(format!(
                "no activity data for {} from {from} to {to}",
                person.display_name
            ))
        })?;
        let real = analyze::real_time_grid(&epochs, zone);
        let grids = analyze::Grids {
            wall: analyze::WallGrid::of(&recording)?,
            real: real.as_ref().map(|(grid, timeline)| (grid, *timeline)),
        };
        let (mut report, worn) =
            analyze::analyze_with_wear(grids, threshold, require_sleep_scoring)?;
        report.format = "vault".into();
        Ok(Analysis {
            report,
            recording,
            worn,
        })
    }

    /// Stores `days` whole local days before `today` from the built-in demo
    /// wearable (deterministic for `seed`); syncing again adds nothing.
    pub fn sync_demo(
        &mut self,
        person: Option<&str>,
        today: NaiveDate,
        days: u32,
        seed: u64,
    ) -> Result<SyncSummary> {
        self.start_cancellable();
        let person = self.person(person)?;
        let zone = crate::zone_of(&person)?;
        let start = today - chrono::Days::new(u64::from(days));
        let log = phr_synth::generate(&phr_synth::Scenario::ordinary(seed, start, days, zone));
        let source = NewDevice {
            source_key: format!("demo:{seed}"),
            label: "Demo wearable (simulated)".into(),
            manufacturer: Some("PHR companion".into()),
            model: Some("Simulated wrist actigraph".into()),
            serial: Some(format!("DEMO-{seed:04}")),
            firmware: Some(env!("CARGO_PKG_VERSION").into()),
        };
        let batches = [
            Samples::Activity(log.activity),
            Samples::Steps(log.steps),
            Samples::Sleep(log.sleep),
            Samples::HeartRate(log.heart_rate),
        ];
        let event = AuditEvent::new(
            AuditAction::Sync,
            format!(
                "demo wearable, {start} to {} for person {}",
                today.pred_opt().unwrap_or(today),
                person.id.0
            ),
        );
        self.check_cancelled("the sync")?;
        let IngestReport {
            device,
            added,
            unchanged,
            ..
        } = self.vault.ingest(person.id, &source, &batches, &event)?;
        let new_alerts = self.alerts_after_new_data(&person, Some(start), Some(today))?;
        Ok(SyncSummary {
            device: device.map_or(0, |d| d.0),
            label: source.label,
            added,
            unchanged,
            days: Some((start, today.pred_opt().unwrap_or(today))),
            device_reset: false,
            new_alerts,
            clock_offset_seconds: None,
            timing_ms: None,
            battery_percent: None,
        })
    }

    /// One summary per local day with data, oldest first. Where several
    /// sources recorded the same instant, the source registered first counts.
    pub fn days(&self, person: Option<&str>) -> Result<Vec<DaySummary>> {
        self.days_of(&self.person(person)?)
    }

    /// [`Phr::days`] of a person already resolved.
    pub(crate) fn days_of(&self, person: &Person) -> Result<Vec<DaySummary>> {
        self.days_from(person, &self.activity_of(person)?)
    }

    /// Each of a person's devices (in the vault's order) with every activity
    /// epoch it holds, in the order the vault keeps them.
    pub(crate) fn activity_of(&self, person: &Person) -> Result<DeviceActivity> {
        let mut out = Vec::new();
        for device in self.vault.devices(person.id)? {
            let epochs =
                match self
                    .vault
                    .samples(device.id, SampleKind::Activity, i64::MIN..i64::MAX)?
                {
                    Samples::Activity(v) => v,
                    _ => Vec::new(),
                };
            out.push((device.id, epochs));
        }
        Ok(out)
    }

    /// [`Phr::days_of`] with the person's activity already read
    /// ([`Phr::activity_of`]), so a caller that needs both reads it once.
    pub(crate) fn days_from(
        &self,
        person: &Person,
        activity: &DeviceActivity,
    ) -> Result<Vec<DaySummary>> {
        let zone = crate::zone_of(person)?;
        // Every device's samples, each run sorted by instant; at an instant
        // two devices share, the first device's epoch counts; steps are
        // merged per hour (see `steps`).
        let mut epochs: Vec<(i64, NaiveDate, u32, u32)> = Vec::new();
        let mut steps = steps::StepMerger::default();
        let mut dates = LocalDates::default();
        for (device, v) in activity {
            let device = *device;
            epochs.extend(
                v.iter()
                    .map(|e| (e.at.utc, dates.of(e.at), e.count, e.epoch_seconds)),
            );
            if let Samples::Steps(v) =
                self.vault
                    .samples(device, SampleKind::Steps, i64::MIN..i64::MAX)?
            {
                steps.add_source(&v, |at| dates.of(at));
            }
        }
        // A stable sort (linear on one device's sorted run): among equal
        // instants the first device's sample stays first and is kept.
        epochs.sort_by_key(|e| e.0);
        epochs.dedup_by_key(|e| e.0);
        let mut by_day: BTreeMap<NaiveDate, DaySummary> = BTreeMap::new();
        let blank = |date: NaiveDate| {
            let day_minutes = (local_day_seconds(date, zone) / 60) as u64;
            DaySummary {
                date,
                samples: 0,
                total_counts: 0,
                day_minutes,
                completeness: 0.0,
                steps: None,
            }
        };
        let mut covered_seconds: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        // Summed a run of one date at a time (the samples are in order of
        // instant, so a day's samples mostly come together).
        for run in epochs.chunk_by(|a, b| a.1 == b.1) {
            let date = run[0].1;
            let day = by_day.entry(date).or_insert_with(|| blank(date));
            day.samples += run.len() as u64;
            day.total_counts += run.iter().map(|e| u64::from(e.2)).sum::<u64>();
            *covered_seconds.entry(date).or_default() +=
                run.iter().map(|e| u64::from(e.3)).sum::<u64>();
        }
        for (date, total) in steps.per_day() {
            let day = by_day.entry(date).or_insert_with(|| blank(date));
            *day.steps.get_or_insert(0) += total;
        }
        for day in by_day.values_mut() {
            let covered = covered_seconds.get(&day.date).copied().unwrap_or(0);
            day.completeness = (covered as f64 / (day.day_minutes * 60) as f64).min(1.0);
        }
        Ok(by_day.into_values().collect())
    }

    /// Writes a person's samples of one kind as CSV (see [`CsvKind`]) and
    /// records the export. Returns the number of rows written.
    pub fn export_csv(
        &mut self,
        person: Option<&str>,
        kind: CsvKind,
        out: &mut dyn std::io::Write,
    ) -> Result<u64> {
        let person = self.person(person)?;
        let devices = self.vault.devices(person.id)?;
        let mut per_device = Vec::new();
        for device in &devices {
            let samples = self
                .vault
                .samples(device.id, kind.sample_kind(), i64::MIN..i64::MAX)?;
            if !samples.is_empty() {
                per_device.push((device.label.clone(), samples));
            }
        }
        if kind == CsvKind::Sleep {
            let scored = self.scored_nights(&person, &per_device)?;
            if !scored.is_empty() {
                per_device.push((SCORED_SOURCE.to_string(), Samples::Sleep(scored)));
            }
        }
        let rows = export::write_csv(kind, &per_device, out)
            .map_err(|e| ApiError::new(ErrorCode::Io, format!("writing the CSV failed: {e}")))?;
        self.vault.append_audit(&AuditEvent::new(
            AuditAction::Export,
            format!(
                "csv export of {} for person {}: {rows} rows",
                kind.name(),
                person.id.0
            ),
        ))?;
        Ok(rows)
    }

    /// The nights scored from a person's activity (Cole-Kripke over their
    /// whole span of data, as `phr analyze` finds them) that no stored
    /// sleep episode overlaps: derived, and marked so by their method.
    fn scored_nights(
        &self,
        person: &Person,
        stored: &[(String, Samples)],
    ) -> Result<Vec<phr_model::SleepEpisode>> {
        let days = self.days_of(person)?;
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok(Vec::new());
        };
        if days.iter().all(|d| d.samples == 0) {
            return Ok(Vec::new());
        }
        let zone = zone_of(person)?;
        // Scoring that cannot run (too little or too coarse activity) adds
        // nothing; the stored sleep is still exported.
        let Ok(analysis) = self.analysis(person, first.date, last.date, 4.0, false) else {
            return Ok(Vec::new());
        };
        let report = analysis.report;
        let stored_spans: Vec<(i64, i64)> = stored
            .iter()
            .filter_map(|(_, samples)| match samples {
                Samples::Sleep(v) => Some(v.iter().map(|e| (e.start.utc, e.end.utc))),
                _ => None,
            })
            .flatten()
            .collect();
        Ok(report
            .nights
            .iter()
            .filter_map(|night| {
                let (start, end) = night.span(zone)?;
                let overlaps = stored_spans
                    .iter()
                    .any(|&(a, b)| a < end.utc && start.utc < b);
                (!overlaps).then(|| phr_model::SleepEpisode {
                    start,
                    end,
                    is_main: true,
                    method: format!("cole-kripke:{}", analyze::SCORED_SETTINGS),
                    stages: Vec::new(),
                })
            })
            .collect())
    }

    /// Changes the passphrase (the data key is rewrapped, nothing else is
    /// re-encrypted), raising the KDF cost to the current default.
    pub fn change_passphrase(&mut self, new_passphrase: &str) -> Result<()> {
        check_passphrase(new_passphrase)?;
        Ok(self
            .vault
            .change_passphrase(new_passphrase, KdfParams::default())?)
    }

    /// The audit log, oldest first, with credentials in recipient URLs
    /// redacted ([`redact_urls`]).
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        Ok(self
            .vault
            .audit_log()?
            .into_iter()
            .map(|entry| AuditEntry {
                seq: entry.seq,
                at_utc: entry.at_utc,
                action: entry.action.name(),
                // Entries written before recipient URLs were redacted may
                // hold credentials given in a URL: no front end shows them.
                detail: redact_urls(&entry.detail),
            })
            .collect())
    }

    /// Checks the audit chain; returns the number of entries.
    pub fn verify_audit(&self) -> Result<u64> {
        Ok(self.vault.verify_audit()?)
    }

    /// Opens and checks every sealed record.
    pub fn verify(&self) -> Result<VerifyReport> {
        let report = self.vault.verify()?;
        Ok(VerifyReport {
            records_checked: report.records_checked,
            audit_entries: report.audit_entries,
            problems: report.problems,
        })
    }
}
