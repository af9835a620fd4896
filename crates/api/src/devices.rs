//! Wearables: scanning, pairing and syncing through `phr-wearables`, and
//! storing each sync's [`Outcome`](phr_wearables::Outcome) with its
//! checkpoint and audit entry in one vault transaction. Nothing here speaks
//! a protocol; a wearable protocol is added in `phr-wearables` alone.

use crate::{zone_of, ApiError, ErrorCode, Phr, Progress, Result};
use chrono::NaiveDate;
use phr_model::{DeviceId, NewDevice, Person, Samples};
use phr_vault::{AuditAction, AuditEvent, IngestReport, Vault};
use phr_wearables::{Outcome, Protocol, SyncRequest, Target, WearableError};
use serde::Serialize;

/// Where each device's battery charge at its latest sync is kept.
pub(crate) const BATTERY_NAMESPACE: &str = "battery";

/// Where paired wearables are kept.
const PAIRED_NAMESPACE: &str = "paired";

/// What a sync stored.
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
    fn new(reading: &phr_wearables::LiveReading, zone: chrono_tz::Tz) -> Self {
        let m = &reading.measurement;
        HeartRateReading {
            at: chrono::DateTime::from_timestamp(reading.utc, 0)
                .map(|at| {
                    at.with_timezone(&zone)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
                })
                .unwrap_or_default(),
            utc: reading.utc,
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
    /// The protocol it is synced with (see [`Protocol::choose`]).
    pub fn protocol(&self) -> Option<Protocol> {
        Protocol::choose(&self.protocols)
    }
}

/// A wearable error as the façade reports it: the sync protocol failing
/// (a dropped link, a bad record) is `remote`; the radio, the adapter or
/// the wearable itself is `device`.
fn wearable_error(error: WearableError) -> ApiError {
    let code = match &error {
        WearableError::Sync(_) => ErrorCode::Remote,
        WearableError::Checkpoint(_) => ErrorCode::Tampered,
        WearableError::Runtime(_) => ErrorCode::Internal,
        _ => ErrorCode::Device,
    };
    ApiError::new(code, error.to_string())
}

/// Scans for `seconds` for wearables advertising a service we speak
/// (every [`Protocol`], and Heart Rate for live readings), through the
/// system's BlueZ with btleplug.
pub fn scan_devices(seconds: u64) -> Result<Vec<FoundDevice>> {
    let found = phr_wearables::scan(seconds).map_err(|e| {
        ApiError::new(
            ErrorCode::Device,
            format!("{e} (without an adapter, `phr sync --simulated` uses the built-in simulated wearable)"),
        )
    })?;
    Ok(found
        .into_iter()
        .map(|d| FoundDevice {
            name: d.name,
            address: d.address,
            rssi: d.rssi,
            protocols: d.protocols,
            bonded: None,
        })
        .collect())
}

/// The vault key of a source's checkpoint (keyed, see [`Vault::lookup_key`]).
fn checkpoint_key(
    vault: &Vault,
    protocol: Protocol,
    person: &Person,
    source: &NewDevice,
) -> Result<String> {
    let text = format!("{}|{}", person.id.0, source.source_key);
    Ok(vault.lookup_key(protocol.checkpoint_namespace(), &text)?)
}

fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Phr {
    /// The person's local date now, by the façade's clock.
    fn today_of(&self, person: &Person) -> Result<NaiveDate> {
        let zone = zone_of(person)?;
        phr_model::Stamp::in_zone(self.clock.now_seconds(), zone)
            .map(|s| s.local_date())
            .map_err(|e| ApiError::invalid(e.to_string()))
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
        faults: phr_wearables::LinkFaults,
        mut progress: impl FnMut(Progress),
    ) -> Result<SyncSummary> {
        let person = self.person(person)?;
        let zone = zone_of(&person)?;
        let start = today - chrono::Days::new(u64::from(days));
        let log = phr_synth::generate(&phr_synth::Scenario::ordinary(seed, start, days, zone));
        let history = phr_wearables::history_from_lifelog(&log);
        let label = format!("Bangle.js (simulated {seed})");
        let source = NewDevice {
            source_key: format!("sim-banglejs:{seed}"),
            label: label.clone(),
            manufacturer: Some("Espruino (simulated)".into()),
            model: Some("Bangle.js 2".into()),
            serial: Some(format!("SIM-{seed:04}")),
            firmware: Some(env!("CARGO_PKG_VERSION").into()),
        };
        let protocol = Protocol::BangleJs;
        let key = checkpoint_key(&self.vault, protocol, &person, &source)?;
        let checkpoint = self.read_checkpoint(protocol, &key)?;
        let mut link = phr_wearables::SimulatedLink::new(&label, history, faults);
        let request = SyncRequest {
            checkpoint: checkpoint.as_deref(),
            zone,
            clock: self.clock.as_ref(),
        };
        let outcome = phr_wearables::sync_simulated(&mut link, &request, &mut |p| {
            progress(Progress {
                done: p.records,
                total: p.expected,
            })
        })
        .map_err(wearable_error)?;
        let mut summary =
            self.store_outcome(&person, &source, protocol, &key, outcome, Some(today))?;
        summary.days = Some((start, today.pred_opt().unwrap_or(today)));
        Ok(summary)
    }

    fn read_checkpoint(&self, protocol: Protocol, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.vault.record(protocol.checkpoint_namespace(), key)?)
    }

    /// Stores a sync's outcome, its checkpoint, the battery and the audit
    /// entry, then evaluates alerts on new activity (as of `today`, else
    /// the person's today by the façade's clock).
    fn store_outcome(
        &mut self,
        person: &Person,
        source: &NewDevice,
        protocol: Protocol,
        key: &str,
        outcome: Outcome,
        today: Option<NaiveDate>,
    ) -> Result<SyncSummary> {
        self.check_cancelled("the sync")?;
        let storing = std::time::Instant::now();
        let event = AuditEvent::new(
            AuditAction::Sync,
            format!(
                "{} for person {}: {}",
                source.label, person.id.0, outcome.detail
            ),
        );
        let record = outcome
            .checkpoint
            .as_deref()
            .map(|bytes| (protocol.checkpoint_namespace(), key, bytes));
        let IngestReport {
            device,
            added,
            unchanged,
            ..
        } = self
            .vault
            .ingest_with_record(person.id, source, &outcome.samples, record, &event)?;
        self.remember_battery(device, outcome.battery)?;
        let new_alerts = match outcome.activity_days() {
            Some((first, _)) => {
                let today = match today {
                    Some(today) => today,
                    None => self.today_of(person)?,
                };
                self.alerts_after_new_data(person, Some(first), Some(today))?
            }
            None => 0,
        };
        Ok(SyncSummary {
            device: device.map_or(0, |d| d.0),
            label: source.label.clone(),
            added,
            unchanged,
            days: outcome.days(),
            device_reset: outcome.device_reset,
            new_alerts,
            clock_offset_seconds: outcome.clock_offset_seconds,
            timing_ms: Some(SyncTiming {
                link: millis(outcome.timing.link),
                decode: millis(outcome.timing.decode),
                store: millis(storing.elapsed()),
            }),
            battery_percent: outcome.battery,
        })
    }

    /// Remembers a wearable found by a scan (address `address`) as a source
    /// of `person`, so `phr sync` syncs it, bonding first if it insists.
    /// Kept sealed in the vault.
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
        let protocol = Protocol::choose(&found.protocols).ok_or_else(|| {
            ApiError::invalid(format!(
                "{address} speaks {}; syncing is supported for Bangle.js, InfiniTime and Physical Activity Monitor (PAMS) wearables (`phr devices heart-rate` reads live heart rate from others)",
                found.protocols.join(", ")
            ))
        })?;
        let bonded = phr_wearables::pair(&found.address, protocol).map_err(wearable_error)?;
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
            PAIRED_NAMESPACE,
            &self.vault.lookup_key(
                PAIRED_NAMESPACE,
                &format!("{}|{}", person.id.0, found.address),
            )?,
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
        self.paired_of(&person)
    }

    fn paired_of(&self, person: &Person) -> Result<Vec<PairedDevice>> {
        let mut out = Vec::new();
        for (_, value) in self.vault.records(PAIRED_NAMESPACE)? {
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
    /// `address`), one after the other: each fetches what it holds after its
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
    /// address, records received and, where the protocol can tell, about
    /// how many are to come) as notifications arrive.
    pub fn sync_bluetooth_with_progress(
        &mut self,
        person: Option<&str>,
        address: Option<&str>,
        scan_seconds: u64,
        mut progress: impl FnMut(&str, Progress),
    ) -> Result<Vec<(String, Result<SyncSummary>)>> {
        self.start_cancellable();
        let person = self.person(person)?;
        let zone = zone_of(&person)?;
        let mut paired = self.paired_of(&person)?;
        if let Some(address) = address {
            paired.retain(|d| d.address.eq_ignore_ascii_case(address));
            if paired.is_empty() {
                return Err(ApiError::invalid(format!(
                    "{address} is not paired: run `phr devices pair {address}` first"
                )));
            }
        }
        if paired.is_empty() {
            return Err(ApiError::invalid(
                "no paired wearables: `phr devices scan`, then `phr devices pair ADDRESS` (or `phr sync --simulated`)",
            ));
        }
        let mut plans = Vec::new();
        let mut targets = Vec::new();
        for device in paired {
            let Some(protocol) = device.protocol() else {
                continue;
            };
            let (kind, model) = protocol.kind_and_model();
            let source = NewDevice {
                source_key: format!("ble:{}", device.address),
                label: device
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{kind} {}", device.address)),
                model: Some(model.into()),
                ..NewDevice::default()
            };
            let key = checkpoint_key(&self.vault, protocol, &person, &source)?;
            targets.push(Target {
                address: device.address.clone(),
                protocol,
                checkpoint: self.read_checkpoint(protocol, &key)?,
            });
            plans.push((device.address, source, protocol, key));
        }
        let outcomes =
            phr_wearables::sync(&targets, scan_seconds, zone, self.clock.as_ref(), |a, p| {
                progress(
                    a,
                    Progress {
                        done: p.records,
                        total: p.expected,
                    },
                )
            });
        let mut results = Vec::new();
        for ((address, source, protocol, key), outcome) in plans.into_iter().zip(outcomes) {
            let stored = outcome.map_err(wearable_error).and_then(|outcome| {
                self.store_outcome(&person, &source, protocol, &key, outcome, None)
            });
            results.push((address, stored));
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
        let person = self.person(person)?;
        let zone = zone_of(&person)?;
        let session =
            phr_wearables::live_heart_rate(address, seconds, self.clock.as_ref(), |reading| {
                on_reading(&HeartRateReading::new(reading, zone))
            })
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::Device,
                    format!("{e}; nothing from this session was stored"),
                )
            })?;
        let readings: Vec<HeartRateReading> = session
            .readings
            .iter()
            .map(|r| HeartRateReading::new(r, zone))
            .collect();
        let stamp =
            |utc| phr_model::Stamp::in_zone(utc, zone).unwrap_or(phr_model::Stamp::new(utc, 0));
        let samples: Vec<phr_model::HeartRate> = readings
            .iter()
            .filter(|r| r.bpm > 0 && r.contact != Some(false))
            .map(|r| phr_model::HeartRate {
                at: stamp(r.utc),
                bpm: r.bpm,
            })
            .collect();
        let label = session.label;
        let source = NewDevice {
            source_key: format!("ble:{}", address.to_ascii_uppercase()),
            label: label.clone(),
            manufacturer: session.info.manufacturer,
            model: session.info.model,
            serial: session.info.serial,
            firmware: session.info.firmware,
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
            self.remember_battery(report.device, session.battery)?;
            report.added
        };
        Ok(LiveHeartRate {
            device: label,
            address: address.to_string(),
            readings,
            added,
        })
    }
}
