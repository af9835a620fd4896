//! The alert rules: each day's features against the person's own baseline.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use phr_analysis::{CountScale, EpochSeries, IsIvOptions, Recording};
use phr_model::{Lang, PersonId};
use serde::{Deserialize, Serialize};

use crate::features::{DayFeatures, Span, DAY_MINUTES};
use crate::text;

/// What an alert is about. The names are a command contract
/// (`phr care alerts --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Unusual activity in the night window (e.g. wandering).
    NightActivity,
    /// An unusually long motionless stretch in the daytime while worn.
    Inactivity,
    /// No data from a worn device for longer than the set time.
    NotWorn,
    /// The daily rhythm has weakened over the last week.
    RhythmDecline,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [AlertKind; 4] = [
        AlertKind::NightActivity,
        AlertKind::Inactivity,
        AlertKind::NotWorn,
        AlertKind::RhythmDecline,
    ];

    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::NightActivity => "night_activity",
            AlertKind::Inactivity => "inactivity",
            AlertKind::NotWorn => "not_worn",
            AlertKind::RhythmDecline => "rhythm_decline",
        }
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How soon a caregiver should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; no action needed now.
    Info,
    /// Look today.
    Warning,
    /// Look now.
    Urgent,
}

impl Severity {
    /// The stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Urgent => "urgent",
        }
    }
}

/// Why an alert fired, in plain words, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// English.
    pub en: String,
    /// Japanese.
    pub ja: String,
}

impl Explanation {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ja => &self.ja,
        }
    }
}

/// One alert. Its `id` depends only on person, kind and start, so
/// evaluating the same data again yields the same id (upsert, never a
/// duplicate); a continuing episode keeps its id while its `end` grows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// 16 hex digits, see [`alert_id`].
    pub id: String,
    /// Whose data.
    pub person: PersonId,
    /// What it is about.
    pub kind: AlertKind,
    /// How soon to look.
    pub severity: Severity,
    /// Local start (wall-clock time of the wearer).
    pub start: NaiveDateTime,
    /// Local end (exclusive).
    pub end: NaiveDateTime,
    /// Why it fired.
    pub explanation: Explanation,
}

/// Thresholds of the rules. Defaults are the values evaluated in
/// `docs/care.md`. Settings stored before a threshold existed read it as
/// its default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    /// Days before today that form the baseline. Default 14.
    pub baseline_days: u32,
    /// Usable baseline days needed before a baseline rule fires. Default 7.
    pub min_baseline_days: u32,
    /// A window (night or daytime) counts when at least this share of it
    /// was worn. Default 0.75.
    pub min_worn_fraction: f64,
    /// Night: active minutes must exceed the median of the baseline
    /// nights' by this many scaled MADs. Default 2 (the bout carries the
    /// rule; 4 missed short bouts in restless sleepers' nights).
    pub night_mad_factor: f64,
    /// Night: at least this many times the median active minutes. Default
    /// 1.5 (real nights are restless: 10 to 35 active minutes is ordinary).
    pub night_min_ratio: f64,
    /// Night: the longest bout must exceed the median of the baseline
    /// nights' longest bouts by this many scaled MADs. Default 3.
    pub night_bout_mad_factor: f64,
    /// Night: and be at least this many times that median. Default 2.
    pub night_bout_min_ratio: f64,
    /// Night: at least this many active minutes, whatever the baseline.
    /// Default 30.
    pub night_min_active_minutes: u32,
    /// Night: the longest bout must last at least this long, whatever the
    /// baseline. Default 30.
    pub night_min_bout_minutes: u32,
    /// Night: a bout this long is urgent. Default 120.
    pub night_urgent_bout_minutes: u32,
    /// Inactivity: multiples of the scaled MAD above the median. Default 4.
    pub inactivity_mad_factor: f64,
    /// Inactivity: at least this many times the median. Default 3.
    pub inactivity_min_ratio: f64,
    /// Inactivity: at least this many still minutes, whatever the baseline.
    /// Default 180.
    pub inactivity_min_minutes: u32,
    /// Inactivity: a still stretch this long is urgent. Default 300.
    pub inactivity_urgent_minutes: u32,
    /// Not worn: alert after this many hours without worn data. Default 12.
    pub not_worn_hours: u32,
    /// Not worn: urgent after this many hours. Default 48.
    pub not_worn_urgent_hours: u32,
    /// Rhythm: weekly windows (ending 7+ days before today) forming the
    /// baseline. Default 14.
    pub rhythm_baseline_windows: u32,
    /// Rhythm: usable baseline windows needed. Default 7.
    pub rhythm_min_windows: u32,
    /// Rhythm: multiples of the scaled MAD a metric must move. Default 3.
    pub rhythm_mad_factor: f64,
    /// Rhythm: smallest IS fall that counts. Default 0.10.
    pub rhythm_min_is_drop: f64,
    /// Rhythm: smallest IV rise that counts. Default 0.15.
    pub rhythm_min_iv_rise: f64,
    /// Rhythm: smallest RA fall that counts. Default 0.05.
    pub rhythm_min_ra_drop: f64,
    /// Rhythm: smallest shift of the median sleep onset that counts, in
    /// minutes. Default 60.
    pub rhythm_min_onset_delay_minutes: u32,
    /// Rhythm: signals needed to fire (of IS, IV, RA, onset). Default 2.
    pub rhythm_min_signals: u32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            baseline_days: 14,
            min_baseline_days: 7,
            min_worn_fraction: 0.75,
            night_mad_factor: 2.0,
            night_min_ratio: 1.5,
            night_bout_mad_factor: 3.0,
            night_bout_min_ratio: 2.0,
            night_min_active_minutes: 30,
            night_min_bout_minutes: 30,
            night_urgent_bout_minutes: 120,
            inactivity_mad_factor: 4.0,
            inactivity_min_ratio: 3.0,
            inactivity_min_minutes: 180,
            inactivity_urgent_minutes: 300,
            not_worn_hours: 12,
            not_worn_urgent_hours: 48,
            rhythm_baseline_windows: 14,
            rhythm_min_windows: 7,
            rhythm_mad_factor: 3.0,
            rhythm_min_is_drop: 0.10,
            rhythm_min_iv_rise: 0.15,
            rhythm_min_ra_drop: 0.05,
            rhythm_min_onset_delay_minutes: 60,
            rhythm_min_signals: 2,
        }
    }
}

/// Deterministic alert id: FNV-1a (64 bit) of person, kind and local start,
/// as 16 hex digits. Stable across runs, platforms and Rust versions.
pub fn alert_id(person: PersonId, kind: AlertKind, start: NaiveDateTime) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!(
        "{}|{}|{}",
        person.0,
        kind.name(),
        start.format("%Y-%m-%dT%H:%M:%S")
    );
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Median and MAD scaled to a normal SD (× 1.4826). `None` when empty.
pub fn median_mad(values: &[f64]) -> Option<(f64, f64)> {
    let center = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    Some((center, 1.4826 * median(&deviations)?))
}

fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// A threshold from a robust baseline: the largest of `median + k·MAD`
/// (MAD floored at 1 unit so a constant baseline still has a margin),
/// `ratio × median` and the absolute minimum.
fn robust_threshold(values: &[f64], k: f64, ratio: f64, minimum: f64) -> Option<(f64, f64)> {
    let (median, mad) = median_mad(values)?;
    let threshold = (median + k * mad.max(1.0)).max(ratio * median).max(minimum);
    Some((median, threshold))
}

fn make_alert(
    person: PersonId,
    kind: AlertKind,
    severity: Severity,
    span: Span,
    explanation: Explanation,
) -> Alert {
    Alert {
        id: alert_id(person, kind, span.start),
        person,
        kind,
        severity,
        start: span.start,
        end: span.end,
        explanation,
    }
}

/// The baseline days of `today`: those of the previous `baseline_days`
/// dates that `usable` accepts.
fn baseline<'a>(
    history: &'a [DayFeatures],
    today: &DayFeatures,
    settings: &AlertSettings,
    usable: impl Fn(&DayFeatures) -> bool + 'a,
) -> impl Iterator<Item = &'a DayFeatures> + 'a {
    let from = today.date - Duration::days(i64::from(settings.baseline_days));
    let to = today.date;
    history
        .iter()
        .filter(move |d| d.date >= from && d.date < to && usable(d))
}

/// Alerts for `today` given the person's earlier days (`history`, date
/// order; only the relevant recent ones are read). Pure and deterministic.
pub fn evaluate(
    person: PersonId,
    history: &[DayFeatures],
    today: &DayFeatures,
    settings: &AlertSettings,
) -> Vec<Alert> {
    let mut all: Vec<DayFeatures> = history
        .iter()
        .filter(|d| d.date < today.date && d.date >= today.date - rhythm_reach(settings))
        .cloned()
        .collect();
    all.push(today.clone());
    evaluate_with(
        person,
        history,
        &all,
        settings,
        &mut WeeklyRhythms::default(),
    )
}

/// Every rule for the last day of `recent` (the days in date order from
/// [`rhythm_reach`] before it), given the earlier days `history`.
fn evaluate_with(
    person: PersonId,
    history: &[DayFeatures],
    recent: &[DayFeatures],
    settings: &AlertSettings,
    weekly: &mut WeeklyRhythms,
) -> Vec<Alert> {
    let Some(today) = recent.last() else {
        return Vec::new();
    };
    let mut alerts = Vec::new();
    alerts.extend(night_activity(person, history, today, settings));
    alerts.extend(inactivity(person, history, today, settings));
    alerts.extend(not_worn(person, history, today, settings));
    alerts.extend(rhythm_decline(person, recent, settings, weekly));
    alerts
}

/// Merges `alert` into `merged` by id: a continuing episode's latest end
/// and highest severity win.
fn merge_alert(merged: &mut Vec<Alert>, alert: Alert) {
    match merged.iter_mut().find(|a| a.id == alert.id) {
        Some(existing) => {
            if alert.end >= existing.end {
                let severity = existing.severity.max(alert.severity);
                *existing = alert;
                existing.severity = severity;
            }
        }
        None => merged.push(alert),
    }
}

/// How far back `rhythm_decline` reads: the walk back over up to 28 firing
/// days, each with its week and baseline windows (and the onset baseline's
/// five days more).
fn rhythm_reach(settings: &AlertSettings) -> Duration {
    Duration::days(29 + 7 + i64::from(settings.rhythm_baseline_windows) + 5)
}

/// The weekly rhythm of the week ending on a date, computed once per
/// evaluation over one sorted history (each week is a baseline window of
/// the 14 days after it, and read again while an episode is walked back).
#[derive(Default)]
struct WeeklyRhythms(std::collections::HashMap<NaiveDate, Option<Rhythm>>);

impl WeeklyRhythms {
    /// The rhythm of the 7 days of `all` (date order) ending on `end`.
    fn of(&mut self, all: &[DayFeatures], end: NaiveDate) -> Option<Rhythm> {
        *self
            .0
            .entry(end)
            .or_insert_with(|| weekly_rhythm(days_between(all, end - Duration::days(6), end)))
    }
}

/// Evaluates every day against the days before it, as if the data had
/// arrived day by day, and merges alerts that share an id (a continuing
/// episode: the latest end and the highest severity win). Sorted by start,
/// then kind.
pub fn evaluate_history(
    person: PersonId,
    days: &[DayFeatures],
    settings: &AlertSettings,
) -> Vec<Alert> {
    let mut merged = Vec::new();
    evaluate_days(person, days, 0, settings, &mut merged);
    merged.sort_by_key(|a| (a.start, a.kind));
    merged
}

/// Evaluates `days[from..]`, each against every day before it in `days`
/// (so `days[..from]` is history only: a span evaluated before, or the last
/// day with data before a gap), merging into `merged` by id as
/// [`evaluate_history`] does. Unsorted.
pub fn evaluate_days(
    person: PersonId,
    days: &[DayFeatures],
    from: usize,
    settings: &AlertSettings,
    merged: &mut Vec<Alert>,
) {
    // Days in strict date order (as `daily_features` gives them) share one
    // cache of weekly rhythms; any other order is evaluated day by day as
    // `evaluate` does.
    let sorted = days.windows(2).all(|w| w[0].date < w[1].date);
    let mut weekly = WeeklyRhythms::default();
    for i in from..days.len() {
        let alerts = if sorted {
            let from_date = days[i].date - rhythm_reach(settings);
            let lo = days[..i].partition_point(|d| d.date < from_date);
            evaluate_with(person, &days[..i], &days[lo..=i], settings, &mut weekly)
        } else {
            evaluate(person, &days[..i], &days[i], settings)
        };
        for alert in alerts {
            merge_alert(merged, alert);
        }
    }
}

/// `night_activity`: active minutes in the night window well above the
/// person's usual nights, and one sustained bout far longer than their
/// usual longest one (real nights are restless in short bursts; wandering
/// is sustained).
fn night_activity(
    person: PersonId,
    history: &[DayFeatures],
    today: &DayFeatures,
    settings: &AlertSettings,
) -> Option<Alert> {
    let usable = |d: &DayFeatures| {
        d.night.window_minutes > 0
            && f64::from(d.night.worn_minutes)
                >= settings.min_worn_fraction * f64::from(d.night.window_minutes)
    };
    if !usable(today) {
        return None;
    }
    let base: Vec<&DayFeatures> = baseline(history, today, settings, usable).collect();
    if base.len() < settings.min_baseline_days as usize {
        return None;
    }
    let minutes: Vec<f64> = base
        .iter()
        .map(|d| f64::from(d.night.active_minutes))
        .collect();
    let (usual_minutes, threshold) = robust_threshold(
        &minutes,
        settings.night_mad_factor,
        settings.night_min_ratio,
        f64::from(settings.night_min_active_minutes),
    )?;
    let bouts: Vec<f64> = base
        .iter()
        .map(|d| f64::from(d.night.longest_bout.map_or(0, |b| b.minutes())))
        .collect();
    let (_, bout_threshold) = robust_threshold(
        &bouts,
        settings.night_bout_mad_factor,
        settings.night_bout_min_ratio,
        f64::from(settings.night_min_bout_minutes),
    )?;
    let bout = today.night.longest_bout?;
    if f64::from(today.night.active_minutes) < threshold
        || f64::from(bout.minutes()) < bout_threshold
    {
        return None;
    }
    let counts: Vec<f64> = base.iter().map(|d| d.night.counts).collect();
    let usual_counts = median(&counts).unwrap_or(0.0);
    let times = (usual_counts >= 1.0).then(|| today.night.counts / usual_counts);
    let severity = if bout.minutes() >= settings.night_urgent_bout_minutes {
        Severity::Urgent
    } else {
        Severity::Warning
    };
    let explanation = text::night_activity(
        bout,
        &today.night,
        times,
        today.night.active_minutes,
        usual_minutes,
        base.len(),
    );
    Some(make_alert(
        person,
        AlertKind::NightActivity,
        severity,
        bout,
        explanation,
    ))
}

/// `inactivity`: a daytime still stretch while worn far longer than the
/// person's usual longest one.
fn inactivity(
    person: PersonId,
    history: &[DayFeatures],
    today: &DayFeatures,
    settings: &AlertSettings,
) -> Option<Alert> {
    let still = today.longest_still?;
    let usable = |d: &DayFeatures| {
        d.day_window_minutes > 0
            && f64::from(d.day_worn_minutes)
                >= settings.min_worn_fraction * f64::from(d.day_window_minutes)
    };
    let base: Vec<&DayFeatures> = baseline(history, today, settings, usable).collect();
    if base.len() < settings.min_baseline_days as usize {
        return None;
    }
    let values: Vec<f64> = base
        .iter()
        .map(|d| f64::from(d.longest_still.map_or(0, |s| s.minutes())))
        .collect();
    let (usual, threshold) = robust_threshold(
        &values,
        settings.inactivity_mad_factor,
        settings.inactivity_min_ratio,
        f64::from(settings.inactivity_min_minutes),
    )?;
    if f64::from(still.minutes()) < threshold {
        return None;
    }
    let severity = if still.minutes() >= settings.inactivity_urgent_minutes {
        Severity::Urgent
    } else {
        Severity::Warning
    };
    Some(make_alert(
        person,
        AlertKind::Inactivity,
        severity,
        still,
        text::inactivity(still, usual, base.len()),
    ))
}

/// `not_worn`: runs without worn data of at least `not_worn_hours`. A run
/// touching 00:00 is traced back through earlier days (dates missing from
/// `history` count as unworn), so its start, and hence its id, is the same
/// on every day it continues.
fn not_worn(
    person: PersonId,
    history: &[DayFeatures],
    today: &DayFeatures,
    settings: &AlertSettings,
) -> Vec<Alert> {
    let day_start = today.day_start();
    let day_minutes = DAY_MINUTES as i64;
    let mut runs: Vec<Span> = Vec::new();
    if today.unworn_lead_minutes > 0 {
        let mut back = 0i64;
        let mut expected = today.date;
        for day in history.iter().rev() {
            if day.date >= expected {
                continue;
            }
            let gap_days = (expected - day.date).num_days() - 1;
            back += gap_days * day_minutes;
            expected = day.date;
            if i64::from(day.unworn_lead_minutes) >= day_minutes {
                back += day_minutes;
            } else {
                back += i64::from(day.unworn_tail_minutes);
                break;
            }
        }
        runs.push(Span {
            start: day_start - Duration::minutes(back),
            end: day_start + Duration::minutes(i64::from(today.unworn_lead_minutes)),
        });
    }
    let whole_day = i64::from(today.unworn_lead_minutes) >= day_minutes;
    if !whole_day {
        if let Some(run) = today.longest_unworn {
            if run.start > day_start && run.end < day_start + Duration::minutes(day_minutes) {
                runs.push(run);
            }
        }
        if today.unworn_tail_minutes > 0 {
            let end = day_start + Duration::minutes(day_minutes);
            runs.push(Span {
                start: end - Duration::minutes(i64::from(today.unworn_tail_minutes)),
                end,
            });
        }
    }
    let limit = settings.not_worn_hours * 60;
    runs.into_iter()
        .filter(|run| run.minutes() >= limit.max(1))
        .map(|run| not_worn_alert(person, run, settings))
        .collect()
}

fn not_worn_alert(person: PersonId, run: Span, settings: &AlertSettings) -> Alert {
    let severity = if run.minutes() >= settings.not_worn_urgent_hours * 60 {
        Severity::Urgent
    } else {
        Severity::Warning
    };
    make_alert(
        person,
        AlertKind::NotWorn,
        severity,
        run,
        text::not_worn(run, settings.not_worn_hours),
    )
}

/// The current day, not yet complete: an alert when nothing worn has
/// arrived since `last_worn_end` (the end of the last worn minute, local)
/// and `now` (local) is `not_worn_hours` later. Its start, and so its id,
/// equals that of the `not_worn` alert the complete days will give.
pub fn not_synced(
    person: PersonId,
    last_worn_end: NaiveDateTime,
    now: NaiveDateTime,
    settings: &AlertSettings,
) -> Option<Alert> {
    let run = Span {
        start: last_worn_end,
        end: now,
    };
    (now > last_worn_end && run.minutes() >= (settings.not_worn_hours * 60).max(1))
        .then(|| not_worn_alert(person, run, settings))
}

/// Nonparametric circadian metrics of a week, from hourly active minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rhythm {
    /// Interdaily stability (day-to-day regularity; higher is steadier).
    pub is: f64,
    /// Intradaily variability (fragmentation; higher is more broken up).
    pub iv: f64,
    /// Relative amplitude (day/night contrast, 0..1).
    pub ra: f64,
}

/// IS, IV (pyActigraphy's, on hourly sums of minutes above the rest count:
/// exactly its binarized 1-hour resampling with the wear mask) and RA (L5
/// and M10 on the hourly profile, so onsets are whole hours) over `days`,
/// laid end to end by date (missing dates are gaps). `None` with fewer than
/// 5 days having 20 or more usable hours.
pub fn weekly_rhythm(days: &[DayFeatures]) -> Option<Rhythm> {
    let first = days.first()?;
    let last = days.last()?;
    let good = days
        .iter()
        .filter(|d| d.hourly_active_minutes.iter().flatten().count() >= 20)
        .count();
    if good < 5 {
        return None;
    }
    let n_days = usize::try_from((last.date - first.date).num_days() + 1).ok()?;
    let mut bins: Vec<Option<f64>> = vec![None; n_days * 24];
    for day in days {
        let offset = usize::try_from((day.date - first.date).num_days()).ok()? * 24;
        for (h, v) in day.hourly_active_minutes.iter().take(24).enumerate() {
            bins[offset + h] = v.map(f64::from);
        }
    }
    let series = EpochSeries::new(first.date.and_time(NaiveTime::MIN), 3600, bins).ok()?;
    let recording = Recording::new(&series);
    let opts = IsIvOptions {
        freq_seconds: 3600,
        scale: CountScale::Raw,
    };
    Some(Rhythm {
        is: recording.interdaily_stability(opts)?,
        iv: recording.intradaily_variability(opts)?,
        ra: recording.relative_amplitude(CountScale::Raw)?,
    })
}

/// What moved in a week compared with the baseline weeks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RhythmChange {
    pub recent: Rhythm,
    pub usual: Rhythm,
    pub is_drop: bool,
    pub iv_rise: bool,
    pub ra_drop: bool,
    /// (recent, usual) median sleep onset, minutes after the previous noon,
    /// when it moved later.
    pub onset_delay: Option<(f64, f64)>,
    pub baseline_days: usize,
}

impl RhythmChange {
    fn signals(&self) -> u32 {
        u32::from(self.is_drop)
            + u32::from(self.iv_rise)
            + u32::from(self.ra_drop)
            + u32::from(self.onset_delay.is_some())
    }
}

fn days_between(history: &[DayFeatures], from: NaiveDate, to: NaiveDate) -> &[DayFeatures] {
    let a = history.partition_point(|d| d.date < from);
    let b = history.partition_point(|d| d.date <= to);
    &history[a..b.max(a)]
}

/// Sleep onset in minutes after the noon before the night.
fn onset_minutes(day: &DayFeatures) -> Option<f64> {
    let sleep = day.sleep?;
    let noon = (day.date - Duration::days(1)).and_hms_opt(12, 0, 0)?;
    Some((sleep.start - noon).num_minutes() as f64)
}

/// The rhythm check for the day at `all[index]` (all days in date order).
fn rhythm_check(
    all: &[DayFeatures],
    index: usize,
    settings: &AlertSettings,
    weekly: &mut WeeklyRhythms,
) -> Option<RhythmChange> {
    let today = &all[index];
    let before = &all[..=index];
    let recent_days = days_between(before, today.date - Duration::days(6), today.date);
    let recent = weekly.of(before, today.date)?;
    let mut windows = Vec::new();
    for k in 0..settings.rhythm_baseline_windows {
        let end = today.date - Duration::days(7 + i64::from(k));
        if let Some(rhythm) = weekly.of(before, end) {
            windows.push(rhythm);
        }
    }
    if windows.len() < settings.rhythm_min_windows.max(1) as usize {
        return None;
    }
    let pick = |f: fn(&Rhythm) -> f64| -> Option<(f64, f64)> {
        median_mad(&windows.iter().map(f).collect::<Vec<_>>())
    };
    let (is_med, is_mad) = pick(|r| r.is)?;
    let (iv_med, iv_mad) = pick(|r| r.iv)?;
    let (ra_med, ra_mad) = pick(|r| r.ra)?;
    let k = settings.rhythm_mad_factor;
    let baseline_from =
        today.date - Duration::days(7 + i64::from(settings.rhythm_baseline_windows) + 5);
    let baseline_to = today.date - Duration::days(7);
    let baseline_days = days_between(before, baseline_from, baseline_to);
    let recent_onsets: Vec<f64> = recent_days.iter().filter_map(onset_minutes).collect();
    let usual_onsets: Vec<f64> = baseline_days.iter().filter_map(onset_minutes).collect();
    let onset_delay = match (median(&recent_onsets), median(&usual_onsets)) {
        (Some(r), Some(u))
            if recent_onsets.len() >= 4
                && usual_onsets.len() >= 7
                && r - u >= f64::from(settings.rhythm_min_onset_delay_minutes) =>
        {
            Some((r, u))
        }
        _ => None,
    };
    Some(RhythmChange {
        recent,
        usual: Rhythm {
            is: is_med,
            iv: iv_med,
            ra: ra_med,
        },
        is_drop: is_med - recent.is >= (k * is_mad).max(settings.rhythm_min_is_drop),
        iv_rise: recent.iv - iv_med >= (k * iv_mad).max(settings.rhythm_min_iv_rise),
        ra_drop: ra_med - recent.ra >= (k * ra_mad).max(settings.rhythm_min_ra_drop),
        onset_delay,
        baseline_days: baseline_days.len(),
    })
}

/// `rhythm_decline`: the last 7 days against the weekly windows before
/// them. One alert per episode: while the rule keeps firing on consecutive
/// days, the start stays that of the first firing day's week. `all`: the
/// days in date order, today last, from [`rhythm_reach`] before it at least.
fn rhythm_decline(
    person: PersonId,
    all: &[DayFeatures],
    settings: &AlertSettings,
    weekly: &mut WeeklyRhythms,
) -> Option<Alert> {
    let today = all.last()?;
    let mut fires = |index: usize| {
        rhythm_check(all, index, settings, weekly)
            .filter(|c| c.signals() >= settings.rhythm_min_signals)
    };
    let last = all.len() - 1;
    let change = fires(last)?;
    // Walk back over consecutive firing days (at most four weeks).
    let mut first = last;
    while first > 0
        && last - first < 28
        && all[first - 1].date + Duration::days(1) == all[first].date
        && fires(first - 1).is_some()
    {
        first -= 1;
    }
    let span = Span {
        start: (all[first].date - Duration::days(6)).and_time(NaiveTime::MIN),
        end: (today.date + Duration::days(1)).and_time(NaiveTime::MIN),
    };
    let severity = if change.signals() >= 3 {
        Severity::Warning
    } else {
        Severity::Info
    };
    Some(make_alert(
        person,
        AlertKind::RhythmDecline,
        severity,
        span,
        text::rhythm_decline(&change),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::NightFeatures;

    fn date(day: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("date") + Duration::days(day)
    }

    fn at(day: i64, h: u32, m: u32) -> NaiveDateTime {
        date(day).and_hms_opt(h, m, 0).expect("time")
    }

    /// An ordinary day with a little night restlessness and short still
    /// spells that vary from day to day.
    fn ordinary(day: i64) -> DayFeatures {
        let wobble = (day * 7 % 5) as u32;
        let hourly = (0..24)
            .map(|h| {
                let active = if (7..23).contains(&h) {
                    35 + ((h + day as usize) % 4) as u8 * 3
                } else {
                    1
                };
                Some(active)
            })
            .collect();
        DayFeatures {
            date: date(day),
            worn_minutes: 1440,
            unworn_lead_minutes: 0,
            unworn_tail_minutes: 0,
            longest_unworn: None,
            night: NightFeatures {
                window: Span {
                    start: at(day, 0, 0),
                    end: at(day, 5, 0),
                },
                learned: false,
                window_minutes: 300,
                worn_minutes: 300,
                active_minutes: 4 + wobble * 2,
                counts: 1500.0 + f64::from(wobble) * 200.0,
                longest_bout: Some(Span {
                    start: at(day, 2, 0),
                    end: at(day, 2, 6 + wobble),
                }),
            },
            day_window_minutes: 660,
            day_worn_minutes: 660,
            day_active_minutes: 500,
            longest_still: Some(Span {
                start: at(day, 13, 0),
                end: at(day, 13, 20 + wobble * 5),
            }),
            hourly_active_minutes: hourly,
            sleep: Some(Span {
                start: at(day - 1, 23, wobble * 5),
                end: at(day, 6, 30),
            }),
            learns_night: true,
        }
    }

    fn unworn(day: i64) -> DayFeatures {
        DayFeatures {
            worn_minutes: 0,
            unworn_lead_minutes: 1440,
            unworn_tail_minutes: 1440,
            longest_unworn: Some(Span {
                start: at(day, 0, 0),
                end: at(day + 1, 0, 0),
            }),
            night: NightFeatures {
                window: Span {
                    start: at(day, 0, 0),
                    end: at(day, 5, 0),
                },
                learned: false,
                window_minutes: 300,
                worn_minutes: 0,
                active_minutes: 0,
                counts: 0.0,
                longest_bout: None,
            },
            day_worn_minutes: 0,
            day_active_minutes: 0,
            longest_still: None,
            hourly_active_minutes: vec![None; 24],
            sleep: None,
            ..ordinary(day)
        }
    }

    fn person() -> PersonId {
        PersonId(3)
    }

    fn kinds(alerts: &[Alert]) -> Vec<AlertKind> {
        alerts.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = alert_id(person(), AlertKind::NotWorn, at(0, 1, 0));
        assert_eq!(a, alert_id(person(), AlertKind::NotWorn, at(0, 1, 0)));
        assert_eq!(a.len(), 16);
        assert_ne!(a, alert_id(PersonId(4), AlertKind::NotWorn, at(0, 1, 0)));
        assert_ne!(a, alert_id(person(), AlertKind::Inactivity, at(0, 1, 0)));
        assert_ne!(a, alert_id(person(), AlertKind::NotWorn, at(0, 1, 1)));
        // Pinned: the id is a storage key and must never change.
        assert_eq!(
            alert_id(PersonId(1), AlertKind::NightActivity, at(0, 1, 40)),
            "61b148a6e0e7bf11"
        );
    }

    #[test]
    fn median_and_mad() {
        assert_eq!(median_mad(&[]), None);
        let (m, mad) = median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]).expect("stats");
        assert_eq!(m, 3.0);
        assert!((mad - 1.4826).abs() < 1e-9);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn ordinary_weeks_raise_nothing() {
        let days: Vec<DayFeatures> = (0..42).map(ordinary).collect();
        assert!(evaluate_history(person(), &days, &AlertSettings::default()).is_empty());
    }

    #[test]
    fn a_two_hour_wandering_bout_fires_night_activity() {
        let mut days: Vec<DayFeatures> = (0..15).map(ordinary).collect();
        let bout = Span {
            start: at(14, 1, 40),
            end: at(14, 3, 50),
        };
        days[14].night.active_minutes = 125;
        days[14].night.counts = 12_000.0;
        days[14].night.longest_bout = Some(bout);
        // The person's own night, learned from earlier days.
        days[14].night.window = Span {
            start: at(13, 23, 10),
            end: at(14, 4, 10),
        };
        days[14].night.learned = true;
        let alerts = evaluate(person(), &days[..14], &days[14], &AlertSettings::default());
        assert_eq!(kinds(&alerts), [AlertKind::NightActivity]);
        let alert = &alerts[0];
        assert_eq!((alert.start, alert.end), (bout.start, bout.end));
        assert_eq!(alert.severity, Severity::Urgent);
        assert_eq!(
            alert.id,
            alert_id(person(), AlertKind::NightActivity, bout.start)
        );
        assert_eq!(
            alert.explanation.en,
            "Active for 2 h 10 min between 01:40 and 03:50 in their usual night \
             (23:10–04:10), about 6 times the usual night-time level (125 active minutes \
             against a usual 8; baseline: 14 nights)."
        );
        assert!(
            alert
                .explanation
                .ja
                .starts_with("普段の夜間（23:10〜04:10）の01:40から03:50まで2時間10分"),
            "{}",
            alert.explanation.ja
        );
        // Before the person's night is known, the text says the window is
        // the default one.
        days[14].night.learned = false;
        let alerts = evaluate(person(), &days[..14], &days[14], &AlertSettings::default());
        assert!(
            alerts[0]
                .explanation
                .en
                .contains("in the default night (23:10–04:10) until their own is known"),
            "{}",
            alerts[0].explanation.en
        );
    }

    #[test]
    fn night_rule_waits_for_a_baseline_and_ignores_small_changes() {
        let mut days: Vec<DayFeatures> = (0..7).map(ordinary).collect();
        days[6].night.active_minutes = 125;
        days[6].night.longest_bout = Some(Span {
            start: at(6, 1, 0),
            end: at(6, 3, 5),
        });
        // Six earlier nights: no baseline yet.
        assert!(evaluate(person(), &days[..6], &days[6], &AlertSettings::default()).is_empty());
        // A restless night of 20 minutes (well above the usual 8, but below
        // the absolute floor of 30) does not fire.
        let mut days: Vec<DayFeatures> = (0..15).map(ordinary).collect();
        days[14].night.active_minutes = 20;
        days[14].night.longest_bout = Some(Span {
            start: at(14, 2, 0),
            end: at(14, 2, 25),
        });
        assert!(evaluate(person(), &days[..14], &days[14], &AlertSettings::default()).is_empty());
        // Many active minutes but scattered (no 20-minute bout): no alert.
        days[14].night.active_minutes = 60;
        days[14].night.longest_bout = Some(Span {
            start: at(14, 2, 0),
            end: at(14, 2, 10),
        });
        assert!(evaluate(person(), &days[..14], &days[14], &AlertSettings::default()).is_empty());
    }

    #[test]
    fn a_five_hour_still_stretch_fires_inactivity() {
        let mut days: Vec<DayFeatures> = (0..15).map(ordinary).collect();
        let still = Span {
            start: at(14, 10, 0),
            end: at(14, 15, 0),
        };
        days[14].longest_still = Some(still);
        let alerts = evaluate(person(), &days[..14], &days[14], &AlertSettings::default());
        assert_eq!(kinds(&alerts), [AlertKind::Inactivity]);
        assert_eq!(alerts[0].severity, Severity::Urgent);
        assert_eq!(alerts[0].start, still.start);
        assert!(alerts[0]
            .explanation
            .en
            .contains("5 h 0 min between 10:00 and 15:00"));
        // Ninety minutes is long but under the 3-hour floor.
        days[14].longest_still = Some(Span {
            start: at(14, 10, 0),
            end: at(14, 11, 30),
        });
        assert!(evaluate(person(), &days[..14], &days[14], &AlertSettings::default()).is_empty());
    }

    #[test]
    fn three_unworn_days_are_one_episode() {
        let mut days: Vec<DayFeatures> = (0..12).map(ordinary).collect();
        days[7].unworn_tail_minutes = 200;
        for (d, day) in days.iter_mut().enumerate().take(11).skip(8) {
            *day = unworn(d as i64);
        }
        days[11].unworn_lead_minutes = 300;
        let alerts = evaluate_history(person(), &days, &AlertSettings::default());
        assert_eq!(kinds(&alerts), [AlertKind::NotWorn]);
        let alert = &alerts[0];
        assert_eq!(alert.start, at(7, 20, 40));
        assert_eq!(alert.end, at(11, 5, 0));
        assert_eq!(alert.severity, Severity::Urgent);
        // Day by day, every evaluation names the same alert.
        let first = evaluate(person(), &days[..8], &days[8], &AlertSettings::default());
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].id, alert.id);
        assert_eq!(first[0].severity, Severity::Warning);
        // Dates absent from the history (never synced) count as unworn.
        let mut gappy = days.clone();
        gappy.drain(8..11);
        let alerts = evaluate_history(person(), &gappy, &AlertSettings::default());
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].id, alert.id);
    }

    #[test]
    fn not_worn_needs_the_set_hours() {
        let mut days: Vec<DayFeatures> = (0..3).map(ordinary).collect();
        days[2].longest_unworn = Some(Span {
            start: at(2, 8, 0),
            end: at(2, 19, 0),
        });
        assert!(evaluate_history(person(), &days, &AlertSettings::default()).is_empty());
        let settings = AlertSettings {
            not_worn_hours: 10,
            ..AlertSettings::default()
        };
        let alerts = evaluate_history(person(), &days, &settings);
        assert_eq!(kinds(&alerts), [AlertKind::NotWorn]);
        assert!(
            alerts[0].explanation.en.contains("11 h 0 min"),
            "{}",
            alerts[0].explanation.en
        );
    }

    #[test]
    fn not_synced_matches_the_later_not_worn_alert() {
        let settings = AlertSettings::default();
        let alert = not_synced(person(), at(0, 20, 40), at(1, 10, 0), &settings).expect("alert");
        assert_eq!(
            alert.id,
            alert_id(person(), AlertKind::NotWorn, at(0, 20, 40))
        );
        assert!(not_synced(person(), at(0, 20, 40), at(1, 6, 0), &settings).is_none());
    }

    /// Weeks 0-3 ordinary; from week 4 the day flattens: less activity by
    /// day, more at night, broken up.
    fn flattening(day: i64) -> DayFeatures {
        let mut f = ordinary(day);
        if day >= 28 {
            f.hourly_active_minutes = (0..24)
                .map(|h: i64| {
                    let daytime = (7..23).contains(&h);
                    let noise = ((h * 7 + day * 3) % 5) as u8;
                    Some(if daytime {
                        14 + noise * 3
                    } else {
                        6 + noise * 2
                    })
                })
                .collect();
        }
        f
    }

    #[test]
    fn a_flattening_rhythm_fires_rhythm_decline_once() {
        let days: Vec<DayFeatures> = (0..35).map(flattening).collect();
        let alerts = evaluate_history(person(), &days, &AlertSettings::default());
        assert_eq!(kinds(&alerts), [AlertKind::RhythmDecline], "{alerts:#?}");
        let alert = &alerts[0];
        assert_eq!(alert.start, at(22, 0, 0));
        assert_eq!(alert.end, at(35, 0, 0));
        assert!(
            alert.explanation.en.contains("IS"),
            "{}",
            alert.explanation.en
        );
        // The rhythm is computed with phr-analysis and moved as expected.
        let before = weekly_rhythm(&days[14..21]).expect("before");
        let after = weekly_rhythm(&days[28..35]).expect("after");
        assert!(after.is < before.is && after.iv > before.iv && after.ra < before.ra);
    }

    #[test]
    fn the_whole_history_gives_what_each_day_alone_gives() {
        // 90 days, the rhythm flattening from day 28 and ordinary again
        // from day 60, with gaps: one cache of weekly rhythms over the
        // sorted history must give what each day's own evaluation gives.
        let days: Vec<DayFeatures> = (0..90)
            .filter(|d| d % 17 != 5)
            .map(|d| if d < 60 { flattening(d) } else { ordinary(d) })
            .collect();
        let settings = AlertSettings::default();
        let mut one_by_one: Vec<Alert> = Vec::new();
        for i in 0..days.len() {
            for alert in evaluate(person(), &days[..i], &days[i], &settings) {
                merge_alert(&mut one_by_one, alert);
            }
        }
        one_by_one.sort_by_key(|a| (a.start, a.kind));
        let whole = evaluate_history(person(), &days, &settings);
        assert!(whole.iter().any(|a| a.kind == AlertKind::RhythmDecline));
        assert_eq!(whole, one_by_one);
    }

    #[test]
    fn rhythm_needs_enough_weeks() {
        let days: Vec<DayFeatures> = (0..35).map(flattening).collect();
        // With only 3 weeks of history the baseline is too short.
        assert!(
            evaluate_history(person(), &days[18..], &AlertSettings::default())
                .iter()
                .all(|a| a.kind != AlertKind::RhythmDecline)
        );
        assert!(weekly_rhythm(&days[0..4]).is_none());
    }
}
