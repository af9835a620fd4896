//! The shapes of `ui/src/lib/api.ts` where they differ from the façade's
//! DTOs, and the checks on arguments that arrive from the webview as text.
//! Pure functions only: the commands call these and the façade.

use crate::error::CommandError;
use chrono::NaiveDate;
use phr_api::{AlertSettings, AppSettings, FoundDevice, Lang, ShareRecord, ShareType};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Progress of a long operation (`Progress` in api.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in all, when known.
    pub total: Option<u64>,
    /// What is happening: a key of `stage.*` in the UI's locales.
    pub stage: &'static str,
}

impl Progress {
    /// A stage without a count.
    pub fn stage(stage: &'static str) -> Self {
        Progress {
            done: 0,
            total: None,
            stage,
        }
    }

    /// The façade's progress at a stage.
    pub fn of(progress: phr_api::Progress, stage: &'static str) -> Self {
        Progress {
            done: progress.done,
            total: progress.total,
            stage,
        }
    }
}

/// A live heart-rate session's length: 5 s to 2 minutes.
pub fn check_heart_rate_seconds(seconds: u64) -> Result<u64, CommandError> {
    if (5..=120).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(CommandError::invalid(format!(
            "a live heart-rate session lasts 5 to 120 seconds, not {seconds}"
        )))
    }
}

/// Passes at most one progress update per interval to the webview, and
/// always the last one of a stage (done = total).
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last_sent: Option<Instant>,
}

impl Throttle {
    /// A throttle letting one update through per `interval`.
    pub fn new(interval: Duration) -> Self {
        Throttle {
            interval,
            last_sent: None,
        }
    }

    /// Whether to send `progress` at `now`.
    pub fn admit(&mut self, progress: &Progress, now: Instant) -> bool {
        let finished = progress.total.is_some_and(|total| progress.done >= total);
        let due = self
            .last_sent
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if finished || due {
            self.last_sent = Some(now);
            true
        } else {
            false
        }
    }
}

/// Whether a vault exists at the path and is open (`VaultStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VaultStatus {
    /// A file is at the vault path.
    pub exists: bool,
    /// The vault is unlocked.
    pub unlocked: bool,
}

/// A wearable found by a scan (`FoundDevice` in api.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundDeviceWire {
    /// Bluetooth address.
    pub address: String,
    /// Advertised name.
    pub name: Option<String>,
    /// Signal strength (dBm).
    pub rssi: Option<i16>,
    /// The protocol we would sync it with (the first we speak).
    pub protocol: Option<String>,
}

impl From<FoundDevice> for FoundDeviceWire {
    fn from(found: FoundDevice) -> Self {
        FoundDeviceWire {
            protocol: found.protocols.into_iter().next(),
            address: found.address,
            name: found.name,
            rssi: found.rssi,
        }
    }
}

/// Where a share goes (`Recipient` in api.ts).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// A FHIR server's base URL.
    Fhir {
        /// The base URL.
        url: String,
    },
    /// A FHIR bundle file written on this computer.
    File {
        /// Absolute path of the file.
        path: String,
    },
}

/// A recorded share (`ShareRecord` in api.ts): the façade's record with its
/// `result` named `outcome`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareRecordWire {
    /// Sequence number.
    pub id: u64,
    /// When (Unix seconds, UTC).
    pub at_utc: i64,
    /// URL, or `file:` path.
    pub recipient: String,
    /// The person's id.
    pub person: i64,
    /// Record types shared.
    pub types: Vec<String>,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day.
    pub to: NaiveDate,
    /// Resources selected.
    pub resources: usize,
    /// `complete`, `failed`, `cancelled` or `written`.
    pub outcome: String,
    /// Entries the recipient created.
    pub created: usize,
    /// Entries the recipient already had.
    pub existing: usize,
    /// Resources that did not arrive.
    pub not_delivered: usize,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

impl From<ShareRecord> for ShareRecordWire {
    fn from(record: ShareRecord) -> Self {
        ShareRecordWire {
            id: record.id,
            at_utc: record.at_utc,
            recipient: record.recipient,
            person: record.person,
            types: record.types,
            from: record.from,
            to: record.to,
            resources: record.resources,
            outcome: record.result,
            created: record.created,
            existing: record.existing,
            not_delivered: record.not_delivered,
            error: record.error,
        }
    }
}

/// A local date `YYYY-MM-DD` the webview sent; `what` names it in the error.
pub fn parse_date(text: &str, what: &str) -> Result<NaiveDate, CommandError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| CommandError::invalid(format!("{what} {text:?} is not a date (YYYY-MM-DD)")))
}

/// `en` or `ja`.
pub fn parse_lang(text: &str) -> Result<Lang, CommandError> {
    match text {
        "en" => Ok(Lang::En),
        "ja" => Ok(Lang::Ja),
        other => Err(CommandError::invalid(format!(
            "unknown language {other:?}: use en or ja"
        ))),
    }
}

/// Record types by name (`steps`, `sleep`, `activity`, `circadian`,
/// `report`); at least one.
pub fn parse_types(types: &[String]) -> Result<Vec<ShareType>, CommandError> {
    if types.iter().any(|t| t.contains(',')) {
        return Err(CommandError::invalid("a record type name has no commas"));
    }
    ShareType::parse_list(&types.join(",")).map_err(CommandError::from)
}

/// A path the user typed: it must be absolute, since the app's working
/// directory means nothing to them.
pub fn absolute_path(text: &str) -> Result<PathBuf, CommandError> {
    let path = PathBuf::from(text.trim());
    if path.as_os_str().is_empty() {
        return Err(CommandError::invalid("give the path of the file"));
    }
    if !path.is_absolute() {
        return Err(CommandError::invalid(format!(
            "{text:?} is not a full path; give it from the root, e.g. /home/you/Downloads/week.csv"
        )));
    }
    Ok(path)
}

/// Alert thresholds the webview sent (a map of numbers by name): every
/// threshold must be given, whole numbers where the rule counts.
pub fn alert_settings_from(value: serde_json::Value) -> Result<AlertSettings, CommandError> {
    // The webview sends every threshold; one left out is a bug there, not
    // a wish for the default (which is what stored settings get).
    let every = serde_json::to_value(AlertSettings::default()).unwrap_or_default();
    if let (Some(sent), Some(every)) = (value.as_object(), every.as_object()) {
        if let Some(key) = every.keys().find(|k| !sent.contains_key(*k)) {
            return Err(CommandError::invalid(format!(
                "the alert thresholds are not valid: missing field `{key}`"
            )));
        }
    }
    serde_json::from_value(value)
        .map_err(|e| CommandError::invalid(format!("the alert thresholds are not valid: {e}")))
}

/// The app settings the webview sent (`Settings` in api.ts); the façade
/// checks the values.
pub fn app_settings_from(value: serde_json::Value) -> Result<AppSettings, CommandError> {
    serde_json::from_value(value)
        .map_err(|e| CommandError::invalid(format!("the settings are not valid: {e}")))
}

/// Days of history the demo wearable may hold ([`phr_api::check_demo_days`]).
pub fn check_demo_days(days: u32) -> Result<u32, CommandError> {
    Ok(phr_api::check_demo_days(days)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_admits_the_first_each_interval_and_the_last() {
        let start = Instant::now();
        let ms = |n: u64| start + Duration::from_millis(n);
        let mut throttle = Throttle::new(Duration::from_millis(100));
        let at = |done: u64| Progress {
            done,
            total: Some(10),
            stage: "parsing",
        };
        assert!(throttle.admit(&at(1), ms(0)));
        assert!(!throttle.admit(&at(2), ms(50)));
        assert!(throttle.admit(&at(3), ms(100)));
        assert!(!throttle.admit(&at(4), ms(150)));
        assert!(throttle.admit(&at(10), ms(160)), "the last one always goes");
        let unknown = Progress {
            done: 5,
            total: None,
            stage: "fetching",
        };
        assert!(!throttle.admit(&unknown, ms(200)));
        assert!(throttle.admit(&unknown, ms(260)));
    }

    #[test]
    fn progress_serializes_as_the_ui_expects() {
        let json = serde_json::to_value(Progress::of(
            phr_api::Progress {
                done: 3,
                total: None,
            },
            "sending",
        ))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"done": 3, "total": null, "stage": "sending"})
        );
    }

    #[test]
    fn recipients_are_tagged_by_kind() {
        let check = |json: &str, expected: Recipient| {
            assert_eq!(serde_json::from_str::<Recipient>(json).unwrap(), expected);
        };
        check(
            r#"{"kind":"fhir","url":"https://ehr.example/fhir"}"#,
            Recipient::Fhir {
                url: "https://ehr.example/fhir".into(),
            },
        );
        check(
            r#"{"kind":"file","path":"/tmp/b.json"}"#,
            Recipient::File {
                path: "/tmp/b.json".into(),
            },
        );
        assert!(serde_json::from_str::<Recipient>(r#"{"kind":"mail","to":"x"}"#).is_err());
    }

    #[test]
    fn share_records_name_their_result_outcome() {
        let record = ShareRecord {
            id: 2,
            at_utc: 1_700_000_000,
            recipient: "http://127.0.0.1:8080/fhir".into(),
            person: 1,
            types: vec!["steps".into()],
            from: "2026-03-01".parse().unwrap(),
            to: "2026-03-28".parse().unwrap(),
            resources: 31,
            created: 30,
            existing: 0,
            not_delivered: 0,
            result: "complete".into(),
            error: None,
            pseudonymised: false,
        };
        let json = serde_json::to_value(ShareRecordWire::from(record)).unwrap();
        assert_eq!(json["outcome"], "complete");
        assert_eq!(json["from"], "2026-03-01");
        assert_eq!(json["recipient"], "http://127.0.0.1:8080/fhir");
        assert!(json.get("result").is_none());
    }

    #[test]
    fn a_heart_rate_session_lasts_5_to_120_seconds() {
        assert_eq!(check_heart_rate_seconds(30).unwrap(), 30);
        assert!(check_heart_rate_seconds(4).is_err());
        assert!(check_heart_rate_seconds(121).is_err());
    }

    #[test]
    fn found_devices_name_one_protocol() {
        let found = FoundDevice {
            name: Some("Bangle.js 1a2b".into()),
            address: "AA:BB".into(),
            rssi: Some(-60),
            protocols: vec!["banglejs".into(), "heart_rate".into()],
            bonded: None,
        };
        let wire = FoundDeviceWire::from(found);
        assert_eq!(wire.protocol.as_deref(), Some("banglejs"));
        let none = FoundDeviceWire::from(FoundDevice {
            name: None,
            address: "CC".into(),
            rssi: None,
            protocols: vec![],
            bonded: None,
        });
        assert_eq!(none.protocol, None);
    }

    #[test]
    fn text_arguments_are_checked() {
        assert_eq!(
            parse_date("2026-03-01", "from").unwrap().to_string(),
            "2026-03-01"
        );
        let err = parse_date("01/03/2026", "from").unwrap_err();
        assert_eq!(err.code, "invalid_input");
        assert!(err.message.contains("from"));
        assert_eq!(parse_lang("ja").unwrap(), Lang::Ja);
        assert_eq!(parse_lang("fr").unwrap_err().code, "invalid_input");
        assert_eq!(
            parse_types(&["steps".into(), "sleep".into()]).unwrap(),
            [ShareType::Steps, ShareType::Sleep]
        );
        assert_eq!(parse_types(&[]).unwrap_err().code, "invalid_input");
        assert_eq!(
            parse_types(&["steps,sleep".into()]).unwrap_err().code,
            "invalid_input"
        );
        assert_eq!(
            parse_types(&["blood".into()]).unwrap_err().code,
            "invalid_input"
        );
        assert!(absolute_path("/tmp/week.csv").is_ok());
        assert_eq!(absolute_path("week.csv").unwrap_err().code, "invalid_input");
        assert_eq!(absolute_path("  ").unwrap_err().code, "invalid_input");
        assert_eq!(check_demo_days(28).unwrap(), 28);
        assert!(check_demo_days(0).is_err() && check_demo_days(3661).is_err());
    }

    #[test]
    fn settings_arrive_as_the_ui_sends_them() {
        let settings = app_settings_from(serde_json::json!({
            "language": "ja", "auto_lock_minutes": 10, "time_zone": "Asia/Tokyo"
        }))
        .unwrap();
        assert_eq!(settings.language, Some(Lang::Ja));
        assert_eq!(settings.auto_lock_minutes, 10);
        let system = app_settings_from(serde_json::json!({
            "language": null, "auto_lock_minutes": 5, "time_zone": "UTC"
        }))
        .unwrap();
        assert_eq!(system.language, None);
        for bad in [
            serde_json::json!({"language": "fr", "auto_lock_minutes": 5, "time_zone": "UTC"}),
            serde_json::json!({"language": null, "auto_lock_minutes": 2.5, "time_zone": "UTC"}),
            serde_json::json!({"language": null, "time_zone": "UTC"}),
        ] {
            assert_eq!(app_settings_from(bad).unwrap_err().code, "invalid_input");
        }
    }

    #[test]
    fn alert_thresholds_round_trip_and_reject_bad_values() {
        let defaults = serde_json::to_value(AlertSettings::default()).unwrap();
        assert_eq!(
            alert_settings_from(defaults.clone()).unwrap(),
            AlertSettings::default()
        );
        let mut fractional = defaults.clone();
        fractional["baseline_days"] = serde_json::json!(14.5);
        assert_eq!(
            alert_settings_from(fractional).unwrap_err().code,
            "invalid_input"
        );
        let mut missing = defaults;
        missing.as_object_mut().unwrap().remove("night_min_ratio");
        assert_eq!(
            alert_settings_from(missing).unwrap_err().code,
            "invalid_input"
        );
    }
}
