//! Evaluation of the rules on **real** recordings: wandering bouts and
//! unworn days are injected into real wrist actigraphy with a documented,
//! seeded protocol, and the alerts are scored against what was injected.
//!
//! The protocol (`docs/care.md`, "Evaluation on real recordings"):
//!
//! * Each recording is resampled to one-minute counts on its own wall-clock
//!   grid. A whole day is *worn* when it has at least 20 h of data, no
//!   zero (or missing) run of 12 h or more and at least 4 h of minutes
//!   above 4 counts: a rule on the raw counts, not the wear rule under test. Real recordings hold days off the wrist.
//! * A day is *eligible* when it and the day before are worn and at least 7
//!   of the 14 days before it are worn together with their day before (worn
//!   nights): only then can a baseline rule know the person. Injections go on eligible days only, and only alerts that
//!   start on eligible days are scored.
//! * The person's sleep is found on the **untouched** recording with
//!   Roenneberg's rest detection (`phr_analysis::rest_periods`, pyActigraphy's
//!   defaults), so where "inside the person's sleep" lies does not depend on
//!   the rules being tested: a night's sleep is its longest rest period with
//!   its middle between 20:00 and 08:00.
//! * Each trial (seeded by `seed`, the recording and the trial number) picks
//!   two nights ending on eligible mornings, at least two days apart, each
//!   with a rest period of at least 4 h, and overwrites one wandering bout in
//!   each:
//!   a length of 45, 90 or 150 minutes (shortened to fit the rest period
//!   with 15 min to spare each side), at 20 %, 50 % or 80 % into the rest
//!   period, at an intensity of the 25th or 50th percentile of the person's
//!   own active daytime minutes (count > 4, 09:00–20:00, worn days),
//!   minute by minute times a factor in 0.5–1.5 and one minute in ten a
//!   pause at a tenth of that (pottering, not a steady walk).
//! * It also picks one eligible day, two days or more from a wandering
//!   night, and sets every minute of it to 0: a watch left on a table (no
//!   heart rate).
//! * A `night_activity` alert overlapping an injected bout catches it; one
//!   that overlaps none is a false alarm. A `not_worn` alert overlapping the
//!   unworn day catches it; one overlapping a zero or missing run of 12 h or
//!   more in the untouched recording is the recording's own non-wear, counted
//!   apart; any other alert is a false alarm of its kind (the untouched
//!   recording may hold real events, so these are an upper bound).
//! * Person-months are the eligible days without an injection, over 30.44.
//!   Trials reuse the same real nights with new injections, so the false
//!   alarms of the untouched recordings (also reported) are the figure on
//!   independent nights.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use phr_analysis::{EpochSeries, RoennebergOptions};
use phr_model::{ActivityEpoch, PersonId, Stamp};
use serde::{Deserialize, Serialize};

use crate::evaluation::KindCounts;
use crate::features::{daily_features, FeatureSettings, Recordings};
use crate::rules::{evaluate_history, AlertKind, AlertSettings};

/// Worn days among the 14 before a day that make it eligible.
const BASELINE_DAYS: usize = 7;
/// A zero or missing run this long (minutes) means the day was not worn.
const UNWORN_RUN: usize = 720;
/// Bout lengths injected, in minutes.
const BOUT_MINUTES: [u32; 3] = [45, 90, 150];
/// Where in the rest period a bout lies (share of the room left).
const POSITIONS: [f64; 3] = [0.2, 0.5, 0.8];
/// Intensities: percentiles of the person's active daytime minutes.
const INTENSITIES: [f64; 2] = [0.25, 0.5];
/// Days in a person-month.
const DAYS_PER_MONTH: f64 = 30.44;

/// One real recording: counts on the file's own wall-clock grid.
#[derive(Debug, Clone)]
pub struct RealRecording {
    /// What to call it in the report (e.g. the file name).
    pub name: String,
    /// Wall-clock time of the first epoch.
    pub start: NaiveDateTime,
    /// Epoch length in seconds (60 or a divisor or multiple of it).
    pub epoch_seconds: u32,
    /// Count per epoch; `None` where nothing was recorded.
    pub counts: Vec<Option<f64>>,
}

/// How many trials and which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectionPlan {
    /// Trials per recording, each with new nights, bouts and unworn day.
    pub trials: u32,
    /// Seed of the whole evaluation.
    pub seed: u64,
}

/// One injected wandering bout and whether it was caught.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectedBout {
    /// Recording name.
    pub recording: String,
    /// Trial number.
    pub trial: u32,
    /// Local start of the bout.
    pub start: NaiveDateTime,
    /// Length in minutes.
    pub minutes: u32,
    /// Share of the rest period before it (0.2, 0.5 or 0.8).
    pub position: f64,
    /// Percentile of active daytime minutes used as its level.
    pub intensity_percentile: f64,
    /// The count level that percentile gave.
    pub level: f64,
    /// Whether a `night_activity` alert overlapped it.
    pub caught: bool,
}

/// Figures of one recording (summed over its trials).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingFigures {
    /// Recording name.
    pub name: String,
    /// Whole days in the recording.
    pub days: u32,
    /// Worn whole days (see the module docs).
    pub worn_days: u32,
    /// Eligible days: scored in every trial.
    pub scored_days: u32,
    /// Whether it was used (two eligible nights with a rest period of 4 h).
    pub used: bool,
    /// Alerts on the untouched recording, per kind, starting on eligible
    /// days (its own non-wear left out).
    pub untouched_alerts: KindCounts,
    /// Wandering bouts injected / caught.
    pub wandering: (u32, u32),
    /// Unworn days injected / caught.
    pub unworn: (u32, u32),
    /// Alerts not explained by an injection, per kind.
    pub unexplained: KindCounts,
    /// `not_worn` alerts on the recording's own non-wear (12 h or more of
    /// zeros or no data in the untouched recording), over all trials.
    pub own_non_wear: u32,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealEvaluationReport {
    /// The plan it ran.
    pub plan: InjectionPlan,
    /// Per recording.
    pub recordings: Vec<RecordingFigures>,
    /// Every injected bout.
    pub bouts: Vec<InjectedBout>,
    /// Eligible days without an injection, over 30.44, summed over trials.
    pub person_months: f64,
    /// Eligible days of the untouched recordings, over 30.44.
    pub untouched_person_months: f64,
    /// `not_worn` alerts on the recordings' own non-wear, over all trials.
    pub own_non_wear: u32,
    /// Wandering bouts injected.
    pub wandering_nights: u32,
    /// Of those, caught.
    pub wandering_caught: u32,
    /// Unworn days injected.
    pub unworn_days: u32,
    /// Of those, caught.
    pub unworn_caught: u32,
    /// Alerts not explained by an injection, per kind, over all trials.
    pub false_alarms: KindCounts,
    /// Alerts on the untouched recordings, per kind.
    pub untouched_alerts: KindCounts,
    /// The false alarms once each (several trials raise the same alert on
    /// the same real night), with their recording.
    pub distinct_false_alarms: Vec<FalseAlarm>,
}

/// A false alarm, as the trials raised it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FalseAlarm {
    /// Recording name.
    pub recording: String,
    /// The alert.
    pub kind: AlertKind,
    /// Local start.
    pub start: NaiveDateTime,
    /// Local end.
    pub end: NaiveDateTime,
    /// In how many trials.
    pub trials: u32,
    /// Whether the untouched recording raises it too (then it is about the
    /// real night, not the injections).
    pub untouched: bool,
    /// The English explanation.
    pub explanation: String,
}

impl RealEvaluationReport {
    /// Share of wandering bouts caught (0..1).
    pub fn wandering_detection(&self) -> f64 {
        f64::from(self.wandering_caught) / f64::from(self.wandering_nights.max(1))
    }

    /// Share of unworn days caught (0..1).
    pub fn unworn_detection(&self) -> f64 {
        f64::from(self.unworn_caught) / f64::from(self.unworn_days.max(1))
    }

    /// False alarms of `kind` per person-month of scored days.
    pub fn false_alarms_per_person_month(&self, kind: AlertKind) -> f64 {
        f64::from(self.false_alarms.get(kind)) / self.person_months.max(f64::MIN_POSITIVE)
    }
}

/// One-minute counts on a wall-clock grid starting at a whole minute.
struct MinuteGrid {
    start: NaiveDateTime,
    counts: Vec<Option<f64>>,
}

impl MinuteGrid {
    fn from_recording(rec: &RealRecording) -> Option<Self> {
        let epoch = i64::from(rec.epoch_seconds.max(1));
        let start = rec.start.with_second(0)?.with_nanosecond(0)?;
        let offset = (rec.start - start).num_seconds();
        let span = offset + epoch * rec.counts.len() as i64;
        let n = usize::try_from((span + 59) / 60).ok()?;
        let mut counts: Vec<Option<f64>> = vec![None; n];
        for (i, c) in rec.counts.iter().enumerate() {
            let Some(c) = c else { continue };
            let from = offset + epoch * i as i64;
            // An epoch longer than a minute is spread evenly over its minutes.
            let minutes = (epoch / 60).max(1);
            for k in 0..minutes {
                let m = usize::try_from((from + 60 * k) / 60).ok()?;
                if let Some(slot) = counts.get_mut(m) {
                    *slot = Some(slot.unwrap_or(0.0) + c / minutes as f64);
                }
            }
        }
        Some(Self { start, counts })
    }

    fn index(&self, t: NaiveDateTime) -> Option<usize> {
        usize::try_from((t - self.start).num_minutes())
            .ok()
            .filter(|&i| i < self.counts.len())
    }

    fn time(&self, i: usize) -> NaiveDateTime {
        self.start + Duration::minutes(i as i64)
    }

    /// Whole local days covered, first to last.
    fn whole_days(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first_full = if self.start.time() == NaiveTime::MIN {
            self.start.date()
        } else {
            self.start.date() + Duration::days(1)
        };
        let end = self.time(self.counts.len());
        let last_full = end.date() - Duration::days(1);
        (first_full <= last_full).then_some((first_full, last_full))
    }

    /// Every maximal zero-or-missing run, as (start, end) indices.
    fn zero_runs(&self) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut start: Option<usize> = None;
        for i in 0..=self.counts.len() {
            let zero = self
                .counts
                .get(i)
                .is_some_and(|c| c.is_none_or(|c| c < 1.0));
            match (zero, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    runs.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        runs
    }

    /// The zero or missing runs of 12 h or more, as local spans.
    fn unworn_runs(&self) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        self.zero_runs()
            .into_iter()
            .filter(|(a, b)| b - a >= UNWORN_RUN)
            .map(|(a, b)| (self.time(a), self.time(b)))
            .collect()
    }

    /// A whole day with 20 h of data, no zero or missing run of 12 h or
    /// more within it, and 4 h of minutes above 4 counts (awake on a wrist).
    fn worn_day(&self, day: NaiveDate) -> bool {
        let from = day.and_time(NaiveTime::MIN);
        let (Some(a), Some(b)) = (self.index(from), self.index(from + Duration::minutes(1439)))
        else {
            return false;
        };
        let present = self.counts[a..=b].iter().filter(|c| c.is_some()).count();
        let mut run = 0usize;
        let mut longest = 0usize;
        for c in &self.counts[a..=b] {
            run = if c.is_none_or(|c| c < 1.0) {
                run + 1
            } else {
                0
            };
            longest = longest.max(run);
        }
        let active = self.counts[a..=b]
            .iter()
            .filter(|c| c.is_some_and(|c| c > 4.0))
            .count();
        present >= 20 * 60 && longest < UNWORN_RUN && active >= 240
    }

    /// Minute epochs with offset 0 (the grid is the wearer's wall clock).
    fn epochs(&self) -> Vec<ActivityEpoch> {
        self.counts
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let c = (*c)?;
                Some(ActivityEpoch {
                    at: Stamp::new(self.time(i).and_utc().timestamp(), 0),
                    epoch_seconds: 60,
                    count: c.round().clamp(0.0, f64::from(u32::MAX)) as u32,
                })
            })
            .collect()
    }
}

/// A night's rest period (local, end exclusive) on the untouched recording.
#[derive(Debug, Clone, Copy)]
struct Rest {
    start: NaiveDateTime,
    end: NaiveDateTime,
}

impl Rest {
    fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// The longest rest period of each night, keyed by the morning it ends.
fn rest_periods(grid: &MinuteGrid) -> Vec<(NaiveDate, Rest)> {
    let Ok(series) = EpochSeries::new(grid.start, 60, grid.counts.clone()) else {
        return Vec::new();
    };
    let mut nights: Vec<(NaiveDate, Rest)> = Vec::new();
    for p in phr_analysis::rest_periods(&series, &RoennebergOptions::default()) {
        let rest = Rest {
            start: grid.time(p.first),
            end: grid.time(p.last + 1),
        };
        // A night's sleep: its middle lies between 20:00 and 08:00; it
        // belongs to the morning it ends on (or after).
        let middle = rest.start + Duration::minutes(rest.minutes() / 2);
        let hour = middle.hour();
        if (8..20).contains(&hour) {
            continue;
        }
        let morning = (middle + Duration::hours(12)).date();
        match nights.iter_mut().find(|(m, _)| *m == morning) {
            Some((_, best)) if best.minutes() < rest.minutes() => *best = rest,
            Some(_) => {}
            None => nights.push((morning, rest)),
        }
    }
    nights
}

fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = q * (values.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(values[lo] + (values[hi] - values[lo]) * (rank - lo as f64))
}

/// Seed of one trial of one recording: FNV-1a of the name, mixed.
fn trial_seed(seed: u64, name: &str, trial: u32) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in name.bytes().chain(trial.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn overlaps(a: (NaiveDateTime, NaiveDateTime), b: (NaiveDateTime, NaiveDateTime)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// The alerts of a (possibly injected) grid over its whole days.
fn alerts_of(
    grid: &MinuteGrid,
    days: (NaiveDate, NaiveDate),
    features: &FeatureSettings,
    settings: &AlertSettings,
) -> Vec<crate::Alert> {
    let epochs = grid.epochs();
    let recordings = Recordings {
        activity: &epochs,
        ..Recordings::default()
    };
    let features = daily_features(&recordings, days.0, days.1, features);
    evaluate_history(PersonId(0), &features, settings)
}

/// Runs the protocol of this module on `recordings`. Pure and
/// deterministic: the same recordings, plan and settings give the same
/// report.
pub fn evaluate_recordings(
    recordings: &[RealRecording],
    plan: &InjectionPlan,
    features: &FeatureSettings,
    settings: &AlertSettings,
) -> RealEvaluationReport {
    let mut report = RealEvaluationReport {
        plan: *plan,
        recordings: Vec::new(),
        bouts: Vec::new(),
        person_months: 0.0,
        untouched_person_months: 0.0,
        own_non_wear: 0,
        wandering_nights: 0,
        wandering_caught: 0,
        unworn_days: 0,
        unworn_caught: 0,
        false_alarms: KindCounts::default(),
        untouched_alerts: KindCounts::default(),
        distinct_false_alarms: Vec::new(),
    };
    for rec in recordings {
        let mut figures = RecordingFigures {
            name: rec.name.clone(),
            days: 0,
            worn_days: 0,
            scored_days: 0,
            used: false,
            untouched_alerts: KindCounts::default(),
            wandering: (0, 0),
            unworn: (0, 0),
            unexplained: KindCounts::default(),
            own_non_wear: 0,
        };
        let Some(grid) = MinuteGrid::from_recording(rec) else {
            report.recordings.push(figures);
            continue;
        };
        let Some((first, last)) = grid.whole_days() else {
            report.recordings.push(figures);
            continue;
        };
        let n_days = (last - first).num_days() + 1;
        figures.days = n_days as u32;
        let all_days: Vec<NaiveDate> = (0..n_days).map(|d| first + Duration::days(d)).collect();
        let worn: Vec<NaiveDate> = all_days
            .iter()
            .copied()
            .filter(|d| grid.worn_day(*d))
            .collect();
        figures.worn_days = worn.len() as u32;
        let eligible: Vec<NaiveDate> = all_days
            .iter()
            .copied()
            .filter(|&d| {
                // Worn nights: the day and the day before worn.
                let before = worn
                    .iter()
                    .filter(|w| **w < d && **w >= d - Duration::days(14))
                    .filter(|w| worn.contains(&(**w - Duration::days(1))))
                    .count();
                worn.contains(&d)
                    && worn.contains(&(d - Duration::days(1)))
                    && before >= BASELINE_DAYS
            })
            .collect();
        let nights: Vec<(NaiveDate, Rest)> = rest_periods(&grid)
            .into_iter()
            .filter(|(morning, rest)| eligible.contains(morning) && rest.minutes() >= 240)
            .collect();
        figures.scored_days = eligible.len() as u32;
        if nights.len() < 2 {
            report.recordings.push(figures);
            continue;
        }
        figures.used = true;
        let scored = |t: NaiveDateTime| eligible.contains(&t.date());
        let own_non_wear = grid.unworn_runs();

        // The person's own activity level in the daytime of the baseline week.
        let mut active: Vec<f64> = (0..grid.counts.len())
            .filter(|&i| {
                let t = grid.time(i);
                worn.contains(&t.date()) && (9..20).contains(&t.hour())
            })
            .filter_map(|i| grid.counts[i].filter(|c| *c > 4.0))
            .collect();
        let levels: Vec<f64> = INTENSITIES
            .iter()
            .map(|q| percentile(&mut active, *q).unwrap_or(100.0))
            .collect();

        let untouched = alerts_of(&grid, (first, last), features, settings);
        let own = |a: &crate::Alert| {
            a.kind == AlertKind::NotWorn
                && own_non_wear
                    .iter()
                    .any(|run| overlaps((a.start, a.end), *run))
        };
        for alert in untouched.iter().filter(|a| scored(a.start) && !own(a)) {
            figures.untouched_alerts.bump(alert.kind);
            report.untouched_alerts.bump(alert.kind);
        }
        report.untouched_person_months += eligible.len() as f64 / DAYS_PER_MONTH;

        for trial in 0..plan.trials {
            let mut rng = fastrand::Rng::with_seed(trial_seed(plan.seed, &rec.name, trial));
            // Two nights at least two days apart.
            let a = rng.usize(..nights.len());
            let far: Vec<usize> = (0..nights.len())
                .filter(|&b| (nights[b].0 - nights[a].0).num_days().abs() >= 2)
                .collect();
            let picked: Vec<usize> = if far.is_empty() {
                vec![a]
            } else {
                vec![a, far[rng.usize(..far.len())]]
            };
            let mut injected = MinuteGrid {
                start: grid.start,
                counts: grid.counts.clone(),
            };
            let mut bouts: Vec<InjectedBout> = Vec::new();
            let mut event_days: Vec<NaiveDate> = Vec::new();
            for &k in &picked {
                let (morning, rest) = nights[k];
                let room = rest.minutes() - 30;
                let minutes = i64::from(BOUT_MINUTES[rng.usize(..BOUT_MINUTES.len())]).min(room);
                let position = POSITIONS[rng.usize(..POSITIONS.len())];
                let which = rng.usize(..INTENSITIES.len());
                let level = levels[which];
                let start = rest.start
                    + Duration::minutes(15 + ((room - minutes) as f64 * position).round() as i64);
                for m in 0..minutes {
                    let Some(i) = injected.index(start + Duration::minutes(m)) else {
                        continue;
                    };
                    let factor = if rng.u32(..10) == 0 {
                        0.1
                    } else {
                        0.5 + rng.f64()
                    };
                    injected.counts[i] = Some((level * factor).round());
                }
                event_days.push(morning);
                event_days.push(start.date());
                bouts.push(InjectedBout {
                    recording: rec.name.clone(),
                    trial,
                    start,
                    minutes: minutes as u32,
                    position,
                    intensity_percentile: INTENSITIES[which],
                    level,
                    caught: false,
                });
            }
            // One unworn day, not next to a wandering night.
            let candidates: Vec<NaiveDate> = eligible
                .iter()
                .copied()
                .filter(|d| event_days.iter().all(|e| (*d - *e).num_days().abs() >= 2))
                .collect();
            let unworn =
                (!candidates.is_empty()).then(|| candidates[rng.usize(..candidates.len())]);
            if let Some(day) = unworn {
                let from = day.and_time(NaiveTime::MIN);
                for m in 0..1440 {
                    if let Some(i) = injected.index(from + Duration::minutes(m)) {
                        injected.counts[i] = Some(0.0);
                    }
                }
                event_days.push(day);
            }

            let alerts = alerts_of(&injected, (first, last), features, settings);
            let unworn_span = unworn.map(|d| {
                (
                    d.and_time(NaiveTime::MIN),
                    (d + Duration::days(1)).and_time(NaiveTime::MIN),
                )
            });
            for bout in &mut bouts {
                let span = (
                    bout.start,
                    bout.start + Duration::minutes(i64::from(bout.minutes)),
                );
                bout.caught = alerts.iter().any(|a| {
                    a.kind == AlertKind::NightActivity && overlaps((a.start, a.end), span)
                });
            }
            let unworn_caught = unworn_span.is_some_and(|span| {
                alerts
                    .iter()
                    .any(|a| a.kind == AlertKind::NotWorn && overlaps((a.start, a.end), span))
            });
            for alert in alerts.iter().filter(|a| scored(a.start)) {
                let explained = match alert.kind {
                    AlertKind::NightActivity => bouts.iter().any(|b| {
                        overlaps(
                            (alert.start, alert.end),
                            (b.start, b.start + Duration::minutes(i64::from(b.minutes))),
                        )
                    }),
                    AlertKind::NotWorn => {
                        if own(alert) {
                            figures.own_non_wear += 1;
                            report.own_non_wear += 1;
                            continue;
                        }
                        unworn_span.is_some_and(|span| overlaps((alert.start, alert.end), span))
                    }
                    AlertKind::Inactivity | AlertKind::RhythmDecline => false,
                };
                if !explained {
                    figures.unexplained.bump(alert.kind);
                    report.false_alarms.bump(alert.kind);
                    let seen = report.distinct_false_alarms.iter_mut().find(|f| {
                        f.recording == rec.name && f.kind == alert.kind && f.start == alert.start
                    });
                    match seen {
                        Some(f) => {
                            f.trials += 1;
                            f.end = f.end.max(alert.end);
                        }
                        None => report.distinct_false_alarms.push(FalseAlarm {
                            recording: rec.name.clone(),
                            kind: alert.kind,
                            start: alert.start,
                            end: alert.end,
                            trials: 1,
                            untouched: untouched.iter().any(|u| u.id == alert.id),
                            explanation: alert.explanation.en.clone(),
                        }),
                    }
                }
            }
            let caught = bouts.iter().filter(|b| b.caught).count() as u32;
            figures.wandering.0 += bouts.len() as u32;
            figures.wandering.1 += caught;
            figures.unworn.0 += u32::from(unworn.is_some());
            figures.unworn.1 += u32::from(unworn_caught);
            event_days.sort();
            event_days.dedup();
            let clean_days = eligible.iter().filter(|d| !event_days.contains(d)).count();
            report.person_months += clean_days as f64 / DAYS_PER_MONTH;
            report.bouts.extend(bouts);
        }
        report.wandering_nights += figures.wandering.0;
        report.wandering_caught += figures.wandering.1;
        report.unworn_days += figures.unworn.0;
        report.unworn_caught += figures.unworn.1;
        report.recordings.push(figures);
    }
    report
}
