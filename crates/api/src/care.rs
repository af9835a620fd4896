//! Caregiving: alerts computed from each person's own baseline
//! (`phr-care`), stored sealed in the vault so they are never silently
//! dropped and can be acknowledged, and the weekly digest.

use crate::{ApiError, ErrorCode, Lang, Phr, Result};
use chrono::{Days, NaiveDate};
use phr_care::{Alert, AlertSettings, DayFeatures, FeatureSettings, Recordings, Severity};
use phr_model::{local_midnight, Person, PersonId, Role, SampleKind, Samples};
use phr_vault::{AuditAction, AuditEvent};
use serde::{Deserialize, Serialize};

const TIME: &str = "%Y-%m-%dT%H:%M:%S";
const ALERTS: &str = "alert";
const ALERT_SETTINGS: &str = "alert-settings";
/// Days of history read before the first day asked for: the rhythm rule
/// compares a week with the 14+ days before it.
const LOOKBACK_DAYS: u64 = 22;
/// Days without data that split a person's history into spans evaluated
/// apart: longer than any rule or the learned night looks back (22 and 15
/// days), so no baseline crosses a split.
const SPAN_GAP_DAYS: i64 = 60;

/// An alert as front ends show it (the `phr care alerts --json` contract).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertDto {
    /// Stable id (the same alert keeps it when evaluated again).
    pub id: String,
    /// Whose data.
    pub person: i64,
    /// `night_activity`, `inactivity`, `not_worn` or `rhythm_decline`.
    pub kind: String,
    /// Local start, `YYYY-MM-DDTHH:MM:SS`.
    pub start: String,
    /// Local end, `YYYY-MM-DDTHH:MM:SS`.
    pub end: String,
    /// `info`, `warning` or `urgent`.
    pub severity: String,
    /// Why it fired, in the language asked for.
    pub explanation: String,
    /// The acknowledgement, once given.
    pub acknowledged: Option<Acknowledgement>,
}

/// A caregiver's acknowledgement of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// When (Unix seconds, UTC).
    pub at_utc: i64,
    /// The caregiver's note.
    pub note: String,
}

/// What is stored per alert.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredAlert {
    pub(crate) alert: Alert,
    pub(crate) acknowledged: Option<Acknowledgement>,
}

pub(crate) fn dto(stored: &StoredAlert, lang: Lang) -> AlertDto {
    AlertDto {
        id: stored.alert.id.clone(),
        person: stored.alert.person.0,
        kind: stored.alert.kind.name().to_string(),
        start: stored.alert.start.format(TIME).to_string(),
        end: stored.alert.end.format(TIME).to_string(),
        severity: stored.alert.severity.name().to_string(),
        explanation: stored.alert.explanation.text(lang).to_string(),
        acknowledged: stored.acknowledged.clone(),
    }
}

/// A person as the caregiver's overview lists them (the `phr care people
/// --json` contract): their last day of data and how many alerts wait for
/// an acknowledgement. Fields are in the order printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaredPerson {
    /// The person's id.
    pub id: PersonId,
    /// The last local day with data, if any.
    pub last_day: Option<NaiveDate>,
    /// Name as shown.
    pub name: String,
    /// Alerts not acknowledged yet.
    pub open_alerts: usize,
    /// Of those, `urgent` ones.
    pub open_urgent: usize,
    /// Of those, `warning` ones.
    pub open_warning: usize,
    /// Whole days from the last day with data to today (none without data).
    pub days_since_data: Option<i64>,
    /// When data last came from any of their sources, by sync or import
    /// (Unix seconds, UTC).
    pub last_sync_utc: Option<i64>,
    /// Relation to the vault owner.
    pub role: Role,
    /// IANA time zone.
    pub time_zone: String,
    /// The night window the alerts watch for the last day with data (none
    /// without data).
    pub night_window: Option<NightWindow>,
}

/// The night window of a day: the person's own (learned from the days
/// before it) or the fixed default until enough days are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NightWindow {
    /// Local start, `HH:MM` (often the evening before).
    pub start: String,
    /// Local end, `HH:MM`.
    pub end: String,
    /// Learned from the person's own days, rather than the default.
    pub learned: bool,
}

/// How the alert rules do on simulated people (`docs/care.md`): ordinary
/// weeks, a week with wandering nights, days not worn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvaluation {
    /// The counts.
    pub report: phr_care::EvaluationReport,
    /// Alerts of any kind on ordinary days, per person-week.
    pub false_alarms_per_person_week: f64,
    /// Wandering nights with a `night_activity` alert, 0 to 1.
    pub wandering_detected: f64,
    /// Unworn days overlapped by a `not_worn` alert, 0 to 1.
    pub unworn_detected: f64,
}

/// Runs the alert rules (default thresholds) on `people` simulated people
/// of `weeks` weeks each (seeds `first_seed..`), with planted wandering
/// nights and unworn days, and counts false alarms and detections.
pub fn evaluate_alert_rules(people: u32, weeks: u32, first_seed: u64) -> Result<AlertEvaluation> {
    if people == 0 || !(7..=104).contains(&weeks) {
        return Err(ApiError::invalid(
            "use at least 1 person and 7 to 104 weeks (both events need 7)",
        ));
    }
    let plan = phr_care::EvaluationPlan {
        people,
        first_seed,
        weeks,
        start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
        zone: chrono_tz::Asia::Tokyo,
    };
    let report = phr_care::evaluate_synthetic(
        &plan,
        &FeatureSettings::default(),
        &AlertSettings::default(),
    );
    let ratio = |a: u32, b: u32| f64::from(a) / f64::from(b.max(1));
    Ok(AlertEvaluation {
        false_alarms_per_person_week: f64::from(report.false_alarms.total())
            / report.normal_person_weeks.max(f64::MIN_POSITIVE),
        wandering_detected: ratio(report.wandering_caught, report.wandering_nights),
        unworn_detected: ratio(report.unworn_caught, report.unworn_days),
        report,
    })
}

/// How the alert rules do on real recordings with injected events
/// (`docs/care.md`, "Evaluation on real recordings").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealAlertEvaluation {
    /// The counts, per recording and per injected bout.
    pub report: phr_care::RealEvaluationReport,
    /// Injected wandering bouts with a `night_activity` alert, 0 to 1.
    pub wandering_detected: f64,
    /// Injected unworn days overlapped by a `not_worn` alert, 0 to 1.
    pub unworn_detected: f64,
    /// Night alarms not on an injected bout, per person-month.
    pub false_night_alarms_per_person_month: f64,
    /// Alerts of any kind not explained by an injection, per person-month.
    pub false_alarms_per_person_month: f64,
    /// Night alarms not on an injected bout that the untouched recording
    /// does not raise either (the injections moved the person's baseline or
    /// night enough to raise them), per person-month. The others are the
    /// recording's own nights: real night activity or false alarms, which
    /// no diary of these recordings tells apart.
    pub induced_night_alarms_per_person_month: f64,
}

/// Runs the alert rules (default thresholds) on real recordings (any file
/// `phr import` reads), with wandering bouts and unworn days injected by a
/// seeded protocol, `trials` times per recording.
pub fn evaluate_alert_rules_on_recordings(
    paths: &[std::path::PathBuf],
    trials: u32,
    seed: u64,
) -> Result<RealAlertEvaluation> {
    if paths.is_empty() || !(1..=1000).contains(&trials) {
        return Err(ApiError::invalid(
            "give at least one recording and 1 to 1000 trials",
        ));
    }
    let mut recordings = Vec::with_capacity(paths.len());
    for path in paths {
        let recording = crate::read_recording(path)?;
        recordings.push(phr_care::RealRecording {
            name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            start: recording.start,
            epoch_seconds: recording.epoch_seconds,
            counts: recording.counts,
        });
    }
    let plan = phr_care::InjectionPlan { trials, seed };
    let report = phr_care::evaluate_recordings(
        &recordings,
        &plan,
        &FeatureSettings::default(),
        &AlertSettings::default(),
    );
    let months = report.person_months.max(f64::MIN_POSITIVE);
    Ok(RealAlertEvaluation {
        wandering_detected: report.wandering_detection(),
        unworn_detected: report.unworn_detection(),
        false_night_alarms_per_person_month: f64::from(report.false_alarms.night_activity) / months,
        false_alarms_per_person_month: f64::from(report.false_alarms.total()) / months,
        induced_night_alarms_per_person_month: f64::from(
            report
                .distinct_false_alarms
                .iter()
                .filter(|f| f.kind == phr_care::AlertKind::NightActivity && !f.untouched)
                .map(|f| f.trials)
                .sum::<u32>(),
        ) / months,
        report,
    })
}

/// Rejects thresholds the rules cannot work with.
fn check_alert_settings(s: &AlertSettings) -> Result<()> {
    let mut problems = Vec::new();
    if s.min_baseline_days < 3 || s.baseline_days < s.min_baseline_days || s.baseline_days > 90 {
        problems.push("baseline_days must be 3 to 90 and at least min_baseline_days (3 or more)");
    }
    if !(s.min_worn_fraction > 0.0 && s.min_worn_fraction <= 1.0) {
        problems.push("min_worn_fraction must be above 0 and at most 1");
    }
    let factors = [
        s.night_mad_factor,
        s.night_min_ratio,
        s.night_bout_mad_factor,
        s.night_bout_min_ratio,
        s.inactivity_mad_factor,
        s.inactivity_min_ratio,
        s.rhythm_mad_factor,
        s.rhythm_min_is_drop,
        s.rhythm_min_iv_rise,
        s.rhythm_min_ra_drop,
    ];
    if factors.iter().any(|f| !(f.is_finite() && *f > 0.0)) {
        problems.push("factors, ratios and rhythm changes must be positive numbers");
    }
    if s.night_urgent_bout_minutes < s.night_min_bout_minutes
        || s.inactivity_urgent_minutes < s.inactivity_min_minutes
        || s.not_worn_urgent_hours < s.not_worn_hours
    {
        problems.push("an urgent threshold must not be below its alert threshold");
    }
    if s.not_worn_hours == 0 || s.night_min_bout_minutes == 0 || s.inactivity_min_minutes == 0 {
        problems.push("durations must be above 0");
    }
    if s.rhythm_min_windows == 0
        || s.rhythm_baseline_windows < s.rhythm_min_windows
        || s.rhythm_min_signals == 0
        || s.rhythm_min_signals > 4
    {
        problems.push(
            "rhythm windows must be positive (baseline at least the minimum) and signals 1 to 4",
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "alert settings rejected: {}",
            problems.join("; ")
        )))
    }
}

/// `settings` with the thresholds named in `assignments` (`KEY=VALUE`,
/// keys as in the settings' JSON) changed. Every assignment is checked
/// (known key, a number of the threshold's kind) before anything changes;
/// the result is not yet checked as a whole ([`Phr::set_alert_settings`]
/// does that).
pub fn apply_alert_settings(
    settings: &AlertSettings,
    assignments: &[String],
) -> Result<AlertSettings> {
    let mut value = serde_json::to_value(settings).map_err(json_error)?;
    for assignment in assignments {
        let (key, number) = assignment
            .split_once('=')
            .ok_or_else(|| ApiError::invalid(format!("--set {assignment:?}: use KEY=VALUE")))?;
        let key = key.trim();
        let slot = value.get_mut(key).ok_or_else(|| {
            ApiError::invalid(format!(
                "unknown alert setting {key:?}; `phr care settings` lists them"
            ))
        })?;
        let parsed: serde_json::Number = number
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid(format!("--set {key}: {number:?} is not a number")))?;
        *slot = serde_json::Value::Number(parsed);
    }
    serde_json::from_value(value).map_err(|e| ApiError::invalid(format!("--set: {e}")))
}

fn json_error(e: serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

impl Phr {
    /// Daily features of a person's local days `first..=last`.
    fn day_features(
        &self,
        person: &Person,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<DayFeatures>> {
        self.day_features_with(person, first, last, None)
    }

    /// [`Phr::day_features`], taking the activity epochs from `activity`
    /// (every epoch of each device, [`Phr::activity_of`]) when given instead
    /// of reading them from the vault again: the same epochs, in the same
    /// order.
    fn day_features_with(
        &self,
        person: &Person,
        first: NaiveDate,
        last: NaiveDate,
        activity_read: Option<&crate::DeviceActivity>,
    ) -> Result<Vec<DayFeatures>> {
        let zone = crate::zone_of(person)?;
        // A day's features read the days before it too: 12 h for non-wear
        // runs, and the learning days of the person's own night.
        let settings = FeatureSettings::default();
        let lookback = 1 + u64::from(settings.night_learning_days);
        let from = local_midnight(first - Days::new(lookback), zone);
        let to = local_midnight(last + Days::new(1), zone);
        let (mut activity, mut heart_rate, mut sleep) = (Vec::new(), Vec::new(), Vec::new());
        for device in self.vault.devices(person.id)? {
            let read = activity_read.and_then(|a| a.iter().find(|(id, _)| *id == device.id));
            match read {
                Some((_, epochs)) => activity.extend(
                    epochs
                        .iter()
                        .filter(|e| (from..to).contains(&e.at.utc))
                        .copied(),
                ),
                None => {
                    if let Samples::Activity(v) =
                        self.vault
                            .samples(device.id, SampleKind::Activity, from..to)?
                    {
                        activity.extend(v);
                    }
                }
            }
            if let Samples::HeartRate(v) =
                self.vault
                    .samples(device.id, SampleKind::HeartRate, from..to)?
            {
                heart_rate.extend(v);
            }
            if let Samples::Sleep(v) = self.vault.samples(device.id, SampleKind::Sleep, from..to)? {
                sleep.extend(v);
            }
        }
        let recordings = Recordings {
            activity: &activity,
            heart_rate: &heart_rate,
            sleep: &sleep,
        };
        Ok(phr_care::daily_features(
            &recordings,
            first,
            last,
            &settings,
        ))
    }

    /// The ended local days around the days with data (`data`, in date
    /// order), for alerts: from `LOOKBACK_DAYS` before `since` (or the
    /// first day with data) to the last day with data before `today`.
    fn evaluation_window(
        data: &[NaiveDate],
        since: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Option<(NaiveDate, NaiveDate)> {
        let (Some(&first), Some(&last_data)) = (data.first(), data.last()) else {
            return None;
        };
        let yesterday = today - Days::new(1);
        let last = last_data.min(yesterday);
        let first = since.map_or(first, |s| first.max(s - Days::new(LOOKBACK_DAYS)));
        (first <= last).then_some((first, last))
    }

    /// The alerts of a person's days `first..=last` (`data`: the person's
    /// days with data, in date order), evaluated span by span:
    /// runs of days with data split where no data came for more than
    /// [`SPAN_GAP_DAYS`], each span laid out and evaluated on its own (a
    /// vault holding 1996 and 2011 recordings lays out two spans of weeks,
    /// not fifteen years of minutes). The last day with data before a span
    /// is its history, so a `not_worn` run across the gap starts where the
    /// data stopped, with the id a whole-history evaluation gives it.
    fn evaluate_spans(
        &self,
        person: &Person,
        data: &[NaiveDate],
        (first, last): (NaiveDate, NaiveDate),
        settings: &AlertSettings,
        activity: &crate::DeviceActivity,
    ) -> Result<Vec<Alert>> {
        let mut spans: Vec<(NaiveDate, NaiveDate)> = Vec::new();
        let mut start = first;
        let mut previous = first;
        for &day in data.iter().filter(|d| (first..=last).contains(*d)) {
            if (day - previous).num_days() > SPAN_GAP_DAYS {
                spans.push((start, previous));
                start = day;
            }
            previous = day;
        }
        spans.push((start, last));
        let mut history: Option<DayFeatures> = match data.iter().rev().find(|d| **d < first) {
            Some(&day) => self
                .day_features_with(person, day, day, Some(activity))?
                .pop(),
            None => None,
        };
        let mut merged = Vec::new();
        for (a, b) in spans {
            let mut days: Vec<DayFeatures> = history.take().into_iter().collect();
            let from = days.len();
            days.extend(self.day_features_with(person, a, b, Some(activity))?);
            phr_care::evaluate_days(person.id, &days, from, settings, &mut merged);
            history = days.pop();
        }
        merged.sort_by_key(|a| (a.start, a.kind));
        Ok(merged)
    }

    /// Evaluates and stores a person's alerts; returns the stored ones ending
    /// on or after `since`, oldest first.
    pub(crate) fn evaluate_and_store_alerts(
        &mut self,
        person: &Person,
        since: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Vec<StoredAlert>> {
        self.store_fresh_alerts(person, since, today)?;
        self.stored_alerts(person, since)
    }

    /// Evaluates a person's alerts over the ended days around `since` and
    /// stores the new and changed ones; returns how many are new.
    fn store_fresh_alerts(
        &mut self,
        person: &Person,
        since: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<usize> {
        let mut new = 0;
        // The days with data and the features both need the activity
        // history: read (decoded) once.
        let activity = self.activity_of(person)?;
        let data: Vec<NaiveDate> = self
            .days_from(person, &activity)?
            .iter()
            .map(|d| d.date)
            .collect();
        if let Some(window) = Self::evaluation_window(&data, since, today) {
            let settings = self.alert_settings_of(person)?;
            let fresh = self.evaluate_spans(person, &data, window, &settings, &activity)?;
            for alert in fresh {
                let existing = self
                    .vault
                    .record(ALERTS, &self.vault.lookup_key(ALERTS, &alert.id)?)?;
                let stored: Option<StoredAlert> = existing
                    .map(|v| serde_json::from_slice(&v))
                    .transpose()
                    .map_err(json_error)?;
                if stored.as_ref().is_some_and(|s| s.alert == alert) {
                    continue;
                }
                new += usize::from(stored.is_none());
                let detail = format!(
                    "{} alert {} for person {}",
                    alert.kind.name(),
                    alert.id,
                    person.id.0
                );
                let value = StoredAlert {
                    acknowledged: stored.and_then(|s| s.acknowledged),
                    alert,
                };
                let bytes = serde_json::to_vec(&value).map_err(json_error)?;
                self.vault.put_record(
                    ALERTS,
                    &self.vault.lookup_key(ALERTS, &value.alert.id)?,
                    &bytes,
                    Some(&AuditEvent::new(AuditAction::Profile, detail)),
                )?;
            }
        }
        Ok(new)
    }

    /// A person's stored alerts ending on or after `since`, oldest first.
    fn stored_alerts(&self, person: &Person, since: Option<NaiveDate>) -> Result<Vec<StoredAlert>> {
        let since_time = since.and_then(|s| s.and_hms_opt(0, 0, 0));
        let mut out: Vec<StoredAlert> = Vec::new();
        for (_, value) in self.vault.records(ALERTS)? {
            let stored: StoredAlert = serde_json::from_slice(&value).map_err(json_error)?;
            if stored.alert.person == person.id && since_time.is_none_or(|s| stored.alert.end >= s)
            {
                out.push(stored);
            }
        }
        out.sort_by(|a, b| {
            (a.alert.start, a.alert.kind.name()).cmp(&(b.alert.start, b.alert.kind.name()))
        });
        Ok(out)
    }

    fn alert_settings_of(&self, person: &Person) -> Result<AlertSettings> {
        match self
            .vault
            .record(ALERT_SETTINGS, &person.id.0.to_string())?
        {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(json_error),
            None => Ok(AlertSettings::default()),
        }
    }

    /// A person's alert thresholds (the defaults evaluated in
    /// `docs/care.md` until changed).
    pub fn alert_settings(&self, person: Option<&str>) -> Result<AlertSettings> {
        let person = self.person(person)?;
        self.alert_settings_of(&person)
    }

    /// Changes a person's alert thresholds (checked, stored sealed, audit
    /// logged). Alerts already raised are kept; later evaluations use the
    /// new thresholds.
    pub fn set_alert_settings(
        &mut self,
        person: Option<&str>,
        settings: &AlertSettings,
    ) -> Result<AlertSettings> {
        let person = self.person(person)?;
        check_alert_settings(settings)?;
        let bytes = serde_json::to_vec(settings).map_err(json_error)?;
        self.vault.put_record(
            ALERT_SETTINGS,
            &person.id.0.to_string(),
            &bytes,
            Some(&AuditEvent::new(
                AuditAction::Profile,
                format!("alert settings changed for person {}", person.id.0),
            )),
        )?;
        Ok(*settings)
    }

    /// A person's alert thresholds with `assignments` (`KEY=VALUE`, see
    /// [`apply_alert_settings`]) applied and stored as
    /// [`Phr::set_alert_settings`] does; with no assignments, the current
    /// thresholds, nothing stored.
    pub fn update_alert_settings(
        &mut self,
        person: Option<&str>,
        assignments: &[String],
    ) -> Result<AlertSettings> {
        let current = self.alert_settings(person)?;
        if assignments.is_empty() {
            return Ok(current);
        }
        let changed = apply_alert_settings(&current, assignments)?;
        self.set_alert_settings(person, &changed)
    }

    /// How many of a person's alerts (evaluated and stored first, as
    /// [`Phr::care_alerts`] does) are not acknowledged yet.
    pub fn open_alert_count(&mut self, person: Option<&str>, today: NaiveDate) -> Result<usize> {
        let person = self.person(person)?;
        self.open_alert_count_of(&person, today)
    }

    fn open_alert_count_of(&mut self, person: &Person, today: NaiveDate) -> Result<usize> {
        Ok(self
            .evaluate_and_store_alerts(person, None, today)?
            .iter()
            .filter(|s| s.acknowledged.is_none())
            .count())
    }

    /// Everyone in the vault with their last day of data, last sync and
    /// open alerts by severity (alerts are evaluated and stored first), in
    /// the vault's order.
    pub fn care_people(&mut self, today: NaiveDate) -> Result<Vec<CaredPerson>> {
        let last_ingest = self.last_ingest_by_device()?;
        let mut rows = Vec::new();
        for person in self.people()? {
            let last_day = self.days_of(&person)?.last().map(|d| d.date);
            let open: Vec<Severity> = self
                .evaluate_and_store_alerts(&person, None, today)?
                .iter()
                .filter(|s| s.acknowledged.is_none())
                .map(|s| s.alert.severity)
                .collect();
            let last_sync_utc = self
                .vault
                .devices(person.id)?
                .iter()
                .filter_map(|d| last_ingest.get(&d.id.0).copied())
                .max();
            let count = |severity| open.iter().filter(|s| **s == severity).count();
            let night_window = match last_day {
                Some(day) => {
                    let day = day.min(today);
                    self.day_features(&person, day, day)?
                        .first()
                        .map(|d| NightWindow {
                            start: d.night.window.start.format("%H:%M").to_string(),
                            end: d.night.window.end.format("%H:%M").to_string(),
                            learned: d.night.learned,
                        })
                }
                None => None,
            };
            rows.push(CaredPerson {
                id: person.id,
                last_day,
                name: person.display_name,
                open_alerts: open.len(),
                open_urgent: count(Severity::Urgent),
                open_warning: count(Severity::Warning),
                days_since_data: last_day.map(|d| (today - d).num_days()),
                last_sync_utc,
                role: person.role,
                time_zone: person.time_zone,
                night_window,
            });
        }
        Ok(rows)
    }

    /// Every person's open (unacknowledged) alerts, evaluated and stored
    /// first: the most severe first, then by local start.
    pub fn care_open_alerts_all(&mut self, today: NaiveDate, lang: Lang) -> Result<Vec<AlertDto>> {
        let mut open = Vec::new();
        for person in self.people()? {
            open.extend(
                self.evaluate_and_store_alerts(&person, None, today)?
                    .into_iter()
                    .filter(|s| s.acknowledged.is_none()),
            );
        }
        open.sort_by(|a, b| {
            b.alert
                .severity
                .cmp(&a.alert.severity)
                .then(a.alert.start.cmp(&b.alert.start))
                .then(a.alert.person.0.cmp(&b.alert.person.0))
        });
        Ok(open.iter().map(|s| dto(s, lang)).collect())
    }

    /// Evaluates alerts after new data arrived for `person` from the local
    /// day `since` (by import or sync): the rules run for every new ended
    /// day (`today` defaults to the person's local today by the façade's
    /// clock). Returns how many alerts are new.
    pub(crate) fn alerts_after_new_data(
        &mut self,
        person: &Person,
        since: Option<NaiveDate>,
        today: Option<NaiveDate>,
    ) -> Result<usize> {
        let Some(since) = since else {
            return Ok(0);
        };
        let today = match today {
            Some(today) => today,
            None => {
                let zone = crate::zone_of(person)?;
                phr_model::Stamp::in_zone(self.clock.now_seconds(), zone)
                    .map_err(|e| ApiError::invalid(e.to_string()))?
                    .local_date()
            }
        };
        self.store_fresh_alerts(person, Some(since), today)
    }

    /// Evaluates a person's alerts over every ended day with data, stores
    /// new ones (and longer versions of continuing ones) sealed in the vault,
    /// and returns every stored alert of that person ending on or after
    /// `since`, oldest first. Stored alerts are never dropped.
    pub fn care_alerts(
        &mut self,
        person: Option<&str>,
        since: Option<NaiveDate>,
        today: NaiveDate,
        lang: Lang,
    ) -> Result<Vec<AlertDto>> {
        let person = self.person(person)?;
        let stored = self.evaluate_and_store_alerts(&person, since, today)?;
        Ok(stored.iter().map(|s| dto(s, lang)).collect())
    }

    /// Acknowledges an alert with a note (recorded in the audit log).
    pub fn care_ack(&mut self, id: &str, note: &str, now_utc: i64, lang: Lang) -> Result<AlertDto> {
        if note.trim().is_empty() {
            return Err(ApiError::invalid("the note must not be empty"));
        }
        let key = self.vault.lookup_key(ALERTS, id)?;
        let value = self.vault.record(ALERTS, &key)?.ok_or_else(|| {
            ApiError::invalid(format!("no alert {id:?}; `phr care alerts` lists them"))
        })?;
        let mut stored: StoredAlert = serde_json::from_slice(&value).map_err(json_error)?;
        stored.acknowledged = Some(Acknowledgement {
            at_utc: now_utc,
            note: note.trim().to_string(),
        });
        let bytes = serde_json::to_vec(&stored).map_err(json_error)?;
        let detail = format!(
            "alert {id} acknowledged for person {}",
            stored.alert.person.0
        );
        self.vault.put_record(
            ALERTS,
            &key,
            &bytes,
            Some(&AuditEvent::new(AuditAction::Profile, detail)),
        )?;
        Ok(dto(&stored, lang))
    }

    /// A short readable digest of the last seven ended days.
    pub fn care_digest(
        &mut self,
        person: Option<&str>,
        today: NaiveDate,
        lang: Lang,
    ) -> Result<String> {
        let person = self.person(person)?;
        let last = today - Days::new(1);
        let first = today - Days::new(7);
        let alerts: Vec<Alert> = self
            .evaluate_and_store_alerts(&person, Some(first), today)?
            .into_iter()
            .map(|s| s.alert)
            .collect();
        let days = self.day_features(&person, first, last)?;
        let name = &person.display_name;
        let header = match lang {
            Lang::En => format!("{name}, {first} to {last}\n"),
            Lang::Ja => format!("{name}さん　{first}〜{last}\n"),
        };
        Ok(header + &phr_care::weekly_digest(&days, &alerts, lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tests::vault;

    fn set(assignments: &[&str]) -> Result<AlertSettings> {
        let assignments: Vec<String> = assignments.iter().map(|a| a.to_string()).collect();
        apply_alert_settings(&AlertSettings::default(), &assignments)
    }

    #[test]
    fn assignments_change_only_the_thresholds_named() {
        let changed = set(&["not_worn_hours=8", " night_mad_factor = 2.5 "]).unwrap();
        let expected = AlertSettings {
            not_worn_hours: 8,
            night_mad_factor: 2.5,
            ..AlertSettings::default()
        };
        assert_eq!(changed, expected);
        assert_eq!(set(&[]).unwrap(), AlertSettings::default());
        // The last of two assignments to one key wins.
        assert_eq!(
            set(&["not_worn_hours=8", "not_worn_hours=9"])
                .unwrap()
                .not_worn_hours,
            9
        );
    }

    #[test]
    fn bad_assignments_are_rejected_with_the_reason() {
        for (bad, says) in [
            ("not_worn_hours", "use KEY=VALUE"),
            ("wandering=1", "unknown alert setting \"wandering\""),
            ("not_worn_hours=soon", "is not a number"),
            ("not_worn_hours=2.5", "--set:"),
            ("not_worn_hours=-1", "--set:"),
        ] {
            let err = set(&[bad]).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad}");
            assert!(err.message.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn updating_with_nothing_stores_nothing_and_a_change_is_checked() {
        let (_dir, mut phr) = vault();
        let entries = phr.audit_log().unwrap().len();
        assert_eq!(
            phr.update_alert_settings(None, &[]).unwrap(),
            AlertSettings::default()
        );
        assert_eq!(phr.audit_log().unwrap().len(), entries);
        let err = phr
            .update_alert_settings(None, &["baseline_days=2".into()])
            .unwrap_err();
        assert!(err.message.contains("alert settings rejected"), "{err}");
        let changed = phr
            .update_alert_settings(None, &["not_worn_hours=8".into()])
            .unwrap();
        assert_eq!(changed.not_worn_hours, 8);
        assert_eq!(phr.alert_settings(None).unwrap(), changed);
    }

    #[test]
    fn care_people_lists_last_days_and_open_alerts() {
        let (_dir, mut phr) = vault();
        let haruko = phr.add_person("Tanaka Haruko", "Asia/Tokyo").unwrap();
        let start = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        let mut scenario = phr_synth::Scenario::ordinary(17, start, 21, chrono_tz::Asia::Tokyo);
        scenario.wandering_nights = vec![start + Days::new(15), start + Days::new(17)];
        let log = phr_synth::generate(&scenario);
        let source = phr_model::NewDevice {
            source_key: "test:1".into(),
            label: "Test wearable".into(),
            ..Default::default()
        };
        phr.vault
            .ingest(
                haruko.id,
                &source,
                &[Samples::Activity(log.activity)],
                &AuditEvent::new(AuditAction::Sync, "test data"),
            )
            .unwrap();
        let today = start + Days::new(21);

        let rows = phr.care_people(today).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].name.as_str(), rows[0].role), ("Hana", Role::Owner));
        assert_eq!((rows[0].last_day, rows[0].open_alerts), (None, 0));
        assert_eq!(rows[1].id, haruko.id);
        assert_eq!(rows[1].last_day, today.pred_opt());
        let selector = haruko.id.0.to_string();
        let alerts = phr
            .care_alerts(Some(&selector), None, today, Lang::En)
            .unwrap();
        assert!(
            alerts.iter().filter(|a| a.kind == "night_activity").count() >= 2,
            "{alerts:?}"
        );
        assert_eq!(rows[1].open_alerts, alerts.len());
        phr.care_ack(&alerts[0].id, "seen", 0, Lang::En).unwrap();
        assert_eq!(
            phr.open_alert_count(Some(&selector), today).unwrap(),
            alerts.len() - 1
        );
        assert_eq!(
            phr.care_people(today).unwrap()[1].open_alerts,
            alerts.len() - 1
        );

        let json = serde_json::to_value(&rows[1]).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "days_since_data",
                "id",
                "last_day",
                "last_sync_utc",
                "name",
                "night_window",
                "open_alerts",
                "open_urgent",
                "open_warning",
                "role",
                "time_zone"
            ]
        );
        assert_eq!(json["days_since_data"], 1);
        assert_eq!(json["role"], "cared_for");
    }
}
