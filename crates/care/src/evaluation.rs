//! Evaluation of the rules on long synthetic recordings (phr-synth):
//! false alarms on ordinary days and detection of planted events.

use chrono::{Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use phr_model::PersonId;
use phr_synth::{generate, Scenario};
use serde::{Deserialize, Serialize};

use crate::features::{daily_features, FeatureSettings, Recordings};
use crate::rules::{evaluate_history, AlertKind, AlertSettings};

/// What to simulate: `people` wearers (seeds `first_seed..`), each for
/// `weeks` weeks from `start`. Week 4 (index 3) holds three wandering
/// nights, week 6 (index 5) two or three consecutive unworn days; the days
/// and nights move with the seed. The first week only builds the baseline.
#[derive(Debug, Clone)]
pub struct EvaluationPlan {
    /// Number of simulated people.
    pub people: u32,
    /// Seed of the first person; person `k` has seed `first_seed + k`.
    pub first_seed: u64,
    /// Weeks per person (at least 7 for both events to be planted).
    pub weeks: u32,
    /// First local day.
    pub start: NaiveDate,
    /// Time zone of every wearer.
    pub zone: Tz,
}

/// Counts per alert kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    /// `night_activity`.
    pub night_activity: u32,
    /// `inactivity`.
    pub inactivity: u32,
    /// `not_worn`.
    pub not_worn: u32,
    /// `rhythm_decline`.
    pub rhythm_decline: u32,
}

impl KindCounts {
    /// The count of one kind.
    pub fn get(&self, kind: AlertKind) -> u32 {
        match kind {
            AlertKind::NightActivity => self.night_activity,
            AlertKind::Inactivity => self.inactivity,
            AlertKind::NotWorn => self.not_worn,
            AlertKind::RhythmDecline => self.rhythm_decline,
        }
    }

    pub(crate) fn bump(&mut self, kind: AlertKind) {
        match kind {
            AlertKind::NightActivity => self.night_activity += 1,
            AlertKind::Inactivity => self.inactivity += 1,
            AlertKind::NotWorn => self.not_worn += 1,
            AlertKind::RhythmDecline => self.rhythm_decline += 1,
        }
    }

    /// Sum over kinds.
    pub fn total(&self) -> u32 {
        self.night_activity + self.inactivity + self.not_worn + self.rhythm_decline
    }
}

/// Measured figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    /// People simulated.
    pub people: u32,
    /// Ordinary (event-free) evaluated days, over 7.
    pub normal_person_weeks: f64,
    /// Alerts not explained by a planted event (see `docs/care.md`).
    pub false_alarms: KindCounts,
    /// Alerts explained by a planted event (including `rhythm_decline`
    /// over a week with events).
    pub event_alerts: KindCounts,
    /// Wandering nights planted.
    pub wandering_nights: u32,
    /// Wandering nights with a `night_activity` alert that morning.
    pub wandering_caught: u32,
    /// Unworn days planted.
    pub unworn_days: u32,
    /// Unworn days overlapped by a `not_worn` alert.
    pub unworn_caught: u32,
}

impl EvaluationReport {
    /// False alarms of `kind` per person-week of ordinary days.
    pub fn false_alarm_rate(&self, kind: AlertKind) -> f64 {
        f64::from(self.false_alarms.get(kind)) / self.normal_person_weeks.max(f64::MIN_POSITIVE)
    }

    /// Share of wandering nights caught (0..1).
    pub fn wandering_detection(&self) -> f64 {
        f64::from(self.wandering_caught) / f64::from(self.wandering_nights.max(1))
    }

    /// Share of unworn days caught (0..1).
    pub fn unworn_detection(&self) -> f64 {
        f64::from(self.unworn_caught) / f64::from(self.unworn_days.max(1))
    }
}

/// Simulates the plan and scores the rules. Pure and deterministic.
pub fn evaluate_synthetic(
    plan: &EvaluationPlan,
    features: &FeatureSettings,
    settings: &AlertSettings,
) -> EvaluationReport {
    let mut report = EvaluationReport {
        people: plan.people,
        ..EvaluationReport::default()
    };
    let mut normal_days = 0u32;
    for k in 0..plan.people {
        let seed = plan.first_seed + u64::from(k);
        let day = |i: i64| plan.start + Duration::days(i);
        let mut scenario = Scenario::ordinary(seed, plan.start, plan.weeks * 7, plan.zone);
        if plan.weeks >= 4 {
            let shift = (seed % 3) as i64;
            scenario.wandering_nights = [0, 2, 4].iter().map(|o| day(21 + o + shift)).collect();
        }
        if plan.weeks >= 7 {
            let first = 36 + (seed % 3) as i64;
            let length = 2 + (seed % 2) as i64;
            scenario.not_worn_days = (first..first + length).map(day).collect();
        }
        let log = generate(&scenario);
        let recordings = Recordings {
            activity: &log.activity,
            heart_rate: &log.heart_rate,
            sleep: &log.sleep,
        };
        let last = day(i64::from(plan.weeks * 7) - 1);
        let days = daily_features(&recordings, plan.start, last, features);
        let alerts = evaluate_history(PersonId(i64::from(k)), &days, settings);

        let wandering_mornings: Vec<NaiveDate> = scenario
            .wandering_nights
            .iter()
            .map(|d| *d + Duration::days(1))
            .collect();
        let unworn = &scenario.not_worn_days;
        let is_event = |d: NaiveDate| wandering_mornings.contains(&d) || unworn.contains(&d);
        report.wandering_nights += wandering_mornings.len() as u32;
        report.unworn_days += unworn.len() as u32;
        report.wandering_caught += wandering_mornings
            .iter()
            .filter(|&&m| {
                alerts
                    .iter()
                    .any(|a| a.kind == AlertKind::NightActivity && a.start.date() == m)
            })
            .count() as u32;
        report.unworn_caught += unworn
            .iter()
            .filter(|&&d| {
                let (from, to) = (
                    d.and_time(NaiveTime::MIN),
                    (d + Duration::days(1)).and_time(NaiveTime::MIN),
                );
                alerts
                    .iter()
                    .any(|a| a.kind == AlertKind::NotWorn && a.start < to && a.end > from)
            })
            .count() as u32;
        normal_days += (7..plan.weeks as i64 * 7)
            .map(day)
            .filter(|&d| !is_event(d))
            .count() as u32;
        for alert in &alerts {
            let explained = match alert.kind {
                AlertKind::NightActivity => wandering_mornings.contains(&alert.start.date()),
                AlertKind::Inactivity => is_event(alert.start.date()),
                AlertKind::NotWorn => unworn.iter().any(|&d| {
                    alert.start < (d + Duration::days(1)).and_time(NaiveTime::MIN)
                        && alert.end > d.and_time(NaiveTime::MIN)
                }),
                AlertKind::RhythmDecline => {
                    let mut d = alert.start.date();
                    let mut any = false;
                    while d.and_time(NaiveTime::MIN) < alert.end {
                        any |= is_event(d);
                        d += Duration::days(1);
                    }
                    any
                }
            };
            if explained {
                report.event_alerts.bump(alert.kind);
            } else {
                report.false_alarms.bump(alert.kind);
            }
        }
    }
    report.normal_person_weeks = f64::from(normal_days) / 7.0;
    report
}
