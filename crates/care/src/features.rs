//! Daily features: what one local day (and the night that ends that
//! morning) looked like, reduced to a few numbers the rules compare.
//!
//! Epochs are laid on the wearer's **wall-clock minute grid** (local time
//! from each [`Stamp`](phr_model::Stamp)), as the façade does for research
//! metrics: a minute skipped by a spring DST change stays missing, the two
//! epochs of a repeated autumn minute are averaged.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use phr_analysis::{non_wear_mask, EpochSeries, NonWearRule};
use phr_model::{ActivityEpoch, HeartRate, SleepEpisode};
use serde::{Deserialize, Serialize};

/// Minutes in a wall-clock day.
pub(crate) const DAY_MINUTES: usize = 1440;
/// How far past the night window a bout is followed.
const SETTLED_REACH: usize = 180;
/// Minutes before and after a bout that tell whether it came from sleep
/// and went back to it...
const SETTLED_MINUTES: usize = 30;
/// ...when at most this many of them are above the rest count.
const SETTLED_RESTLESS: usize = 15;
/// Past the night window only still sleep counts: at most this many of the
/// 30 minutes above the rest count.
const STILL_RESTLESS: usize = 2;
/// Past context laid before the first day, so non-wear runs and night
/// windows that start the evening before are seen whole.
const MARGIN_MINUTES: usize = 720;

/// The recordings of one person the features are computed from. Only
/// `activity` is required; heart rate proves wear during motionless
/// stretches, and sleep episodes feed the digest and the rhythm rule.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recordings<'a> {
    /// Activity epochs (any order; 60-second epochs expected, others are
    /// summed or spread into minutes).
    pub activity: &'a [ActivityEpoch],
    /// Heart-rate readings; a reading marks the minutes around it as worn.
    pub heart_rate: &'a [HeartRate],
    /// Sleep episodes; the main one ending on a day is that day's night.
    pub sleep: &'a [SleepEpisode],
}

/// Windows and count thresholds of the features.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureSettings {
    /// Start of the night window, in minutes from the day's local midnight;
    /// negative means the evening before (e.g. -120 = 22:00). Default 0.
    pub night_start_minute: i32,
    /// End of the night window, minutes from local midnight. Default 300
    /// (05:00).
    pub night_end_minute: i32,
    /// Start of the daytime window for stillness, minutes from midnight.
    /// Default 540 (09:00).
    pub day_start_minute: i32,
    /// End of the daytime window, minutes from midnight. Default 1200 (20:00).
    pub day_end_minute: i32,
    /// A night minute with at least this count is "active" (walking-level
    /// movement, well above sleep twitches). Default 40.
    pub night_active_count: f64,
    /// Quiet minutes allowed inside one active bout. Default 3.
    pub bout_gap_minutes: u32,
    /// A minute with at most this count is "at rest" (pyActigraphy's
    /// binarization threshold). Default 4.
    pub rest_count: f64,
    /// A heart-rate reading marks this many minutes either side as worn.
    /// Default 5.
    pub heart_rate_wear_minutes: u32,
    /// The person's own night is the quiet part of their average day over
    /// the learning days (see `docs/care.md`), but at least this long
    /// (minutes, grown evenly around its middle). Default 300.
    pub night_min_minutes: u32,
    /// And at most this long (shrunk evenly). Default 720 (12 h: 10 h cut
    /// a real early sleeper's 10.5-hour night short at both ends;
    /// docs/care.md).
    pub night_max_minutes: u32,
    /// Activity running into the start of the learned night without sleep
    /// before it (going to bed late), or into its end without sleep after
    /// it (getting up early), loses this many minutes there: bed and
    /// getting-up times vary by an hour or more from day to day, and are
    /// not wandering. Activity from sleep and back to it counts whole.
    /// Default 90.
    pub night_edge_minutes: u32,
    /// Days before today that learn the night. Default 14.
    pub night_learning_days: u32,
    /// Learning days (worn: 20 h of data, no 12-hour zero run, from noon
    /// to noon) needed to learn the night; until then the
    /// fixed `night_start_minute..night_end_minute` window is used.
    /// Default 7.
    pub night_learning_min_days: u32,
    /// The night is where the average day's activity (a centred one-hour
    /// mean) stays at or below this share of its mean level, grown from its
    /// least active 5 hours. Default 0.3.
    pub night_quiet_fraction: f64,
    /// Still sleep: a zero run that begins in the night window (or up to
    /// `still_sleep_early_minutes` before it), right after recorded
    /// minutes, and lasts at most this long is sleep, not non-wear.
    /// Default 720 (12 h, the `not_worn` limit).
    pub still_sleep_max_minutes: u32,
    /// How long before the night window still sleep may begin. Default 120.
    pub still_sleep_early_minutes: u32,
}

impl Default for FeatureSettings {
    fn default() -> Self {
        Self {
            night_start_minute: 0,
            night_end_minute: 300,
            day_start_minute: 540,
            day_end_minute: 1200,
            night_active_count: 40.0,
            bout_gap_minutes: 3,
            rest_count: 4.0,
            heart_rate_wear_minutes: 5,
            night_min_minutes: 300,
            night_max_minutes: 720,
            night_edge_minutes: 90,
            night_quiet_fraction: 0.3,
            night_learning_days: 14,
            night_learning_min_days: 7,
            still_sleep_max_minutes: 720,
            still_sleep_early_minutes: 120,
        }
    }
}

/// A local wall-clock interval, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Local start.
    pub start: NaiveDateTime,
    /// Local end (exclusive).
    pub end: NaiveDateTime,
}

impl Span {
    /// Length in whole minutes.
    pub fn minutes(&self) -> u32 {
        u32::try_from((self.end - self.start).num_minutes()).unwrap_or(0)
    }
}

/// The night window of a day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NightFeatures {
    /// The window itself (local; it may start the evening before).
    pub window: Span,
    /// Whether the window is the person's own (learned from their L5
    /// midpoints) rather than the fixed default.
    pub learned: bool,
    /// Length of the window in minutes.
    pub window_minutes: u32,
    /// Worn minutes in the window.
    pub worn_minutes: u32,
    /// Worn minutes with a count of at least `night_active_count`.
    pub active_minutes: u32,
    /// Sum of counts over the worn minutes of the window.
    pub counts: f64,
    /// Longest run of active minutes (quiet gaps of up to `bout_gap_minutes`
    /// bridged), clipped to the window, except that a bout from still sleep
    /// or back to it counts on past the window's edge (docs/care.md).
    pub longest_bout: Option<Span>,
}

/// One local day, reduced. Small and serializable, so the façade may store
/// it instead of recomputing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayFeatures {
    /// The local calendar day.
    pub date: NaiveDate,
    /// Worn minutes in the day (of 1440 wall-clock minutes).
    pub worn_minutes: u32,
    /// Not-worn (or missing) minutes from 00:00 until the first worn minute.
    pub unworn_lead_minutes: u32,
    /// Not-worn (or missing) minutes from the last worn minute to 24:00.
    pub unworn_tail_minutes: u32,
    /// Longest not-worn run inside the day.
    pub longest_unworn: Option<Span>,
    /// The night window (the night that ends this morning).
    pub night: NightFeatures,
    /// Length of the daytime window in minutes.
    pub day_window_minutes: u32,
    /// Worn minutes in the daytime window.
    pub day_worn_minutes: u32,
    /// Worn minutes above `rest_count` in the daytime window.
    pub day_active_minutes: u32,
    /// Longest run of worn minutes at rest in the daytime window.
    pub longest_still: Option<Span>,
    /// Minutes above `rest_count` in each local hour 0..24; `None` when any
    /// minute of the hour was not worn. Feeds the weekly IS/IV/RA.
    pub hourly_active_minutes: Vec<Option<u8>>,
    /// The main sleep episode ending this day, if the device reported one.
    pub sleep: Option<Span>,
    /// Whether the 24 h from noon the day before to noon this day can teach
    /// the person's night: 20 h of data and no zero run of 12 h or more.
    pub learns_night: bool,
}

impl DayFeatures {
    /// Local midnight starting the day.
    pub fn day_start(&self) -> NaiveDateTime {
        self.date.and_time(NaiveTime::MIN)
    }

    /// A day with no data at all (everything unworn).
    pub fn empty(date: NaiveDate, settings: &FeatureSettings) -> Self {
        let n = vec![None; DAY_MINUTES];
        let worn = vec![false; DAY_MINUTES];
        let start = date.and_time(NaiveTime::MIN);
        let night = NightWindow::fixed(settings);
        day_from_grid(date, start, &n, &worn, 0, &[], night, settings)
    }
}

/// Features of every local day from `first` to `last` (inclusive), in date
/// order. Recordings before `first` give context (the night of each day is
/// learned from the `night_learning_days` before it, and non-wear runs are
/// seen from 12 h before its midnight); later ones are ignored. Days
/// without data come out all unworn. A day's features depend only on
/// recordings from `night_learning_days` + 1 days before its midnight to its
/// end, so they are final once the day is over (evaluate ended days only;
/// see [`not_synced`](crate::not_synced) for the current one).
pub fn daily_features(
    recordings: &Recordings<'_>,
    first: NaiveDate,
    last: NaiveDate,
    settings: &FeatureSettings,
) -> Vec<DayFeatures> {
    if last < first {
        return Vec::new();
    }
    let n_days = usize::try_from((last - first).num_days() + 1).unwrap_or(0);
    // Days before `first` only learn the night.
    let lead = settings.night_learning_days as usize;
    let n_all = lead + n_days;
    let grid_start = first.and_time(NaiveTime::MIN)
        - Duration::days(lead as i64)
        - Duration::minutes(MARGIN_MINUTES as i64);
    let n = MARGIN_MINUTES + n_all * DAY_MINUTES;
    // Minute of the grid of a wall-clock time, in seconds of that wall
    // clock (truncated toward zero, as `(local - grid_start).num_minutes()`).
    let grid_seconds = grid_start.and_utc().timestamp();
    let index = |local_seconds: i64| -> Option<usize> {
        let minutes = (local_seconds - grid_seconds) / 60;
        usize::try_from(minutes).ok().filter(|&i| i < n)
    };

    // Counts per wall-clock minute; a minute seen under two offsets (the
    // repeated autumn hour) is averaged.
    let mut sums = vec![0.0f64; n];
    let mut offsets: Vec<Option<i32>> = vec![None; n];
    let mut doubled = vec![false; n];
    for epoch in recordings.activity {
        let local = epoch.at.local_seconds();
        let spread = (epoch.epoch_seconds / 60).max(1);
        let share = f64::from(epoch.count) / f64::from(spread);
        for k in 0..spread {
            let Some(i) = index(local + 60 * i64::from(k)) else {
                continue;
            };
            match offsets[i] {
                None => offsets[i] = Some(epoch.at.offset_seconds),
                Some(offset) if offset != epoch.at.offset_seconds => doubled[i] = true,
                Some(_) => {}
            }
            sums[i] += share;
        }
    }
    let counts: Vec<Option<f64>> = (0..n)
        .map(|i| offsets[i].map(|_| if doubled[i] { sums[i] / 2.0 } else { sums[i] }))
        .collect();

    let mut heart = vec![false; n];
    let reach = i64::from(settings.heart_rate_wear_minutes);
    for reading in recordings.heart_rate {
        let local = reading.at.local_seconds();
        for k in -reach..=reach {
            if let Some(i) = index(local + 60 * k) {
                heart[i] = true;
            }
        }
    }

    // Each day sees only its own minutes and the 12 h before (and, for its
    // night window, the L5 midpoints of the days before): its features
    // never change when later data arrive, so alert ids stay stable when
    // days are evaluated one by one.
    let slice = |d: usize| d * DAY_MINUTES..d * DAY_MINUTES + MARGIN_MINUTES + DAY_MINUTES;
    let learns: Vec<bool> = (0..n_all)
        .map(|d| learns_night(&counts[slice(d)]))
        .collect();
    // The counts as plain numbers (0 where missing) and where they are
    // present, for the learned night's sums (no branch per minute).
    let values: Vec<f64> = counts.iter().map(|c| c.unwrap_or(0.0)).collect();
    let present: Vec<u32> = counts.iter().map(|c| u32::from(c.is_some())).collect();
    (lead..n_all)
        .map(|d| {
            let date = first + Duration::days((d - lead) as i64);
            let range = slice(d);
            let lo = range.start;
            let start = grid_start + Duration::minutes(lo as i64);
            let days: Vec<(&[f64], &[u32])> = (d - lead..d)
                .filter(|&k| learns[k])
                .map(|k| k * DAY_MINUTES..k * DAY_MINUTES + DAY_MINUTES)
                .map(|day| (&values[day.clone()], &present[day]))
                .collect();
            let counts = &counts[range];
            let night = NightWindow::learned(&days, settings)
                .unwrap_or_else(|| NightWindow::fixed(settings));
            let worn = wear(counts, &heart[lo..lo + counts.len()], night, settings);
            let mut day = day_from_grid(
                date,
                start,
                counts,
                &worn,
                MARGIN_MINUTES,
                recordings.sleep,
                night,
                settings,
            );
            day.learns_night = learns[d];
            day
        })
        .collect()
}

/// A day's night window in minutes from its midnight, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NightWindow {
    start: i32,
    end: i32,
    learned: bool,
}

impl NightWindow {
    fn fixed(settings: &FeatureSettings) -> Self {
        Self {
            start: settings.night_start_minute,
            end: settings.night_end_minute,
            learned: false,
        }
    }

    /// The quiet part of the average noon-to-noon day of `days` (each 1440
    /// minutes from noon: the counts, 0 where missing, and 1 where present),
    /// once enough days are known: each minute's mean
    /// count over the days, smoothed by a centred one-hour mean; the
    /// night grows from its least active 5 hours while the smoothed profile
    /// stays at or below `night_quiet_fraction` of its mean.
    fn learned(days: &[(&[f64], &[u32])], settings: &FeatureSettings) -> Option<Self> {
        const L5: usize = 300;
        const HALF: usize = 30;
        if days.len() < settings.night_learning_min_days.max(1) as usize {
            return None;
        }
        let n = DAY_MINUTES;
        let mut sum = vec![0.0f64; n];
        let mut seen = vec![0u32; n];
        for (values, present) in days {
            for (s, v) in sum.iter_mut().zip(values.iter()) {
                *s += v;
            }
            for (s, p) in seen.iter_mut().zip(present.iter()) {
                *s += p;
            }
        }
        let profile: Vec<f64> = (0..n).map(|i| sum[i] / f64::from(seen[i].max(1))).collect();
        let mut running = vec![0.0f64; n + 1];
        for i in 0..n {
            running[i + 1] = running[i] + profile[i];
        }
        let smooth: Vec<f64> = (0..n)
            .map(|i| {
                let (a, b) = (i.saturating_sub(HALF), (i + HALF + 1).min(n));
                (running[b] - running[a]) / (b - a) as f64
            })
            .collect();
        let mean = profile.iter().sum::<f64>() / n as f64;
        if mean.is_nan() || mean <= 0.0 {
            return None;
        }
        let mut prefix = vec![0.0f64; n + 1];
        for i in 0..n {
            prefix[i + 1] = prefix[i] + smooth[i];
        }
        let l5 = (0..=n - L5).min_by(|&a, &b| {
            (prefix[a + L5] - prefix[a]).total_cmp(&(prefix[b + L5] - prefix[b]))
        })?;
        let quiet = settings.night_quiet_fraction * mean;
        let mut from = l5;
        while from > 0 && smooth[from - 1] <= quiet {
            from -= 1;
        }
        let mut to = l5 + L5;
        while to < n && smooth[to] <= quiet {
            to += 1;
        }
        let min = settings.night_min_minutes.min(DAY_MINUTES as u32) as i32;
        let max = settings
            .night_max_minutes
            .clamp(settings.night_min_minutes, DAY_MINUTES as u32) as i32;
        let (start, end) = (
            from as i32 - MARGIN_MINUTES as i32,
            to as i32 - MARGIN_MINUTES as i32,
        );
        let length = (end - start).clamp(min, max);
        let start = (start + end) / 2 - length / 2;
        Some(Self {
            start,
            end: start + length,
            learned: true,
        })
    }
}

/// Whether a day slice (index 0 = noon the day before) can teach the
/// night: at least 20 h of data and no zero (or missing) run of 12 h in
/// the noon-to-noon 24 h.
fn learns_night(counts: &[Option<f64>]) -> bool {
    let day = DAY_MINUTES.min(counts.len());
    let present = counts[..day].iter().filter(|c| c.is_some()).count();
    let zero_run = longest_run(0..day, |i| counts[i].is_none_or(|c| c < 1.0));
    present >= 20 * 60 && zero_run.is_none_or(|(a, b)| b - a < 720)
}

/// Wear per minute of a day slice: recorded, and either not in a non-wear
/// run (`phr_analysis::non_wear_mask`: 90-minute zero runs, 2-minute spike
/// tolerance) or proven by heart rate, or **still sleep**: a non-wear run
/// that begins in the night window (or up to `still_sleep_early_minutes`
/// before it, this night's or the next), right after a recorded minute,
/// lasts at most `still_sleep_max_minutes` and ends at recorded minutes or
/// at the slice's end. A real sleeping wrist reads 0 for hours; a watch on
/// a table reads 0 for longer, or outside the night.
fn wear(
    counts: &[Option<f64>],
    heart: &[bool],
    night: NightWindow,
    settings: &FeatureSettings,
) -> Vec<bool> {
    let Ok(series) = EpochSeries::new(NaiveDate::MIN.and_time(NaiveTime::MIN), 60, counts.to_vec())
    else {
        return vec![false; counts.len()];
    };
    let mut mask = non_wear_mask(&series, &NonWearRule::for_epoch(60));
    let base = MARGIN_MINUTES as i32;
    let early = settings.still_sleep_early_minutes as i32;
    let begins_at_night = |i: usize| {
        let t = i as i32 - base;
        [0, DAY_MINUTES as i32]
            .iter()
            .any(|shift| (night.start - early + shift..night.end + shift).contains(&t))
    };
    let mut i = 0;
    while i < mask.len() {
        if mask[i] {
            i += 1;
            continue;
        }
        let s = i;
        while i < mask.len() && !mask[i] {
            i += 1;
        }
        let after_data = s > 0 && counts[s - 1].is_some();
        let ends_in_data = i == mask.len() || counts[i].is_some();
        if after_data
            && ends_in_data
            && i - s <= settings.still_sleep_max_minutes as usize
            && begins_at_night(s)
        {
            mask[s..i].iter_mut().for_each(|m| *m = true);
        }
    }
    (0..counts.len())
        .map(|i| counts[i].is_some() && (mask[i] || heart[i]))
        .collect()
}

/// Longest run of `pred` over `range`, as (start, end) indices.
fn longest_run(
    range: std::ops::Range<usize>,
    pred: impl Fn(usize) -> bool,
) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut run_start: Option<usize> = None;
    for i in range.clone() {
        match (pred(i), run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                if best.is_none_or(|(a, b)| i - s > b - a) {
                    best = Some((s, i));
                }
                run_start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = run_start {
        if best.is_none_or(|(a, b)| range.end - s > b - a) {
            best = Some((s, range.end));
        }
    }
    best
}

fn window(base: usize, from: i32, to: i32, len: usize) -> std::ops::Range<usize> {
    let clamp = |m: i32| {
        let m = i64::from(m).clamp(-(MARGIN_MINUTES as i64), DAY_MINUTES as i64);
        usize::try_from(base as i64 + m).unwrap_or(0).min(len)
    };
    clamp(from)..clamp(to.max(from))
}

#[allow(clippy::too_many_arguments)]
fn day_from_grid(
    date: NaiveDate,
    grid_start: NaiveDateTime,
    counts: &[Option<f64>],
    worn: &[bool],
    base: usize,
    sleep: &[SleepEpisode],
    night_window: NightWindow,
    settings: &FeatureSettings,
) -> DayFeatures {
    let len = counts.len();
    let at = |i: usize| grid_start + Duration::minutes(i as i64);
    let span = |(a, b): (usize, usize)| Span {
        start: at(a),
        end: at(b),
    };
    let count = |i: usize| counts[i].unwrap_or(0.0);
    let day = base..(base + DAY_MINUTES).min(len);

    let worn_minutes = day.clone().filter(|&i| worn[i]).count() as u32;
    let unworn_lead_minutes = day.clone().take_while(|&i| !worn[i]).count() as u32;
    let unworn_tail_minutes = day.clone().rev().take_while(|&i| !worn[i]).count() as u32;
    let longest_unworn = longest_run(day.clone(), |i| !worn[i]).map(span);

    // Night window.
    let night = window(base, night_window.start, night_window.end, len);
    let active = |i: usize| worn[i] && count(i) >= settings.night_active_count;
    let night_worn = night.clone().filter(|&i| worn[i]).count() as u32;
    let night_counts: f64 = night.clone().filter(|&i| worn[i]).map(count).sum();
    let gap = settings.bout_gap_minutes as usize;
    // Bouts are followed past the window's edges, to tell activity from
    // sleep (settled before and after) from going to bed late or getting
    // up early.
    let reach = (night.start.saturating_sub(SETTLED_REACH))..(night.end + SETTLED_REACH).min(len);
    let mut bouts: Vec<(usize, usize)> = Vec::new();
    for i in reach.clone() {
        if !active(i) {
            continue;
        }
        match bouts.last_mut() {
            Some((_, b)) if i <= *b + gap => *b = i + 1,
            _ => bouts.push((i, i + 1)),
        }
    }
    // Asleep: most minutes at rest (sitting up reads above the rest count);
    // still: nearly all of them.
    let restless = |range: std::ops::Range<usize>| {
        range
            .filter(|&i| !worn[i] || count(i) > settings.rest_count)
            .count()
    };
    let settled =
        |range: std::ops::Range<usize>| !range.is_empty() && restless(range) <= SETTLED_RESTLESS;
    let still =
        |range: std::ops::Range<usize>| !range.is_empty() && restless(range) <= STILL_RESTLESS;
    // Activity running into the edges of the person's own night, not from
    // sleep or not back to it, is going to bed late or getting up early,
    // not wandering: it loses the edge there.
    let edge = if night_window.learned {
        settings.night_edge_minutes as usize
    } else {
        0
    };
    let before = |a: usize| a.saturating_sub(SETTLED_MINUTES).max(reach.start)..a;
    let after = |b: usize| b..(b + SETTLED_MINUTES).min(reach.end);
    let mut trimmed: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in &bouts {
        // Up long before the night or long after it: not from or back to
        // sleep, whatever follows.
        let from_sleep = a + edge >= night.start && settled(before(a));
        let back_to_sleep = b <= night.end + edge && settled(after(b));
        let mut x = a.max(night.start);
        let mut y = b.min(night.end);
        if x <= night.start + gap && !from_sleep {
            x = night.start + edge;
        }
        if y + gap >= night.end && !back_to_sleep {
            y = night.end.saturating_sub(edge);
        }
        // Past the average window, a bout counts on to where the person
        // lay still again: tonight's sleep began earlier or lasted later
        // than usual. Only still sleep counts there, as most people are
        // up and about on and off at those hours.
        if edge > 0 && from_sleep && a < night.start && still(before(a)) {
            x = a;
        }
        if edge > 0 && back_to_sleep && b > night.end && still(after(b)) {
            y = b;
        }
        if x < y {
            trimmed.push((x, y));
        }
    }
    let counted = |i: usize| trimmed.iter().any(|&(a, b)| (a..b).contains(&i));
    let in_bout = |i: usize| bouts.iter().any(|&(a, b)| (a..b).contains(&i));
    let night_active = night
        .clone()
        .filter(|&i| active(i) && (counted(i) || !in_bout(i)))
        .count() as u32;
    let longest_bout = trimmed
        .iter()
        .copied()
        .reduce(|x, y| if y.1 - y.0 > x.1 - x.0 { y } else { x });

    // Daytime window.
    let daytime = window(
        base,
        settings.day_start_minute,
        settings.day_end_minute,
        len,
    );
    let day_window_minutes = daytime.len() as u32;
    let day_worn_minutes = daytime.clone().filter(|&i| worn[i]).count() as u32;
    let day_active_minutes = daytime
        .clone()
        .filter(|&i| worn[i] && count(i) > settings.rest_count)
        .count() as u32;
    let longest_still =
        longest_run(daytime, |i| worn[i] && count(i) <= settings.rest_count).map(span);

    let hourly_active_minutes = (0..24)
        .map(|h| {
            let hour = (base + h * 60)..(base + h * 60 + 60).min(len);
            if hour.is_empty() || hour.clone().any(|i| !worn[i]) {
                return None;
            }
            let n = hour.filter(|&i| count(i) > settings.rest_count).count();
            u8::try_from(n).ok()
        })
        .collect();

    let sleep = sleep
        .iter()
        .filter(|e| e.is_main && e.end.local_date() == date)
        .max_by_key(|e| e.end.utc - e.start.utc)
        .map(|e| Span {
            start: e.start.local(),
            end: e.end.local(),
        });

    DayFeatures {
        date,
        worn_minutes,
        unworn_lead_minutes,
        unworn_tail_minutes,
        longest_unworn,
        night: NightFeatures {
            window: span((night.start, night.end)),
            learned: night_window.learned,
            window_minutes: night.len() as u32,
            worn_minutes: night_worn,
            active_minutes: night_active,
            counts: night_counts,
            longest_bout: longest_bout.map(span),
        },
        day_window_minutes,
        day_worn_minutes,
        day_active_minutes,
        longest_still,
        hourly_active_minutes,
        sleep,
        learns_night: false,
    }
}

/// Minute of day of a local time (for tests and text).
pub(crate) fn minute_of_day(t: NaiveDateTime) -> u32 {
    t.hour() * 60 + t.minute()
}

#[cfg(test)]
mod tests {
    use super::*;
    use phr_model::Stamp;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
    }

    /// Minute epochs from `from` local midnight for `days` days in UTC+9,
    /// with `count(day, minute)`.
    fn epochs(first: NaiveDate, days: u32, count: impl Fn(u32, u32) -> u32) -> Vec<ActivityEpoch> {
        let start = first.and_time(NaiveTime::MIN).and_utc().timestamp() - 9 * 3600;
        (0..days * 1440)
            .map(|m| ActivityEpoch {
                at: Stamp::new(start + i64::from(m) * 60, 9 * 3600),
                epoch_seconds: 60,
                count: count(m / 1440, m % 1440),
            })
            .collect()
    }

    fn ordinary(minute: u32) -> u32 {
        match minute {
            0..=389 => u32::from(minute % 7 == 0) * 10,
            390..=1379 => 100 + (minute % 13) * 20,
            _ => u32::from(minute % 7 == 0) * 10,
        }
    }

    #[test]
    fn wandering_bout_is_found_with_its_times() {
        let log = epochs(date(1), 2, |day, m| {
            if day == 1 && (100..230).contains(&m) {
                300 + (m % 5) * 20
            } else {
                ordinary(m)
            }
        });
        let rec = Recordings {
            activity: &log,
            ..Default::default()
        };
        let days = daily_features(&rec, date(1), date(2), &FeatureSettings::default());
        assert_eq!(days.len(), 2);
        let night = days[1].night;
        assert_eq!(night.window_minutes, 300);
        assert_eq!(night.worn_minutes, 300);
        assert_eq!(night.active_minutes, 130);
        let bout = night.longest_bout.expect("bout");
        assert_eq!(bout.start, date(2).and_hms_opt(1, 40, 0).expect("t"));
        assert_eq!(bout.end, date(2).and_hms_opt(3, 50, 0).expect("t"));
        assert_eq!(bout.minutes(), 130);
        assert_eq!(days[0].night.active_minutes, 0);
        assert_eq!(days[0].worn_minutes, 1440);
        assert!(days[0].hourly_active_minutes.iter().all(Option::is_some));
    }

    #[test]
    fn unworn_day_and_still_stretch() {
        let log = epochs(date(1), 3, |day, m| match day {
            1 => 0,
            // Five still hours 10:00-15:00, not all zero (a still wrist
            // still twitches now and then).
            2 if (600..900).contains(&m) => u32::from(m % 10 == 0) * 2,
            _ => ordinary(m),
        });
        let rec = Recordings {
            activity: &log,
            ..Default::default()
        };
        let days = daily_features(&rec, date(1), date(3), &FeatureSettings::default());
        assert_eq!(days[1].worn_minutes, 0);
        assert_eq!(days[1].unworn_lead_minutes, 1440);
        assert_eq!(days[1].unworn_tail_minutes, 1440);
        assert!(days[1].hourly_active_minutes.iter().all(Option::is_none));
        let still = days[2].longest_still.expect("still");
        assert_eq!(minute_of_day(still.start), 600);
        assert_eq!(still.minutes(), 300);
        assert_eq!(days[2].worn_minutes, 1440);
    }

    #[test]
    fn heart_rate_proves_wear_of_an_all_zero_stretch() {
        let log = epochs(date(1), 1, |_, m| {
            if (600..900).contains(&m) {
                0
            } else {
                ordinary(m)
            }
        });
        let base = log[0].at.utc;
        let heart: Vec<HeartRate> = (0..1440 / 5)
            .map(|k| HeartRate {
                at: Stamp::new(base + k * 300, 9 * 3600),
                bpm: 70,
            })
            .collect();
        let settings = FeatureSettings::default();
        let without = daily_features(
            &Recordings {
                activity: &log,
                ..Default::default()
            },
            date(1),
            date(1),
            &settings,
        );
        assert_eq!(without[0].worn_minutes, 1440 - 300);
        let with = daily_features(
            &Recordings {
                activity: &log,
                heart_rate: &heart,
                sleep: &[],
            },
            date(1),
            date(1),
            &settings,
        );
        assert_eq!(with[0].worn_minutes, 1440);
        assert_eq!(with[0].longest_still.expect("still").minutes(), 300);
    }

    /// A real wrist: zeros all through the sleep 23:30-06:30, busy awake.
    fn real_wrist(minute: u32) -> u32 {
        match minute {
            0..=389 | 1410.. => 0,
            _ => 100 + (minute % 13) * 20,
        }
    }

    #[test]
    fn a_still_sleeping_wrist_is_worn_and_a_watch_on_a_table_is_not() {
        // Day 3 (index 2): the watch lies on a table from the morning on.
        let log = epochs(date(1), 4, |day, m| {
            if day == 2 && m >= 390 {
                0
            } else {
                real_wrist(m)
            }
        });
        let rec = Recordings {
            activity: &log,
            ..Default::default()
        };
        let days = daily_features(&rec, date(1), date(4), &FeatureSettings::default());
        // Seven hours of zeros in the night are still sleep...
        assert_eq!(days[1].worn_minutes, 1440);
        assert_eq!(days[1].night.worn_minutes, days[1].night.window_minutes);
        // ...as the old rule (every 90-minute zero run is non-wear) was not.
        let old = FeatureSettings {
            still_sleep_max_minutes: 0,
            ..FeatureSettings::default()
        };
        let before = daily_features(&rec, date(1), date(4), &old);
        assert_eq!(before[1].night.worn_minutes, 0);
        // The day on the table: zeros from 23:30 for 31 h, not sleep.
        assert_eq!(days[2].worn_minutes, 0);
        assert_eq!(days[3].unworn_lead_minutes, 390);
    }

    #[test]
    fn the_night_window_follows_the_persons_own_sleep() {
        // Asleep 03:00-11:00 (a shifted rhythm), busy otherwise.
        let late = |_: u32, m: u32| match m {
            180..=659 => u32::from(m % 9 == 0) * 3,
            _ => 100 + (m % 13) * 20,
        };
        let log = epochs(date(1), 20, late);
        let rec = Recordings {
            activity: &log,
            ..Default::default()
        };
        let settings = FeatureSettings::default();
        let days = daily_features(&rec, date(1), date(20), &settings);
        // Until 7 days are known: the fixed 00:00-05:00.
        assert!(!days[5].night.learned);
        assert_eq!(minute_of_day(days[5].night.window.start), 0);
        // Then the person's own night, within half an hour of their sleep.
        let night = days[19].night;
        assert!(night.learned);
        let start = i64::from(minute_of_day(night.window.start));
        let end = i64::from(minute_of_day(night.window.end));
        assert!((start - 180).abs() <= 30, "{:?}", night.window);
        assert!((end - 660).abs() <= 30, "{:?}", night.window);
        // Activity at 09:00 is in this person's night; at 01:00 it is not.
        let wander = epochs(date(1), 20, |day, m| {
            if day == 19 && (540..600).contains(&m) {
                400
            } else {
                late(day, m)
            }
        });
        let rec = Recordings {
            activity: &wander,
            ..Default::default()
        };
        let days = daily_features(&rec, date(1), date(20), &settings);
        assert_eq!(days[19].night.longest_bout.expect("bout").minutes(), 60);
    }

    #[test]
    fn a_bout_past_the_usual_night_counts_whole_only_back_in_still_sleep() {
        // Asleep 03:00-11:00 (the learned night), busy otherwise.
        let late = |_: u32, m: u32| match m {
            180..=659 => u32::from(m % 9 == 0) * 3,
            _ => 100 + (m % 13) * 20,
        };
        let settings = FeatureSettings::default();
        let night_of = |count: &dyn Fn(u32, u32) -> u32| {
            let log = epochs(date(1), 20, count);
            let rec = Recordings {
                activity: &log,
                ..Default::default()
            };
            daily_features(&rec, date(1), date(20), &settings)[19].night
        };
        let end = minute_of_day(night_of(&late).window.end);
        assert!((630..=690).contains(&end), "{end}");
        // On the last night: up an hour from 10:20, then back to still
        // sleep until 13:00 (a later morning than usual).
        let back_to_sleep = night_of(&|day, m| match (day, m) {
            (19, 620..=679) => 400,
            (19, 680..=779) => u32::from(m % 9 == 0) * 3,
            _ => late(day, m),
        });
        let bout = back_to_sleep.longest_bout.expect("bout");
        assert_eq!(bout.minutes(), 60, "{bout:?}");
        assert_eq!(minute_of_day(bout.end), 680);
        // The same hour run into the day (getting up early): it loses the
        // window's last 90 minutes, and is not counted past the window.
        let getting_up = night_of(&|day, m| match (day, m) {
            (19, 620..=679) => 400,
            _ => late(day, m),
        });
        assert!(
            getting_up.longest_bout.is_none_or(|b| b.minutes() < 30),
            "{:?}",
            getting_up.longest_bout
        );
        // Back to restless rest (sitting up, more than 2 of 30 minutes
        // above the rest count) is not still sleep: clipped to the window.
        let restless = night_of(&|day, m| match (day, m) {
            (19, 620..=679) => 400,
            (19, 680..=779) => u32::from(m % 3 == 0) * 10,
            _ => late(day, m),
        });
        let bout = restless.longest_bout.expect("bout");
        assert_eq!(bout.end, restless.window.end, "{bout:?}");
    }

    #[test]
    fn days_without_data_are_unworn() {
        let days = daily_features(
            &Recordings::default(),
            date(1),
            date(2),
            &FeatureSettings::default(),
        );
        assert_eq!(days.len(), 2);
        assert_eq!(
            days[1],
            DayFeatures::empty(date(2), &FeatureSettings::default())
        );
        assert!(daily_features(
            &Recordings::default(),
            date(2),
            date(1),
            &FeatureSettings::default()
        )
        .is_empty());
    }

    #[test]
    fn night_window_may_start_the_evening_before() {
        let log = epochs(date(1), 2, |day, m| {
            if day == 0 && m >= 1350 {
                200
            } else {
                ordinary(m)
            }
        });
        let settings = FeatureSettings {
            night_start_minute: -120,
            ..FeatureSettings::default()
        };
        let days = daily_features(
            &Recordings {
                activity: &log,
                ..Default::default()
            },
            date(1),
            date(2),
            &settings,
        );
        assert_eq!(days[1].night.window_minutes, 420);
        let bout = days[1].night.longest_bout.expect("bout");
        // Evening activity runs on to midnight; the bout is clipped to the
        // window's start.
        assert_eq!(bout.start, date(1).and_hms_opt(22, 0, 0).expect("t"));
        assert_eq!(bout.end, date(2).and_hms_opt(0, 0, 0).expect("t"));
    }
}
