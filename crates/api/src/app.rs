//! What the desktop app shows beyond what the CLI prints: one person's
//! dashboard over a period, the device list with each source's last sync,
//! the app's own settings (kept sealed in the vault, never in the webview),
//! the recipients saved for sharing, and a FHIR share that remembers its
//! recipient; and the rules every front end shares about the demo and about
//! syncing several wearables at once. Everything here reads the vault
//! through the same paths as the rest of the façade; nothing is cached.

use crate::{zone_of, Lang, Progress, Selection, ShareRecord, SyncSummary};
use crate::{ApiError, ErrorCode, MetricsDto, NightDto, Phr, RecipientAuth, Result, WeekDto};
use chrono::{NaiveDate, NaiveDateTime};
use phr_model::{local_midnight, parse_time_zone, Person, SampleKind, Samples, Stamp};
use phr_vault::{AuditAction, AuditEvent};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const TIME: &str = "%Y-%m-%dT%H:%M:%S";
const APP_NAMESPACE: &str = "app";
const SETTINGS_KEY: &str = "settings";
/// Where `share.rs` keeps recipients' settings (a test below checks they
/// agree).
const RECIPIENT_NAMESPACE: &str = "recipient";
/// Binarization threshold of the dashboard's analysis (as the report's).
const THRESHOLD: f64 = 4.0;
/// Entries per FHIR transaction bundle when the app shares. Medplum (a
/// production FHIR server, and the repo's test server) refuses a transaction
/// of conditional creates with more than 8 entries; smaller bundles cost
/// round trips but work with such servers and give finer progress.
const BUNDLE_ENTRIES: usize = 8;

/// Shortest idle time before the app locks the vault, in minutes.
pub const MIN_AUTO_LOCK_MINUTES: u32 = 1;
/// Longest idle time before the app locks the vault, in minutes.
pub const MAX_AUTO_LOCK_MINUTES: u32 = 240;
/// Idle minutes before the app locks the vault unless changed.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;

/// Most whole days of history the demo and the simulated wearables hold
/// (ten years).
pub const MAX_DEMO_DAYS: u32 = 3660;

/// `days` if the demo or a simulated wearable can hold that many days of
/// history (1 to [`MAX_DEMO_DAYS`]).
pub fn check_demo_days(days: u32) -> Result<u32> {
    if (1..=MAX_DEMO_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(ApiError::invalid("the demo holds 1 to 3,660 days"))
    }
}

/// Where the demo's vault lives unless told otherwise: `demo.phr` beside
/// the [default vault](crate::default_vault_path).
pub fn default_demo_vault_path() -> Option<PathBuf> {
    crate::default_vault_path().map(|p| p.with_file_name("demo.phr"))
}

/// The first failure of a sync of several wearables as one error (with
/// that device's code), saying how many failed; `None` if all synced.
pub fn sync_failure(results: &[(String, Result<SyncSummary>)]) -> Option<ApiError> {
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    let (address, error) = results
        .iter()
        .find_map(|(a, r)| r.as_ref().err().map(|e| (a, e)))?;
    Some(ApiError::new(
        error.code,
        format!(
            "{failed} of {} device(s) failed; {address}: {}",
            results.len(),
            error.message
        ),
    ))
}

/// A data source with its battery and last sync (the `phr devices list
/// --json` contract: the device's own fields and these two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceListing {
    /// The source as the vault registered it.
    #[serde(flatten)]
    pub device: phr_model::Device,
    /// Battery level at the last sync, when the device reports it.
    pub battery_percent: Option<u8>,
    /// When data last came from it (Unix seconds, UTC).
    pub last_sync_utc: Option<i64>,
}

/// Steps of one local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaySteps {
    /// The local day.
    pub date: NaiveDate,
    /// Steps recorded that day.
    pub steps: u64,
}

/// Worn share of one local day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayFraction {
    /// The local day.
    pub date: NaiveDate,
    /// Worn epochs / epochs of the day, 0 to 1.
    pub fraction: f64,
}

/// Activity counts on the wall-clock grid of whole local days, for a
/// double-plotted actogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActogramDto {
    /// Local midnight of the first day (`YYYY-MM-DDTHH:MM:SS`).
    pub start: String,
    /// Minutes per value.
    pub epoch_minutes: u32,
    /// One value per epoch from `start` to the end of the last day; `None`
    /// where nothing was recorded.
    pub counts: Vec<Option<f64>>,
}

/// One person's period at a glance: what the app's "Today" screen draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// Whose data.
    pub person: Person,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day (inclusive).
    pub to: NaiveDate,
    /// Steps per local day, days with step data only, oldest first.
    pub steps: Vec<DaySteps>,
    /// Nights found (Roenneberg rest periods scored by Cole-Kripke).
    pub nights: Vec<NightDto>,
    /// Activity counts for the actogram.
    pub actogram: ActogramDto,
    /// Circadian metrics over the period on raw counts with non-wear
    /// masked (as the clinician's report), when there is activity data.
    pub metrics: Option<MetricsDto>,
    /// The same per 7-day period, oldest first.
    pub weekly: Vec<WeekDto>,
    /// Worn share per local day with data.
    pub completeness: Vec<DayFraction>,
}

/// A data source as the app lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceSummary {
    /// Source id.
    pub id: i64,
    /// Name of the source.
    pub label: String,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// When data last came from it (sync or import; Unix seconds, UTC).
    pub last_sync_utc: Option<i64>,
    /// Battery level at the last sync, when the device reports it.
    pub battery_percent: Option<u8>,
}

/// The app's own settings, kept sealed in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSettings {
    /// The language chosen for the app; `None` follows the system.
    pub language: Option<Lang>,
    /// Idle minutes before the app locks the vault
    /// ([`MIN_AUTO_LOCK_MINUTES`] to [`MAX_AUTO_LOCK_MINUTES`]).
    pub auto_lock_minutes: u32,
    /// Zone for instants not tied to one person (audit log, shares).
    pub time_zone: String,
}

impl AppSettings {
    /// Checks the values a front end sent.
    pub fn check(&self) -> Result<()> {
        if !(MIN_AUTO_LOCK_MINUTES..=MAX_AUTO_LOCK_MINUTES).contains(&self.auto_lock_minutes) {
            return Err(ApiError::invalid(format!(
                "the auto-lock time must be {MIN_AUTO_LOCK_MINUTES} to {MAX_AUTO_LOCK_MINUTES} minutes"
            )));
        }
        parse_time_zone(&self.time_zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(())
    }
}

/// Places counts of a wall-clock grid (`start`, `epoch_seconds`) on the grid
/// of whole local days `from..=to`, from local midnight of `from`. Epochs
/// that are not whole minutes are summed into minutes. Values outside the
/// days are dropped.
pub fn actogram_grid(
    start: NaiveDateTime,
    epoch_seconds: u32,
    counts: &[Option<f64>],
    from: NaiveDate,
    to: NaiveDate,
) -> ActogramDto {
    let epoch_seconds = epoch_seconds.max(1);
    let target_seconds = if epoch_seconds.is_multiple_of(60) {
        epoch_seconds
    } else {
        60
    };
    let midnight = from.and_time(chrono::NaiveTime::MIN);
    let days = (to - from).num_days().max(0) + 1;
    let n_slots = (days * 86_400 / i64::from(target_seconds)) as usize;
    let mut out: Vec<Option<f64>> = vec![None; n_slots];
    for (epoch_idx, count) in counts.iter().enumerate() {
        let Some(count) = count else { continue };
        let at = start + chrono::Duration::seconds(epoch_idx as i64 * i64::from(epoch_seconds));
        let offset = (at - midnight).num_seconds();
        if offset < 0 {
            continue;
        }
        let slot_idx = (offset / i64::from(target_seconds)) as usize;
        if let Some(slot) = out.get_mut(slot_idx) {
            *slot = Some(slot.unwrap_or(0.0) + count);
        }
    }
    ActogramDto {
        start: midnight.format(TIME).to_string(),
        epoch_minutes: target_seconds / 60,
        counts: out,
    }
}

/// The source ids an audit entry of an ingest names: the vault appends
/// `; source device N;` to a single-source import or sync and
/// `; source devices N, M;` to an import of several sources at once.
pub fn source_devices_of(detail: &str) -> Vec<i64> {
    for mark in ["; source devices ", "; source device "] {
        if let Some(at) = detail.rfind(mark) {
            let list = detail[at + mark.len()..]
                .split(';')
                .next()
                .unwrap_or_default();
            return list
                .split(',')
                .map_while(|id| id.trim().parse().ok())
                .collect();
        }
    }
    Vec::new()
}

fn json_error(e: serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

impl Phr {
    /// The local calendar day of `person` at `now_utc`.
    pub fn local_today(&self, person: Option<&str>, now_utc: i64) -> Result<NaiveDate> {
        let person = self.person(person)?;
        Ok(Stamp::in_zone(now_utc, zone_of(&person)?)
            .map_err(|e| ApiError::invalid(e.to_string()))?
            .local_date())
    }

    /// A person's local days `from..=to` at a glance: steps per day, nights,
    /// the actogram, circadian metrics with their weekly trend, and
    /// completeness. A period without data gives empty lists, not an error.
    pub fn dashboard(
        &self,
        person: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Dashboard> {
        if to < from {
            return Err(ApiError::invalid(format!("{to} is before {from}")));
        }
        if (to - from).num_days() > 366 {
            return Err(ApiError::invalid("the dashboard shows at most a year"));
        }
        let person = self.person(person)?;
        let zone = zone_of(&person)?;
        let range = local_midnight(from, zone)..local_midnight(to.succ_opt().unwrap_or(to), zone);
        let mut merger = crate::steps::StepMerger::default();
        let mut has_activity = false;
        for device in self.vault.devices(person.id)? {
            if let Samples::Steps(v) =
                self.vault
                    .samples(device.id, SampleKind::Steps, range.clone())?
            {
                merger.add_source(&v, |at| at.local_date());
            }
            if !has_activity {
                has_activity = !self
                    .vault
                    .samples(device.id, SampleKind::Activity, range.clone())?
                    .is_empty();
            }
        }
        let steps = merger.per_day();
        let steps = steps
            .into_iter()
            .filter(|(date, _)| (from..=to).contains(date))
            .map(|(date, steps)| DaySteps { date, steps })
            .collect();
        let mut dashboard = Dashboard {
            person,
            from,
            to,
            steps,
            nights: Vec::new(),
            actogram: actogram_grid(from.and_time(chrono::NaiveTime::MIN), 60, &[], from, to),
            metrics: None,
            weekly: Vec::new(),
            completeness: Vec::new(),
        };
        if !has_activity {
            return Ok(dashboard);
        }
        let analysis = self.analysis(&dashboard.person, from, to, THRESHOLD, false)?;
        let recording = &analysis.recording;
        dashboard.actogram = actogram_grid(
            recording.start,
            recording.epoch_seconds,
            &recording.counts,
            from,
            to,
        );
        let report = analysis.report;
        dashboard.nights = report.nights;
        dashboard.metrics = Some(report.raw_worn_only);
        dashboard.weekly = report.weekly_worn_only;
        dashboard.completeness = report
            .completeness
            .into_iter()
            .filter(|d| (from..=to).contains(&d.date))
            .map(|d| DayFraction {
                date: d.date,
                fraction: d.fraction,
            })
            .collect();
        Ok(dashboard)
    }

    /// A person's data sources with when data last came from each (from the
    /// audit log, so syncs and imports by any front end count).
    pub fn device_summaries(&self, person: Option<&str>) -> Result<Vec<DeviceSummary>> {
        let person = self.person(person)?;
        let devices = self.vault.devices(person.id)?;
        let last = self.last_ingest_by_device()?;
        let mut out = Vec::new();
        for d in devices {
            let battery_percent = self
                .vault
                .record(crate::BATTERY_NAMESPACE, &d.id.0.to_string())?
                .and_then(|bytes| bytes.first().copied());
            out.push(DeviceSummary {
                id: d.id.0,
                last_sync_utc: last.get(&d.id.0).copied(),
                label: d.label,
                model: d.model,
                serial: d.serial,
                battery_percent,
            });
        }
        Ok(out)
    }

    /// When data last came from each source (device id to Unix seconds),
    /// by sync or import, read from the audit log once for the vault.
    pub(crate) fn last_ingest_by_device(&self) -> Result<BTreeMap<i64, i64>> {
        let mut last: BTreeMap<i64, i64> = BTreeMap::new();
        for entry in self.vault.audit_log()? {
            if !matches!(entry.action, AuditAction::Sync | AuditAction::Import) {
                continue;
            }
            for device in source_devices_of(&entry.detail) {
                let at = last.entry(device).or_insert(entry.at_utc);
                *at = (*at).max(entry.at_utc);
            }
        }
        Ok(last)
    }

    /// A person's data sources with their battery and last sync, as
    /// [`Phr::devices`] and [`Phr::device_summaries`] give them.
    pub fn device_listing(&self, person: Option<&str>) -> Result<Vec<DeviceListing>> {
        let devices = self.devices(person)?;
        let summaries: BTreeMap<i64, DeviceSummary> = self
            .device_summaries(person)?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        Ok(devices
            .into_iter()
            .map(|device| {
                let summary = summaries.get(&device.id.0);
                DeviceListing {
                    battery_percent: summary.and_then(|s| s.battery_percent),
                    last_sync_utc: summary.and_then(|s| s.last_sync_utc),
                    device,
                }
            })
            .collect())
    }

    /// The demo's vault at `path`, made for a "Demo wearer" in the
    /// [default time zone](crate::DEFAULT_TIME_ZONE) if there is none yet.
    pub fn open_or_init_demo(path: &Path, passphrase: &str) -> Result<Phr> {
        if path.exists() {
            Phr::open(path, passphrase)
        } else {
            Phr::init(path, passphrase, "Demo wearer", crate::DEFAULT_TIME_ZONE)
        }
    }

    /// The app's settings; defaults (system language, auto-lock after
    /// [`DEFAULT_AUTO_LOCK_MINUTES`], the owner's time zone) until saved.
    pub fn app_settings(&self) -> Result<AppSettings> {
        match self.vault.record(APP_NAMESPACE, SETTINGS_KEY)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|_| ApiError::new(ErrorCode::Tampered, "the app settings are unreadable")),
            None => Ok(AppSettings {
                language: None,
                auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
                time_zone: self.person(None)?.time_zone,
            }),
        }
    }

    /// Checks and stores the app's settings (sealed, audit-logged).
    pub fn set_app_settings(&mut self, settings: &AppSettings) -> Result<AppSettings> {
        settings.check()?;
        let bytes = serde_json::to_vec(settings).map_err(json_error)?;
        self.vault.put_record(
            APP_NAMESPACE,
            SETTINGS_KEY,
            &bytes,
            Some(&AuditEvent::new(
                AuditAction::Profile,
                "app settings changed",
            )),
        )?;
        Ok(settings.clone())
    }

    /// The FHIR server URLs with settings saved in the vault, sorted, each
    /// redacted ([`crate::redact_url`]): credentials are refused in URLs
    /// now, but a vault may hold one saved before.
    pub fn saved_recipients(&self) -> Result<Vec<String>> {
        let mut urls = Vec::new();
        for (_, value) in self.vault.records(RECIPIENT_NAMESPACE)? {
            let value: serde_json::Value = serde_json::from_slice(&value)
                .map_err(|_| ApiError::new(ErrorCode::Tampered, "saved recipient unreadable"))?;
            if let Some(url) = value.get("url").and_then(|u| u.as_str()) {
                urls.push(crate::redact_url(url));
            }
        }
        urls.sort();
        urls.dedup();
        Ok(urls)
    }

    /// Shares `selection` with the FHIR server at `url` using the
    /// credentials saved for it (none if nothing is saved, which only
    /// loopback servers accept); after a complete share to a new URL, the
    /// URL is remembered so it can be chosen again.
    pub fn share_to_saved(
        &mut self,
        selection: &Selection,
        url: &str,
        now_utc: i64,
        progress: impl FnMut(Progress),
    ) -> Result<ShareRecord> {
        let saved = self.saved_recipient(url)?;
        let known = saved.is_some();
        let auth = saved.unwrap_or(RecipientAuth::None);
        let record = self.share(selection, url, auth, BUNDLE_ENTRIES, now_utc, progress)?;
        if !known {
            self.save_recipient(url, &RecipientAuth::None)?;
        }
        Ok(record)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, TIME).unwrap()
    }

    #[test]
    fn actogram_starts_at_midnight_of_the_first_day() {
        let grid = actogram_grid(
            at("2026-03-01T00:02:00"),
            60,
            &[Some(5.0), None, Some(7.0)],
            date("2026-03-01"),
            date("2026-03-02"),
        );
        assert_eq!(grid.start, "2026-03-01T00:00:00");
        assert_eq!(grid.epoch_minutes, 1);
        assert_eq!(grid.counts.len(), 2 * 1440);
        assert_eq!(grid.counts[..5], [None, None, Some(5.0), None, Some(7.0)]);
        assert!(grid.counts[5..].iter().all(Option::is_none));
    }

    #[test]
    fn actogram_keeps_ten_minute_records_and_drops_values_outside_the_days() {
        let grid = actogram_grid(
            at("2026-02-28T23:50:00"),
            600,
            &[Some(1.0), Some(2.0), Some(3.0)],
            date("2026-03-01"),
            date("2026-03-01"),
        );
        assert_eq!(grid.epoch_minutes, 10);
        assert_eq!(grid.counts.len(), 144);
        assert_eq!(grid.counts[..3], [Some(2.0), Some(3.0), None]);
    }

    #[test]
    fn actogram_sums_thirty_second_epochs_into_minutes() {
        let grid = actogram_grid(
            at("2026-03-01T00:00:00"),
            30,
            &[Some(1.0), Some(2.0), None, Some(4.0)],
            date("2026-03-01"),
            date("2026-03-01"),
        );
        assert_eq!(grid.epoch_minutes, 1);
        assert_eq!(grid.counts[..3], [Some(3.0), Some(4.0), None]);
    }

    #[test]
    fn source_devices_are_read_from_ingest_entries() {
        let check = |detail: &str, expected: &[i64]| {
            assert_eq!(source_devices_of(detail), expected, "{detail}");
        };
        check(
            "demo wearable, 2026-01-01 to 2026-01-27 for person 1; source device 3; 10 added, 0 replaced, 0 unchanged",
            &[3],
        );
        check(
            "csv file a.csv: 5 activity epochs for person 2; source device 12; 5 added",
            &[12],
        );
        check(
            "export export.zip; source devices 4, 7; 9 added, 0 replaced, 0 unchanged",
            &[4, 7],
        );
        check("vault unlocked", &[]);
        check("; source device x", &[]);
    }

    #[test]
    fn settings_are_checked() {
        let good = AppSettings {
            language: Some(Lang::Ja),
            auto_lock_minutes: 5,
            time_zone: "Asia/Tokyo".into(),
        };
        assert!(good.check().is_ok());
        for bad in [
            AppSettings {
                auto_lock_minutes: 0,
                ..good.clone()
            },
            AppSettings {
                auto_lock_minutes: 241,
                ..good.clone()
            },
            AppSettings {
                time_zone: "Mars/Olympus".into(),
                ..good.clone()
            },
        ] {
            assert_eq!(bad.check().unwrap_err().code, ErrorCode::InvalidInput);
        }
    }

    /// A new vault of Hana's (Asia/Tokyo) in a folder of its own.
    pub(crate) fn vault() -> (tempfile::TempDir, Phr) {
        let dir = tempfile::tempdir().unwrap();
        let phr = Phr::init(
            &dir.path().join("v.phr"),
            "correct horse battery",
            "Hana",
            "Asia/Tokyo",
        )
        .unwrap();
        (dir, phr)
    }

    #[test]
    fn dashboard_of_the_demo_wearable_has_every_part() {
        let (_dir, mut phr) = vault();
        let today = date("2026-03-29");
        let empty = phr
            .dashboard(None, date("2026-03-01"), date("2026-03-28"))
            .unwrap();
        assert!(empty.steps.is_empty() && empty.nights.is_empty() && empty.metrics.is_none());
        assert_eq!(empty.actogram.counts.len(), 28 * 1440);
        assert!(empty.actogram.counts.iter().all(Option::is_none));

        phr.sync_demo(None, today, 28, 1).unwrap();
        let dashboard = phr
            .dashboard(None, date("2026-03-01"), date("2026-03-28"))
            .unwrap();
        assert_eq!(dashboard.person.display_name, "Hana");
        assert_eq!(dashboard.steps.len(), 28);
        assert!(dashboard.steps.iter().all(|d| d.steps > 0));
        assert!(
            dashboard.nights.len() >= 20,
            "{} nights",
            dashboard.nights.len()
        );
        assert_eq!(dashboard.actogram.start, "2026-03-01T00:00:00");
        assert!(
            dashboard
                .actogram
                .counts
                .iter()
                .filter(|c| c.is_some())
                .count()
                > 20 * 1440
        );
        assert!(dashboard.metrics.as_ref().and_then(|m| m.is).is_some());
        // Whole 7-day periods of the grid, which runs from the first to the last epoch.
        assert!(
            (3..=4).contains(&dashboard.weekly.len()),
            "{:?}",
            dashboard.weekly
        );
        assert_eq!(dashboard.completeness.len(), 28);

        let json = serde_json::to_value(&dashboard).unwrap();
        for key in ["IS", "IV", "L5", "M10", "RA", "l5_onset", "m10_onset"] {
            assert!(json["metrics"].get(key).is_some(), "{key}");
        }
        assert_eq!(json["person"]["role"], "owner");

        let err = phr
            .dashboard(None, date("2026-03-02"), date("2026-03-01"))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }

    #[test]
    fn devices_show_their_last_sync() {
        let (_dir, mut phr) = vault();
        assert!(phr.device_summaries(None).unwrap().is_empty());
        assert!(phr.device_listing(None).unwrap().is_empty());
        phr.sync_demo(None, date("2026-03-29"), 3, 1).unwrap();
        let devices = phr.device_summaries(None).unwrap();
        assert_eq!(devices.len(), 1);
        assert!(devices[0].last_sync_utc.is_some());
        assert_eq!(devices[0].serial.as_deref(), Some("DEMO-0001"));

        // The listing: the device's own fields, with battery and last sync.
        let listing = phr.device_listing(None).unwrap();
        assert_eq!(listing.len(), 1);
        assert_eq!(listing[0].device, phr.devices(None).unwrap()[0]);
        assert_eq!(listing[0].last_sync_utc, devices[0].last_sync_utc);
        assert_eq!(listing[0].battery_percent, None);
        let json = serde_json::to_value(&listing[0]).unwrap();
        for key in ["id", "label", "serial", "battery_percent", "last_sync_utc"] {
            assert!(json.get(key).is_some(), "{key}: {json}");
        }
    }

    #[test]
    fn settings_default_then_persist() {
        let (_dir, mut phr) = vault();
        let defaults = phr.app_settings().unwrap();
        assert_eq!(defaults.auto_lock_minutes, DEFAULT_AUTO_LOCK_MINUTES);
        assert_eq!(defaults.language, None);
        assert_eq!(defaults.time_zone, "Asia/Tokyo");
        let changed = AppSettings {
            language: Some(Lang::Ja),
            auto_lock_minutes: 12,
            time_zone: "Europe/London".into(),
        };
        phr.set_app_settings(&changed).unwrap();
        assert_eq!(phr.app_settings().unwrap(), changed);
        assert!(phr
            .set_app_settings(&AppSettings {
                auto_lock_minutes: 0,
                ..changed
            })
            .is_err());
    }

    #[test]
    fn saved_recipients_lists_what_share_saved() {
        let (_dir, mut phr) = vault();
        assert!(phr.saved_recipients().unwrap().is_empty());
        phr.save_recipient("https://ehr.example/fhir", &RecipientAuth::None)
            .unwrap();
        phr.save_recipient("http://127.0.0.1:9/fhir", &RecipientAuth::None)
            .unwrap();
        assert_eq!(
            phr.saved_recipients().unwrap(),
            ["http://127.0.0.1:9/fhir", "https://ehr.example/fhir"]
        );
        // Credentials in a URL are refused, and one saved before that was
        // the rule is listed redacted.
        let err = phr
            .save_recipient("https://u:hunter2@ehr.example/fhir", &RecipientAuth::None)
            .unwrap_err();
        assert!(!err.message.contains("hunter2"), "{err:?}");
        let old = "https://ehr.example/r4?access_token=hunter2";
        let value = serde_json::json!({ "url": old, "auth": "none" }).to_string();
        let key = phr.vault.lookup_key(RECIPIENT_NAMESPACE, old).unwrap();
        phr.vault
            .put_record(RECIPIENT_NAMESPACE, &key, value.as_bytes(), None)
            .unwrap();
        let listed = phr.saved_recipients().unwrap();
        assert!(listed.contains(&"https://ehr.example/r4?access_token=***".to_string()));
        assert!(listed.iter().all(|u| !u.contains("hunter2")), "{listed:?}");
    }

    #[test]
    fn demo_days_are_one_to_ten_years() {
        assert_eq!(check_demo_days(1).unwrap(), 1);
        assert_eq!(check_demo_days(MAX_DEMO_DAYS).unwrap(), MAX_DEMO_DAYS);
        for bad in [0, MAX_DEMO_DAYS + 1, u32::MAX] {
            assert_eq!(
                check_demo_days(bad).unwrap_err().code,
                ErrorCode::InvalidInput
            );
        }
    }

    #[test]
    fn the_demo_vault_sits_beside_the_default_one() {
        if let (Some(demo), Some(vault)) = (default_demo_vault_path(), crate::default_vault_path())
        {
            assert_eq!(demo.parent(), vault.parent());
            assert_eq!(demo.file_name().unwrap(), "demo.phr");
        }
    }

    #[test]
    fn the_demo_vault_is_made_once_then_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.phr");
        let made = Phr::open_or_init_demo(&path, "demo passphrase").unwrap();
        let owner = made.person(None).unwrap();
        assert_eq!(owner.display_name, "Demo wearer");
        assert_eq!(owner.time_zone, crate::DEFAULT_TIME_ZONE);
        drop(made);
        let opened = Phr::open_or_init_demo(&path, "demo passphrase").unwrap();
        assert_eq!(opened.person(None).unwrap(), owner);
        drop(opened);
        let err = Phr::open_or_init_demo(&path, "another passphrase")
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::WrongPassphrase);
    }

    fn summary(label: &str) -> SyncSummary {
        SyncSummary {
            device: 1,
            label: label.into(),
            added: 0,
            unchanged: 0,
            days: None,
            device_reset: false,
            new_alerts: 0,
            clock_offset_seconds: None,
            timing_ms: None,
            battery_percent: None,
        }
    }

    #[test]
    fn a_sync_of_several_fails_with_its_first_failure() {
        let ok = |a: &str| (a.to_string(), Ok(summary(a)));
        let failed = |a: &str, code: ErrorCode| (a.to_string(), Err(ApiError::new(code, "lost")));
        assert_eq!(sync_failure(&[]), None);
        assert_eq!(sync_failure(&[ok("A"), ok("B")]), None);
        let err = sync_failure(&[
            ok("A"),
            failed("B", ErrorCode::Device),
            failed("C", ErrorCode::Remote),
        ])
        .unwrap();
        assert_eq!(err.code, ErrorCode::Device);
        assert_eq!(err.message, "2 of 3 device(s) failed; B: lost");
    }

    #[test]
    fn local_today_follows_the_persons_zone() {
        let (_dir, phr) = vault();
        // 2026-03-01T20:00:00Z is already 2 March in Tokyo.
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T20:00:00Z")
            .unwrap()
            .timestamp();
        assert_eq!(phr.local_today(None, now).unwrap(), date("2026-03-02"));
    }
}
