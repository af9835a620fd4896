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
mod error;
mod export;
mod files;
mod report;
mod share;

pub use analyze::{
    analyze_recording, wall_clock_grid, ActigraphyReport, ColeKripkeDto, CompletenessDto,
    MetricsDto, NightDto, WeekDto,
};
pub use app::{
    actogram_grid, check_demo_days, default_demo_vault_path, source_device_of, sync_failure,
    ActogramDto, AppSettings, Dashboard, DayFraction, DaySteps, DeviceListing, DeviceSummary,
    DEFAULT_AUTO_LOCK_MINUTES, MAX_AUTO_LOCK_MINUTES, MAX_DEMO_DAYS, MIN_AUTO_LOCK_MINUTES,
};
pub use care::{
    apply_alert_settings, evaluate_alert_rules, Acknowledgement, AlertDto, AlertEvaluation,
    CaredPerson,
};
pub use error::{ApiError, ErrorCode, Result};
pub use export::CsvKind;
pub use files::{write_atomically, WriteOptions};
pub use phr_care::AlertSettings;
pub use phr_fhir_client::{es384_jwk, generate_es384_key, private_key_pem, read_private_key};
pub use phr_import::FileFormat;
pub use phr_model::Lang;
pub use phr_report::ReportInput;
pub use phr_sync::LinkFaults;
pub use report::{RenderedReport, ReportFormat};
pub use share::{Preview, RecipientAuth, Selection, ShareRecord, ShareType};

use chrono::NaiveDate;
use phr_import::ActivityRecording;
use phr_model::{
    local_day_seconds, parse_time_zone, DeviceId, NewDevice, NewPerson, Person, Role, SampleKind,
    Samples,
};
use phr_vault::{
    AuditAction, AuditEntry, AuditEvent, IngestReport, KdfParams, Vault, VerifyReport,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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

/// SHA-256 of `bytes` as lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

/// What a simulated sync stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncSummary {
    /// The source synced.
    pub device: i64,
    /// Name of the source.
    pub label: String,
    /// New samples stored.
    pub added: u64,
    /// Samples already present.
    pub unchanged: u64,
    /// First and last local day the fetched records cover (none when
    /// nothing new came over).
    pub days: Option<(NaiveDate, NaiveDate)>,
    /// The watch had been reset (its storage or clock); its whole history
    /// was read again and nothing already stored was lost.
    pub device_reset: bool,
    /// Alerts the new data raised (evaluated on every sync).
    pub new_alerts: usize,
    /// The watch's clock minus this computer's, in seconds, read at the
    /// sync; stored instants are corrected by it (none for the demo).
    pub clock_offset_seconds: Option<f64>,
    /// Where the sync's time went, in milliseconds (none for the demo).
    pub timing_ms: Option<SyncTiming>,
    /// The wearable's battery charge at the sync, when it reports one.
    pub battery_percent: Option<u8>,
}

/// How a sync's time split: the link, our decoding, the vault.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SyncTiming {
    /// Waiting for the link (writes and notifications).
    pub link: f64,
    /// Reassembly, JSON decoding and conversion to samples. A step-counter
    /// watch's few bytes are decoded as they are read, inside `link`, so
    /// it reports 0 here.
    pub decode: f64,
    /// Sealing and storing the batch with its checkpoint, and evaluating
    /// alerts on the new data.
    pub store: f64,
}

/// One live heart-rate reading ([`Phr::live_heart_rate`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeartRateReading {
    /// When it arrived, in the person's time zone (RFC 3339).
    pub at: String,
    /// The same instant, seconds since the Unix epoch.
    #[serde(skip)]
    pub utc: i64,
    /// Beats per minute.
    pub bpm: u16,
    /// Skin contact, where the sensor detects it.
    pub contact: Option<bool>,
    /// RR intervals in milliseconds.
    pub rr_ms: Vec<f64>,
}

impl HeartRateReading {
    fn new(
        at: chrono::DateTime<chrono::Utc>,
        zone: chrono_tz::Tz,
        m: &phr_ble_protocols::standard::HeartRateMeasurement,
    ) -> Self {
        HeartRateReading {
            at: at
                .with_timezone(&zone)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            utc: at.timestamp(),
            bpm: m.bpm,
            contact: m.contact,
            rr_ms: m.rr_millis().map(|ms| (ms * 10.0).round() / 10.0).collect(),
        }
    }
}

/// What a live heart-rate session read and stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveHeartRate {
    /// The wearable's name.
    pub device: String,
    /// Its address.
    pub address: String,
    /// Every reading, in order of arrival.
    pub readings: Vec<HeartRateReading>,
    /// Readings stored (those with skin contact; repeats of a stored
    /// second are not added twice).
    pub added: u64,
}

/// What a file held, read for import or analysis.
enum FileContent {
    /// A minute CSV, resolved to instants in the zone it was read with.
    Csv(phr_import::MinuteCsv),
    /// A device recording on a wall-clock grid (AWD, AGD).
    Device(ActivityRecording),
}

fn io_error(path: &Path, err: std::io::Error) -> ApiError {
    ApiError::new(
        ErrorCode::Io,
        format!("cannot read {}: {err}", path.display()),
    )
}

/// Reads an activity file of any supported format (detected from its name
/// and first bytes); CSV wall-clock times are resolved in `zone`.
fn read_activity_file(
    path: &Path,
    zone: chrono_tz::Tz,
    mut progress: impl FnMut(Progress),
) -> Result<FileContent> {
    let file_name = path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let total = file.metadata().ok().map(|m| m.len());
    let mut head = [0u8; 512];
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    match phr_import::detect_format(&file_name, &head[..n]) {
        FileFormat::Agd => {
            drop(file);
            Ok(FileContent::Device(phr_import::read_agd(path, |rows| {
                progress(Progress {
                    done: rows,
                    total: None,
                })
            })?))
        }
        format => {
            let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
            let reader = BufReader::new(file);
            let report = |done| progress(Progress { done, total });
            if format == FileFormat::Awd {
                Ok(FileContent::Device(phr_import::parse_awd(
                    reader, &file_name, report,
                )?))
            } else {
                Ok(FileContent::Csv(phr_import::parse_minute_csv(
                    reader, &file_name, zone, report,
                )?))
            }
        }
    }
}

/// Analyses an actigraphy file directly, without a vault: minute CSV, AWD or
/// AGD, on the file's own wall-clock grid (pyActigraphy's convention).
pub fn analyze_file(path: &Path, threshold: f64) -> Result<ActigraphyReport> {
    let recording = match read_activity_file(path, chrono_tz::UTC, |_| {})? {
        FileContent::Csv(csv) => csv.into_recording(),
        FileContent::Device(recording) => recording,
    };
    analyze_recording(&recording, threshold)
}

/// A wearable found by a Bluetooth scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundDevice {
    /// Advertised name.
    pub name: Option<String>,
    /// Bluetooth address.
    pub address: String,
    /// Signal strength (dBm), if reported.
    pub rssi: Option<i16>,
    /// Protocols we speak that it advertises.
    pub protocols: Vec<String>,
    /// After pairing: whether the wearable is bonded (it asked for it);
    /// unknown for a scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bonded: Option<bool>,
}

/// Scans for `seconds` for wearables advertising a service we support
/// (Bangle.js UART, InfiniTime motion, Physical Activity Monitor, Heart
/// Rate), through the system's BlueZ with btleplug.
pub fn scan_devices(seconds: u64) -> Result<Vec<FoundDevice>> {
    use phr_ble_protocols::{banglejs, infinitime, pams, standard};
    let known = [
        (banglejs::UART_SERVICE, "banglejs"),
        (infinitime::MOTION_SERVICE, "infinitime"),
        (pams::SERVICE, "pams"),
        (standard::HEART_RATE_SERVICE, "heart_rate"),
    ];
    let runtime = bluetooth_runtime()?;
    let ble_error = |e: phr_ble::BleError| {
        ApiError::new(ErrorCode::Device, format!("{e} (without an adapter, `phr sync --simulated` uses the built-in simulated wearable)"))
    };
    let found = runtime.block_on(async {
        let client = phr_ble::BleClient::new(std::time::Duration::from_secs(10))
            .await
            .map_err(ble_error)?;
        let services: Vec<u128> = known.iter().map(|(uuid, _)| *uuid).collect();
        client
            .scan(&services, std::time::Duration::from_secs(seconds.max(1)))
            .await
            .map_err(ble_error)
    })?;
    Ok(found
        .into_iter()
        .map(|d| FoundDevice {
            protocols: known
                .iter()
                .filter(|(uuid, _)| d.services.contains(uuid))
                .map(|(_, name)| name.to_string())
                .collect(),
            name: d.name,
            address: d.address,
            rssi: d.rssi,
            bonded: None,
        })
        .collect())
}

/// How long any one Bluetooth or link operation may take.
const SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A wearable remembered for sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PairedDevice {
    /// Whose it is.
    pub person: i64,
    /// Bluetooth address.
    pub address: String,
    /// Advertised name.
    pub name: Option<String>,
    /// Protocols it advertised.
    pub protocols: Vec<String>,
    /// Bonded through BlueZ because it refused access without it.
    #[serde(default)]
    pub bonded: bool,
}

impl PairedDevice {
    /// A step-counter watch (InfiniTime) rather than one with a history
    /// to fetch (Bangle.js).
    pub fn reads_step_counter(&self) -> bool {
        self.protocols.iter().any(|p| p == "infinitime")
            && !self.protocols.iter().any(|p| p == "banglejs")
    }
}

/// The runtime btleplug needs (it spawns tasks on a multi-threaded tokio).
fn bluetooth_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("cannot start the Bluetooth runtime: {e}"),
            )
        })
}

/// Connects to the watch at `address` and tries what a sync will do (open
/// a Bangle.js's UART, or read an InfiniTime's step count); if the watch
/// refuses until bonded (ATT Insufficient Authentication or Encryption),
/// bonds through BlueZ and checks again. Returns whether it bonded.
fn bond_if_required(address: &str, steps_only: bool) -> Result<bool> {
    let device_error = |e: phr_ble::BleError| ApiError::new(ErrorCode::Device, e.to_string());
    bluetooth_runtime()?.block_on(async {
        let client = phr_ble::BleClient::new(SYNC_TIMEOUT)
            .await
            .map_err(device_error)?;
        let found = client
            .scan(
                &[
                    phr_ble_protocols::banglejs::UART_SERVICE,
                    phr_ble_protocols::infinitime::MOTION_SERVICE,
                ],
                std::time::Duration::from_secs(1),
            )
            .await
            .map_err(device_error)?;
        let device = scanned(&found, address)?;
        let connection = client.connect(device).await.map_err(device_error)?;
        let probe = || async {
            if steps_only {
                connection
                    .read::<phr_ble_protocols::infinitime::DailySteps>()
                    .await
                    .map(|_| ())
            } else {
                connection.uart_session().await.map(|_| ())
            }
        };
        let result = async {
            match probe().await {
                Ok(()) => Ok(false),
                Err(e) if e.needs_bonding() => {
                    phr_ble::bond(address, PAIRING_TIMEOUT)
                        .await
                        .map_err(device_error)?;
                    probe().await.map_err(device_error)?;
                    Ok(true)
                }
                Err(e) => Err(device_error(e)),
            }
        }
        .await;
        let _ = connection.disconnect().await;
        result
    })
}

/// The device at `address` among those a scan found, or an error saying it
/// did not answer.
fn scanned<'a>(
    found: &'a [phr_ble::FoundDevice],
    address: &str,
) -> Result<&'a phr_ble::FoundDevice> {
    found
        .iter()
        .find(|d| d.address.eq_ignore_ascii_case(address))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Device,
                format!("{address} did not answer the scan; is it awake and near?"),
            )
        })
}

/// How long pairing may take (a passkey typed by a person included).
const PAIRING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// After a checkpoint the records to come are known to within the overlap:
/// one per 10 minutes from the overlap's start up to the watch's now. A
/// first sync has no such bound.
fn expected_records(checkpoint: Option<i64>, clock_offset_millis: i64) -> Option<u64> {
    checkpoint.map(|c| {
        let watch_now = phr_sync::host_millis() + clock_offset_millis;
        let since = c - phr_sync::OVERLAP_MILLIS;
        u64::try_from((watch_now - since) / (i64::from(phr_sync::RECORD_SECONDS) * 1000))
            .unwrap_or(0)
    })
}

/// Where each device's battery charge at its latest sync is kept.
pub(crate) const BATTERY_NAMESPACE: &str = "battery";

/// How long a watch may take to report its battery.
const BATTERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Where a step-counter watch's tracker state is kept.
const STEP_TRACKER_NAMESPACE: &str = "step-tracker";

/// A watch clock further off than this is set at sync.
const CLOCK_TOLERANCE_SECONDS: i64 = 2;

/// What one Bluetooth sync fetched, by protocol.
enum Fetched {
    /// A history (Bangle.js), and the battery charge.
    History(phr_sync::Batch, Option<u8>),
    /// A cumulative step count (InfiniTime).
    Steps(StepReading),
}

/// A step-counter watch read at a sync.
struct StepReading {
    /// When the count was read (host clock, Unix seconds).
    utc: i64,
    /// The watch's count for its day so far.
    cumulative: u32,
    /// Watch wall clock minus this computer's, in seconds, before setting.
    clock_offset_seconds: Option<i64>,
    /// Whether the watch's clock was set.
    clock_set: bool,
    /// Battery Level, where the watch has the Battery service.
    battery: Option<u8>,
    /// Time spent on the link.
    link: std::time::Duration,
}

/// Reads an InfiniTime watch: its Current Time (set from this computer's
/// clock when it is more than [`CLOCK_TOLERANCE_SECONDS`] off, so the
/// watch's daily count resets at the person's midnight), then its step
/// count. Steps are stamped with this computer's clock.
async fn read_step_counter(
    connection: &phr_ble::Connection,
    zone: chrono_tz::Tz,
) -> std::result::Result<StepReading, phr_ble::BleError> {
    use phr_ble_protocols::infinitime::DailySteps;
    use phr_ble_protocols::standard::{BatteryLevel, CurrentTime};
    use phr_ble_protocols::GattValue;
    let started = std::time::Instant::now();
    let mut clock_offset_seconds = None;
    let mut clock_set = false;
    if connection.has(CurrentTime::CHARACTERISTIC) {
        let host_local = chrono::Utc::now().with_timezone(&zone).naive_local();
        let device: CurrentTime = connection.read().await?;
        if let Some(offset) = device.offset_from_host(host_local) {
            clock_offset_seconds = Some(offset);
            if offset.abs() > CLOCK_TOLERANCE_SECONDS {
                let now = chrono::Utc::now().with_timezone(&zone).naive_local();
                let value = CurrentTime::for_local(now, CurrentTime::EXTERNAL_REFERENCE).encode();
                connection
                    .write_raw(CurrentTime::CHARACTERISTIC, &value)
                    .await?;
                clock_set = true;
            }
        }
    }
    let DailySteps(cumulative) = connection.read().await?;
    let battery = if connection.has(BatteryLevel::CHARACTERISTIC) {
        Some(connection.read::<BatteryLevel>().await?.0)
    } else {
        None
    };
    Ok(StepReading {
        utc: chrono::Utc::now().timestamp(),
        cumulative,
        clock_offset_seconds,
        clock_set,
        battery,
        link: started.elapsed(),
    })
}

fn checkpoint_key(person: &Person, source: &NewDevice) -> String {
    sha256_hex(format!("{}|{}", person.id.0, source.source_key).as_bytes())
}

fn stamper(zone: chrono_tz::Tz) -> impl Fn(i64) -> phr_model::Stamp {
    move |utc| phr_model::Stamp::in_zone(utc, zone).unwrap_or(phr_model::Stamp::new(utc, 0))
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

/// An open vault, as front ends use it.
pub struct Phr {
    vault: Vault,
    /// Raised by a front end to cancel the running import, sync or share.
    cancel: Arc<AtomicBool>,
}

fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(ApiError::invalid(format!(
            "the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters"
        )));
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
        })
    }

    /// Opens and unlocks the vault at `path`.
    pub fn open(path: &Path, passphrase: &str) -> Result<Phr> {
        Ok(Phr {
            vault: Vault::open(path, passphrase)?,
            cancel: Arc::default(),
        })
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
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
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
            match read_activity_file(path, zone, progress)? {
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
        let report = self.vault.ingest(person.id, &source, &batches, &event)?;
        let new_alerts = self.alerts_after_new_data(&person, first_date, None)?;
        Ok(ImportSummary {
            file: file_name,
            format: format.name().to_string(),
            person: person.id.0,
            device: report.device.map_or(0, |d| d.0),
            rows,
            missing,
            added: report.added,
            replaced: report.replaced,
            unchanged: report.unchanged,
            first,
            last,
            new_alerts,
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
        Ok(self.analysis(person, from, to, threshold, true)?.report)
    }

    /// [`Phr::analyze`], also returning the grid analysed and its wear mask
    /// (`require_sleep_scoring`: see `analyze_with_wear`).
    pub(crate) fn analysis(
        &self,
        person: Option<&str>,
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
        let person = self.person(person)?;
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let range_start = phr_model::local_midnight(from, zone);
        let range_end = phr_model::local_midnight(to.succ_opt().unwrap_or(to), zone);
        let mut by_instant: BTreeMap<i64, phr_model::ActivityEpoch> = BTreeMap::new();
        for device in self.vault.devices(person.id)? {
            if let Samples::Activity(v) =
                self.vault
                    .samples(device.id, SampleKind::Activity, range_start..range_end)?
            {
                for e in v {
                    by_instant.entry(e.at.utc).or_insert(e);
                }
            }
        }
        let epochs: Vec<_> = by_instant.into_values().collect();
        let recording = wall_clock_grid(&epochs).ok_or_else(|| {
            ApiError::invalid(format!(
                "no activity data for {} from {from} to {to}",
                person.display_name
            ))
        })?;
        let (mut report, worn) =
            analyze::analyze_with_wear(&recording, threshold, require_sleep_scoring)?;
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
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
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

    /// Syncs the simulated Bangle.js (for people without a wearable, the demo
    /// and tests) through the real sync engine and protocol: it holds the
    /// `days` whole local days before `today` (deterministic for `seed`), and
    /// only records newer than the stored checkpoint come over. The batch and
    /// the checkpoint are stored in one transaction; a failed sync stores
    /// nothing and the next one resumes. `faults` injects link drops or
    /// corruption (tests).
    pub fn sync_simulated(
        &mut self,
        person: Option<&str>,
        today: NaiveDate,
        days: u32,
        seed: u64,
        faults: phr_sync::LinkFaults,
        mut progress: impl FnMut(Progress),
    ) -> Result<SyncSummary> {
        let person = self.person(person)?;
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let start = today - chrono::Days::new(u64::from(days));
        let log = phr_synth::generate(&phr_synth::Scenario::ordinary(seed, start, days, zone));
        let history = phr_sync::history_from_lifelog(&log);
        let label = format!("Bangle.js (simulated {seed})");
        let source = NewDevice {
            source_key: format!("sim-banglejs:{seed}"),
            label: label.clone(),
            manufacturer: Some("Espruino (simulated)".into()),
            model: Some("Bangle.js 2".into()),
            serial: Some(format!("SIM-{seed:04}")),
            firmware: Some(env!("CARGO_PKG_VERSION").into()),
        };
        let key = checkpoint_key(&person, &source);
        let checkpoint = self.read_checkpoint(&key)?;
        let mut link = phr_sync::SimulatedLink::new(&label, history, faults);
        let mut battery = None;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::Internal,
                    format!("cannot start the sync runtime: {e}"),
                )
            })?;
        let batch = runtime
            .block_on(async {
                let clock =
                    phr_sync::read_clock(&mut link, SYNC_TIMEOUT, phr_sync::host_millis).await?;
                battery = phr_sync::read_battery(&mut link, BATTERY_TIMEOUT).await?;
                let expected = expected_records(checkpoint, clock.offset_millis);
                phr_sync::fetch_history_corrected(
                    &mut link,
                    checkpoint,
                    Some(clock.offset_millis),
                    SYNC_TIMEOUT,
                    stamper(zone),
                    |p| {
                        progress(Progress {
                            done: p.records,
                            total: expected.map(|e| e.max(p.records)),
                        })
                    },
                )
                .await
            })
            .map_err(|e| ApiError::new(ErrorCode::Remote, e.to_string()))?;
        let mut summary = self.store_batch(&person, &source, &key, batch, battery, Some(today))?;
        summary.days = Some((start, today.pred_opt().unwrap_or(today)));
        Ok(summary)
    }

    fn read_checkpoint(&self, key: &str) -> Result<Option<i64>> {
        Ok(self
            .vault
            .record("sync-checkpoint", key)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.parse().ok()))
    }

    /// Stores a fetched batch and its checkpoint in one transaction.
    fn store_batch(
        &mut self,
        person: &Person,
        source: &NewDevice,
        key: &str,
        batch: phr_sync::Batch,
        battery: Option<u8>,
        today: Option<NaiveDate>,
    ) -> Result<SyncSummary> {
        self.check_cancelled("the sync")?;
        let storing = std::time::Instant::now();
        let checkpoint = batch.checkpoint.map(|c| c.to_string()).unwrap_or_default();
        let event = AuditEvent::new(
            AuditAction::Sync,
            format!(
                "{}: {} records, {} bytes, for person {}{}{}",
                source.label,
                batch.records,
                batch.bytes,
                person.id.0,
                batch
                    .clock_offset_millis
                    .map_or(String::new(), |ms| format!(
                        ", watch clock {:+.1} s",
                        ms as f64 / 1000.0
                    )),
                if batch.device_reset {
                    "; the watch had been reset, its whole history was read again"
                } else {
                    ""
                }
            ),
        );
        let record = batch
            .checkpoint
            .map(|_| ("sync-checkpoint", key, checkpoint.as_bytes()));
        let IngestReport {
            device,
            added,
            unchanged,
            ..
        } = self
            .vault
            .ingest_with_record(person.id, source, &batch.samples, record, &event)?;
        let dates: Vec<NaiveDate> = batch
            .samples
            .iter()
            .filter_map(|s| match s {
                Samples::Activity(v) => {
                    Some(v.iter().map(|e| e.at.local_date()).collect::<Vec<_>>())
                }
                _ => None,
            })
            .flatten()
            .collect();
        let days = dates.iter().min().copied().zip(dates.iter().max().copied());
        self.remember_battery(device, battery)?;
        let new_alerts = self.alerts_after_new_data(person, days.map(|d| d.0), today)?;
        let millis = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let timing_ms = Some(SyncTiming {
            link: millis(batch.timing.link),
            decode: millis(batch.timing.decode),
            store: millis(storing.elapsed()),
        });
        Ok(SyncSummary {
            device: device.map_or(0, |d| d.0),
            label: source.label.clone(),
            added,
            unchanged,
            days,
            device_reset: batch.device_reset,
            new_alerts,
            clock_offset_seconds: batch.clock_offset_millis.map(|ms| ms as f64 / 1000.0),
            timing_ms,
            battery_percent: battery,
        })
    }

    /// Remembers a wearable found by a scan (address `address`) as a source
    /// of `person`, so `phr sync` syncs it. Kept sealed in the vault.
    pub fn pair_device(
        &mut self,
        person: Option<&str>,
        address: &str,
        scan_seconds: u64,
    ) -> Result<FoundDevice> {
        let person = self.person(person)?;
        let found = scan_devices(scan_seconds)?
            .into_iter()
            .find(|d| d.address.eq_ignore_ascii_case(address))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Device,
                    format!("no wearable {address} answered the scan; is it awake and near?"),
                )
            })?;
        let steps_only = if found.protocols.iter().any(|p| p == "banglejs") {
            false
        } else if found.protocols.iter().any(|p| p == "infinitime") {
            true
        } else {
            return Err(ApiError::invalid(format!(
                "{address} speaks {}; syncing is supported for Bangle.js and InfiniTime watches (`phr devices heart-rate` reads live heart rate from others)",
                found.protocols.join(", ")
            )));
        };
        let bonded = bond_if_required(&found.address, steps_only)?;
        let paired = PairedDevice {
            person: person.id.0,
            address: found.address.clone(),
            name: found.name.clone(),
            protocols: found.protocols.clone(),
            bonded,
        };
        let value = serde_json::to_vec(&paired)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        self.vault.put_record(
            "paired",
            &sha256_hex(format!("{}|{}", person.id.0, found.address).as_bytes()),
            &value,
            Some(&AuditEvent::new(
                AuditAction::Profile,
                format!("wearable paired for person {}", person.id.0),
            )),
        )?;
        Ok(FoundDevice {
            bonded: Some(bonded),
            ..found
        })
    }

    /// The wearables remembered for a person.
    pub fn paired_devices(&self, person: Option<&str>) -> Result<Vec<PairedDevice>> {
        let person = self.person(person)?;
        let mut out = Vec::new();
        for (_, value) in self.vault.records("paired")? {
            let paired: PairedDevice = serde_json::from_slice(&value).map_err(|_| {
                ApiError::new(ErrorCode::Tampered, "a paired-device record is unreadable")
            })?;
            if paired.person == person.id.0 {
                out.push(paired);
            }
        }
        Ok(out)
    }

    /// Syncs a person's paired wearables over Bluetooth LE (or only the one at
    /// `address`), one after the other: each fetches the history after its
    /// checkpoint and stores it with the new checkpoint in one transaction.
    /// One device failing does not stop the others; each gets its result.
    pub fn sync_bluetooth(
        &mut self,
        person: Option<&str>,
        address: Option<&str>,
        scan_seconds: u64,
    ) -> Result<Vec<(String, Result<SyncSummary>)>> {
        self.sync_bluetooth_with_progress(person, address, scan_seconds, |_, _| {})
    }

    /// [`Phr::sync_bluetooth`], reporting each device's progress (its
    /// address, records received and, after a checkpoint, about how many
    /// are to come) as notifications arrive.
    pub fn sync_bluetooth_with_progress(
        &mut self,
        person: Option<&str>,
        address: Option<&str>,
        scan_seconds: u64,
        mut progress: impl FnMut(&str, Progress),
    ) -> Result<Vec<(String, Result<SyncSummary>)>> {
        self.start_cancellable();
        let person = self.person(person)?;
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let mut targets = self.paired_devices(Some(&person.id.0.to_string()))?;
        if let Some(address) = address {
            targets.retain(|d| d.address.eq_ignore_ascii_case(address));
            if targets.is_empty() {
                return Err(ApiError::invalid(format!(
                    "{address} is not paired: run `phr devices pair {address}` first"
                )));
            }
        }
        if targets.is_empty() {
            return Err(ApiError::invalid(
                "no paired wearables: `phr devices scan`, then `phr devices pair ADDRESS` (or `phr sync --simulated`)",
            ));
        }
        let mut plans = Vec::new();
        for target in targets {
            let steps_only = target.reads_step_counter();
            let (kind, model) = if steps_only {
                ("PineTime", "InfiniTime")
            } else {
                ("Bangle.js", "Bangle.js")
            };
            let source = NewDevice {
                source_key: format!("ble:{}", target.address),
                label: target
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{kind} {}", target.address)),
                model: Some(model.into()),
                ..NewDevice::default()
            };
            let key = checkpoint_key(&person, &source);
            let checkpoint = self.read_checkpoint(&key)?;
            plans.push((target.address, source, key, checkpoint, steps_only));
        }
        let runtime = bluetooth_runtime()?;
        let device_error = |e: phr_ble::BleError| ApiError::new(ErrorCode::Device, e.to_string());
        let fetched: Vec<Result<Fetched>> = runtime.block_on(async {
            let client = match phr_ble::BleClient::new(SYNC_TIMEOUT).await {
                Ok(client) => client,
                Err(e) => {
                    return plans
                        .iter()
                        .map(|_| Err(ApiError::new(ErrorCode::Device, e.to_string())))
                        .collect()
                }
            };
            let scan = std::time::Duration::from_secs(scan_seconds.max(1));
            let found = match client
                .scan(
                    &[
                        phr_ble_protocols::banglejs::UART_SERVICE,
                        phr_ble_protocols::infinitime::MOTION_SERVICE,
                    ],
                    scan,
                )
                .await
            {
                Ok(found) => found,
                Err(e) => {
                    return plans
                        .iter()
                        .map(|_| Err(ApiError::new(ErrorCode::Device, e.to_string())))
                        .collect()
                }
            };
            let mut out = Vec::new();
            for (address, _, _, checkpoint, steps_only) in &plans {
                let result = async {
                    let device = scanned(&found, address)?;
                    let connection = client.connect(device).await.map_err(device_error)?;
                    let pairing_hint = |e: phr_ble::BleError| {
                        if e.needs_bonding() {
                            ApiError::new(
                                ErrorCode::Device,
                                format!("{e}; the watch asks for pairing: run `phr devices pair {address}`"),
                            )
                        } else {
                            device_error(e)
                        }
                    };
                    if *steps_only {
                        let reading = read_step_counter(&connection, zone).await.map_err(pairing_hint);
                        let _ = connection.disconnect().await;
                        return reading.map(Fetched::Steps);
                    }
                    let mut session = connection.uart_session().await.map_err(pairing_hint)?;
                    let batch = async {
                        let clock =
                            phr_sync::read_clock(&mut session, SYNC_TIMEOUT, phr_sync::host_millis)
                                .await?;
                        let battery = phr_sync::read_battery(&mut session, BATTERY_TIMEOUT).await?;
                        let expected = expected_records(*checkpoint, clock.offset_millis);
                        phr_sync::fetch_history_corrected(
                            &mut session,
                            *checkpoint,
                            Some(clock.offset_millis),
                            SYNC_TIMEOUT,
                            stamper(zone),
                            |p| {
                                progress(
                                    address,
                                    Progress {
                                        done: p.records,
                                        total: expected.map(|e| e.max(p.records)),
                                    },
                                )
                            },
                        )
                        .await
                        .map(|batch| (batch, battery))
                    }
                    .await
                    .map_err(|e| ApiError::new(ErrorCode::Remote, e.to_string()));
                    let _ = connection.disconnect().await;
                    batch.map(|(batch, battery)| Fetched::History(batch, battery))
                }
                .await;
                out.push(result);
            }
            out
        });
        let mut results = Vec::new();
        for ((address, source, key, _, _), fetched) in plans.iter().zip(fetched) {
            let stored = fetched.and_then(|fetched| match fetched {
                Fetched::History(batch, battery) => {
                    self.store_batch(&person, source, key, batch, battery, None)
                }
                Fetched::Steps(reading) => self.store_step_reading(&person, source, key, reading),
            });
            results.push((address.clone(), stored));
        }
        Ok(results)
    }

    /// Keeps a device's battery charge from its latest sync (sealed, like
    /// every record), for the devices list.
    fn remember_battery(&mut self, device: Option<DeviceId>, battery: Option<u8>) -> Result<()> {
        if let (Some(device), Some(percent)) = (device, battery) {
            self.vault.put_record(
                BATTERY_NAMESPACE,
                &device.0.to_string(),
                &[percent.min(100)],
                None,
            )?;
        }
        Ok(())
    }

    /// Stores what a step-counter watch's count means since the last sync
    /// ([`StepTracker`](phr_ble_protocols::infinitime::StepTracker), its
    /// state kept sealed in the vault), with the new state, in one
    /// transaction.
    fn store_step_reading(
        &mut self,
        person: &Person,
        source: &NewDevice,
        key: &str,
        reading: StepReading,
    ) -> Result<SyncSummary> {
        use phr_ble_protocols::infinitime::{StepTracker, StepTrackerState};
        self.check_cancelled("the sync")?;
        let storing = std::time::Instant::now();
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let state: Option<StepTrackerState> = self
            .vault
            .record(STEP_TRACKER_NAMESPACE, key)?
            .map(|bytes| serde_json::from_slice(&bytes))
            .transpose()
            .map_err(|_| {
                ApiError::new(ErrorCode::Tampered, "a step-counter record is unreadable")
            })?;
        let mut tracker = state.map_or_else(StepTracker::new, StepTracker::resume);
        let at = stamper(zone)(reading.utc);
        let steps = tracker.observe(at, reading.cumulative);
        let state = serde_json::to_vec(&tracker.state())
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        let event = AuditEvent::new(
            AuditAction::Sync,
            format!(
                "{}: step count {} read for person {}{}{}",
                source.label,
                reading.cumulative,
                person.id.0,
                reading
                    .clock_offset_seconds
                    .map_or(String::new(), |s| format!(", watch clock {s:+} s")),
                if reading.clock_set {
                    ", watch clock set"
                } else {
                    ""
                }
            ),
        );
        let samples: Vec<Samples> = steps.iter().map(|s| Samples::Steps(vec![*s])).collect();
        let IngestReport {
            device,
            added,
            unchanged,
            ..
        } = self.vault.ingest_with_record(
            person.id,
            source,
            &samples,
            Some((STEP_TRACKER_NAMESPACE, key, &state)),
            &event,
        )?;
        self.remember_battery(device, reading.battery)?;
        let millis = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        Ok(SyncSummary {
            battery_percent: reading.battery,
            device: device.map_or(0, |d| d.0),
            label: source.label.clone(),
            added,
            unchanged,
            days: steps.map(|s| (s.start.local_date(), at.local_date())),
            device_reset: false,
            new_alerts: 0,
            clock_offset_seconds: reading.clock_offset_seconds.map(|s| s as f64),
            timing_ms: Some(SyncTiming {
                link: millis(reading.link),
                decode: 0.0,
                store: millis(storing.elapsed()),
            }),
        })
    }

    /// Reads live heart rate from the wearable at `address` (Heart Rate
    /// service 0x180D) for `seconds`, handing each reading to `on_reading`
    /// as it arrives, and stores the readings taken with skin contact as
    /// heart-rate samples of that wearable for `person`, in one transaction
    /// with its audit entry. A notification that does not decode ends the
    /// session with an error naming device and characteristic, and nothing
    /// of it is stored.
    pub fn live_heart_rate(
        &mut self,
        person: Option<&str>,
        address: &str,
        seconds: u64,
        mut on_reading: impl FnMut(&HeartRateReading),
    ) -> Result<LiveHeartRate> {
        use phr_ble_protocols::standard::{BatteryLevel, HeartRateMeasurement, HEART_RATE_SERVICE};
        use phr_ble_protocols::GattValue;
        let person = self.person(person)?;
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let device_error = |e: phr_ble::BleError| ApiError::new(ErrorCode::Device, e.to_string());
        let runtime = bluetooth_runtime()?;
        let (label, info, battery, raw) = runtime.block_on(async {
            let client = phr_ble::BleClient::new(SYNC_TIMEOUT)
                .await
                .map_err(device_error)?;
            let found = client
                .scan(&[], std::time::Duration::from_secs(2))
                .await
                .map_err(device_error)?;
            let device = scanned(&found, address)?;
            let connection = client.connect(device).await.map_err(device_error)?;
            let result = async {
                if !connection.has(HeartRateMeasurement::CHARACTERISTIC) {
                    return Err(ApiError::new(
                        ErrorCode::Device,
                        format!(
                            "{}: no Heart Rate service ({}) to read live",
                            connection.label(),
                            phr_ble_protocols::uuid_string(HEART_RATE_SERVICE)
                        ),
                    ));
                }
                let info = connection.device_information().await.unwrap_or_default();
                // The battery while we are connected anyway; a watch that
                // will not say is no reason to miss its heart rate.
                let battery = if connection.has(BatteryLevel::CHARACTERISTIC) {
                    connection.read::<BatteryLevel>().await.ok().map(|b| b.0)
                } else {
                    None
                };
                let mut raw = Vec::new();
                connection
                    .listen(
                        HeartRateMeasurement::CHARACTERISTIC,
                        std::time::Duration::from_secs(seconds.max(1)),
                        |value| {
                            let reading = HeartRateMeasurement::decode(&value)
                                .map(|m| HeartRateReading::new(chrono::Utc::now(), zone, &m));
                            if let Ok(reading) = &reading {
                                on_reading(reading);
                            }
                            raw.push(reading);
                        },
                    )
                    .await
                    .map_err(device_error)?;
                Ok((connection.label().to_string(), info, battery, raw))
            }
            .await;
            let _ = connection.disconnect().await;
            result
        })?;
        let readings = raw
            .into_iter()
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::Device,
                    format!("{label}: {e}; nothing from this session was stored"),
                )
            })?;
        let samples: Vec<phr_model::HeartRate> = readings
            .iter()
            .filter(|r| r.bpm > 0 && r.contact != Some(false))
            .map(|r| phr_model::HeartRate {
                at: stamper(zone)(r.utc),
                bpm: r.bpm,
            })
            .collect();
        let source = NewDevice {
            source_key: format!("ble:{}", address.to_ascii_uppercase()),
            label: label.clone(),
            manufacturer: info.manufacturer,
            model: info.model,
            serial: info.serial,
            firmware: info.firmware,
        };
        let event = AuditEvent::new(
            AuditAction::Sync,
            format!(
                "{label}: {} live heart-rate readings for person {}",
                samples.len(),
                person.id.0
            ),
        );
        let added = if samples.is_empty() {
            0
        } else {
            let report =
                self.vault
                    .ingest(person.id, &source, &[Samples::HeartRate(samples)], &event)?;
            self.remember_battery(report.device, battery)?;
            report.added
        };
        Ok(LiveHeartRate {
            device: label,
            address: address.to_string(),
            readings,
            added,
        })
    }

    /// One summary per local day with data, oldest first. Where several
    /// sources recorded the same instant, the source registered first counts.
    pub fn days(&self, person: Option<&str>) -> Result<Vec<DaySummary>> {
        let person = self.person(person)?;
        let zone =
            parse_time_zone(&person.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let devices: Vec<DeviceId> = self
            .vault
            .devices(person.id)?
            .iter()
            .map(|d| d.id)
            .collect();
        let mut epochs: BTreeMap<i64, (NaiveDate, u32, u32)> = BTreeMap::new();
        let mut steps: BTreeMap<i64, (NaiveDate, u32)> = BTreeMap::new();
        for &device in &devices {
            if let Samples::Activity(v) =
                self.vault
                    .samples(device, SampleKind::Activity, i64::MIN..i64::MAX)?
            {
                for e in v {
                    epochs
                        .entry(e.at.utc)
                        .or_insert((e.at.local_date(), e.count, e.epoch_seconds));
                }
            }
            if let Samples::Steps(v) =
                self.vault
                    .samples(device, SampleKind::Steps, i64::MIN..i64::MAX)?
            {
                for s in v {
                    steps
                        .entry(s.start.utc)
                        .or_insert((s.start.local_date(), s.steps));
                }
            }
        }
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
        for (date, count, epoch_seconds) in epochs.into_values() {
            let day = by_day.entry(date).or_insert_with(|| blank(date));
            day.samples += 1;
            day.total_counts += u64::from(count);
            *covered_seconds.entry(date).or_default() += u64::from(epoch_seconds);
        }
        for (date, n) in steps.into_values() {
            let day = by_day.entry(date).or_insert_with(|| blank(date));
            *day.steps.get_or_insert(0) += u64::from(n);
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

    /// Changes the passphrase (the data key is rewrapped, nothing else is
    /// re-encrypted), raising the KDF cost to the current default.
    pub fn change_passphrase(&mut self, new_passphrase: &str) -> Result<()> {
        check_passphrase(new_passphrase)?;
        Ok(self
            .vault
            .change_passphrase(new_passphrase, KdfParams::default())?)
    }

    /// The audit log, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        Ok(self.vault.audit_log()?)
    }

    /// Checks the audit chain; returns the number of entries.
    pub fn verify_audit(&self) -> Result<u64> {
        Ok(self.vault.verify_audit()?)
    }

    /// Opens and checks every sealed record.
    pub fn verify(&self) -> Result<VerifyReport> {
        Ok(self.vault.verify()?)
    }
}
