//! Rest-period detection (Roenneberg / Munich Actimetry Sleep Detection
//! Algorithm, as in pyActigraphy 1.2.2 `sleep/scoring/roenneberg.py`) and the
//! nightly sleep-episode summary built on top of it.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::scoring::SleepScores;
use crate::series::EpochSeries;

/// Options of [`roenneberg`], as durations in seconds (pyActigraphy defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoennebergOptions {
    /// Centered rolling-mean window of the trend (default 24 h).
    pub trend_period_seconds: u32,
    /// Minimum number of present values (as a duration) for a trend value (12 h).
    pub min_trend_period_seconds: u32,
    /// An epoch is "potential sleep" when `count <= threshold * trend` (0.15).
    pub threshold: f64,
    /// Minimum run of potential sleep that seeds an episode (30 min).
    pub min_seed_period_seconds: u32,
    /// Length of the test series after a seed (12 h).
    pub max_test_period_seconds: u32,
    /// A correlation peak must exceed the values this far after it (30 min).
    pub r_consec_below_seconds: u32,
}

impl Default for RoennebergOptions {
    fn default() -> Self {
        Self {
            trend_period_seconds: 24 * 3600,
            min_trend_period_seconds: 12 * 3600,
            threshold: 0.15,
            min_seed_period_seconds: 30 * 60,
            max_test_period_seconds: 12 * 3600,
            r_consec_below_seconds: 30 * 60,
        }
    }
}

/// A rest (sleep) period as epoch indices of its series, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestPeriod {
    /// First epoch of the period.
    pub first: usize,
    /// Last epoch of the period (inclusive).
    pub last: usize,
}

/// Output of [`roenneberg`].
#[derive(Debug, Clone, PartialEq)]
pub struct RestDetection {
    /// Per epoch: `Some(true)` rest, `Some(false)` activity, `None` where the
    /// trend is undefined (fewer than 12 h of data in the 24 h window) and
    /// the epoch is outside every rest period — pyActigraphy's NaN.
    pub rest: Vec<Option<bool>>,
    /// The detected rest periods, in time order.
    pub periods: Vec<RestPeriod>,
}

/// Roenneberg's consolidated-sleep detection (pyActigraphy `Roenneberg()` with
/// `rsfreq=None`) on the native epoch.
///
/// 1. trend = centered rolling mean over 24 h (≥ 12 h of present values);
/// 2. potential sleep where `count <= 0.15 * trend` (missing counts → wake);
/// 3. every run of ≥ 30 min of potential sleep is a seed; for each seed not
///    inside the previous episode, the 12 h that follow are correlated
///    (Pearson) with step templates "sleep for k epochs, then wake"; the
///    offset is the highest correlation peak that beats the next 30 min of
///    values; the episode is seed..=offset;
/// 4. everything outside episodes is wake.
///
/// Where pyActigraphy raises (no seed at all, or a seed less than 31 epochs
/// before the end of the recording), this function returns no episode for
/// that seed instead.
pub fn roenneberg(series: &EpochSeries, opts: &RoennebergOptions) -> RestDetection {
    let (sw, periods) = detect(series, opts);
    // Rest inside the periods; potential sleep outside them is wake.
    let mut rest: Vec<Option<bool>> = sw
        .into_iter()
        .map(|v| if v == Some(true) { Some(false) } else { v })
        .collect();
    for period in &periods {
        rest[period.first..=period.last].fill(Some(true));
    }
    RestDetection { rest, periods }
}

/// The rest periods of [`roenneberg`] alone, without its per-epoch labels
/// (what a nightly summary needs; a year of minutes: 1 MB and a pass less).
pub fn rest_periods(series: &EpochSeries, opts: &RoennebergOptions) -> Vec<RestPeriod> {
    detect(series, opts).1
}

/// Roenneberg's potential sleep per epoch (`None` where the trend is
/// undefined) and the rest periods found from it.
fn detect(series: &EpochSeries, opts: &RoennebergOptions) -> (Vec<Option<bool>>, Vec<RestPeriod>) {
    let ep = series.epoch_seconds.max(1);
    let x = &series.counts;
    let n = x.len();
    let w = (opts.trend_period_seconds / ep) as usize;
    let minp = (opts.min_trend_period_seconds / ep) as usize;
    // Whole counts whose sum stays below 2^53 make every partial sum exact,
    // so a window's sum kept as the window slides is the very number the
    // difference of prefix sums gives, without their two arrays (a year of
    // minutes: 6 MB). Other counts take the prefix sums.
    let sw = potential_sleep(x, w, minp, opts.threshold, sums_are_exact(x));
    let seed_len = (opts.min_seed_period_seconds / ep) as usize;
    let test_len = (opts.max_test_period_seconds / ep) as usize;
    let n_succ = (opts.r_consec_below_seconds / ep) as usize + 1;
    let mut periods: Vec<RestPeriod> = Vec::new();
    let mut offsets = SleepOffsets::default();
    for (seed, end) in runs_of_true(&sw) {
        if end - seed < seed_len {
            continue;
        }
        if periods.last().is_some_and(|last| seed < last.last) {
            continue;
        }
        // Label slice seed..=seed+12h, of which the first `test_len` values.
        let end = (seed + test_len + 1).min(n);
        let take = (end - seed).min(test_len);
        if let Some(k) = offsets.of(&sw[seed..seed + take], n_succ) {
            periods.push(RestPeriod {
                first: seed,
                last: seed + k,
            });
        }
    }
    (sw, periods)
}

/// Whether every sum of the present counts is exact in `f64`: all whole
/// numbers, their absolute values summing to less than 2^53.
fn sums_are_exact(x: &[Option<f64>]) -> bool {
    let mut total = 0.0f64;
    x.iter().flatten().all(|v| {
        total += v.abs();
        (*v as i64) as f64 == *v
    }) && total < 9_007_199_254_740_992.0
}

/// Roenneberg's potential sleep per epoch: `count <= threshold * trend`,
/// the trend a centered rolling mean over `w` epochs with at least `minp`
/// present (`None` where it is undefined). With `sliding`, the window's sum
/// is kept as it slides (exact for whole counts, see [`detect`]); without,
/// taken from prefix sums.
fn potential_sleep(
    x: &[Option<f64>],
    w: usize,
    minp: usize,
    threshold: f64,
    sliding: bool,
) -> Vec<Option<bool>> {
    let n = x.len();
    let half = w / 2;
    // pandas centered fixed window for epoch i: [i - w/2, i - w/2 + w - 1].
    let window = |i: usize| (i.saturating_sub(half), (i + w - half).min(n));
    let label = |xi: &Option<f64>, sum: f64, cnt: u32| {
        let trend = (w > 0 && cnt as usize >= minp.max(1)).then(|| sum / f64::from(cnt));
        trend.map(|t| xi.is_some_and(|v| v <= threshold * t))
    };
    let mut sw: Vec<Option<bool>> = Vec::with_capacity(n);
    if sliding {
        // The window's ends move by at most one epoch a step.
        let (mut lo, mut sum, mut cnt) = (0usize, 0.0f64, 0u32);
        let mut hi = window(0).1;
        for v in x[..hi].iter().flatten() {
            sum += v;
            cnt += 1;
        }
        for (i, xi) in x.iter().enumerate() {
            let (a, b) = window(i);
            if hi < b {
                if let Some(v) = x[hi] {
                    sum += v;
                    cnt += 1;
                }
                hi += 1;
            }
            if lo < a {
                if let Some(v) = x[lo] {
                    sum -= v;
                    cnt -= 1;
                }
                lo += 1;
            }
            sw.push(label(xi, sum, cnt));
        }
    } else {
        // Prefix sums of present values for the rolling mean; counts as u32
        // (a series holds far fewer than 2^32 epochs).
        let mut psum = vec![0.0f64; n + 1];
        let mut pcnt = vec![0u32; n + 1];
        for (i, v) in x.iter().enumerate() {
            psum[i + 1] = psum[i] + v.unwrap_or(0.0);
            pcnt[i + 1] = pcnt[i] + u32::from(v.is_some());
        }
        for (i, xi) in x.iter().enumerate() {
            let (lo, hi) = window(i);
            sw.push(label(xi, psum[hi] - psum[lo], pcnt[hi] - pcnt[lo]));
        }
    }
    sw
}

fn runs_of_true(x: &[Option<bool>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < x.len() {
        if x[i] == Some(true) {
            let s = i;
            while i < x.len() && x[i] == Some(true) {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// The sleep offset within a seed's test window (pyActigraphy
/// `_clean_sleep_bout` + `find_highest_peak_idx`), in O(len), for many
/// windows: the step templates' terms depend only on the window's length
/// (12 h, for every seed but those near the end), so they are computed once
/// per length, and the buffers are reused.
#[derive(Default)]
struct SleepOffsets {
    /// Per `k` of a window as long as this: the template's mean (`ybar`)
    /// and norm (`norm_y`).
    templates: Vec<(f64, f64)>,
    xm: Vec<f64>,
    corr: Vec<f64>,
}

impl SleepOffsets {
    fn of(&mut self, test: &[Option<bool>], n_succ: usize) -> Option<usize> {
        let l = test.len();
        if l < n_succ + 1 {
            return None;
        }
        let lf = l as f64;
        if self.templates.len() != l {
            self.templates.clear();
            self.templates.extend((0..l).map(|k| {
                let ones = (k + 1) as f64;
                let ybar = ones / lf;
                let norm_y =
                    (ones * (1.0 - ybar) * (1.0 - ybar) + (lf - ones) * ybar * ybar).sqrt();
                (ybar, norm_y)
            }));
        }
        // A NaN makes every correlation NaN.
        let mut sum = 0.0;
        for v in test {
            sum += if (*v)? { 1.0 } else { 0.0 };
        }
        let mean = sum / lf;
        self.xm.clear();
        self.xm.extend(test.iter().map(|v| {
            let x = if *v == Some(true) { 1.0 } else { 0.0 };
            x - mean
        }));
        let norm_x = self.xm.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm_x == 0.0 {
            return None;
        }
        let total: f64 = self.xm.iter().sum();
        self.corr.clear();
        let mut prefix = 0.0;
        for (x, &(ybar, norm_y)) in self.xm.iter().zip(&self.templates) {
            prefix += x;
            self.corr.push(if norm_y > 0.0 {
                let r = (prefix - ybar * total) / (norm_x * norm_y);
                r.clamp(-1.0, 1.0)
            } else {
                f64::NAN
            });
        }
        let best = highest_peak(&self.corr, n_succ)?;
        self.corr.iter().position(|&c| c == best)
    }
}

/// The highest value of `corr` strictly greater than each of the `n_succ`
/// values after it (a peak candidate), over the candidates `0..len - n_succ`;
/// `None` without one. In O(len): the maximum of the following `n_succ`
/// values slides along with a monotonic queue, walking backwards, and a NaN
/// among them (which no value is greater than) is counted apart.
fn highest_peak(corr: &[f64], n_succ: usize) -> Option<f64> {
    use std::collections::VecDeque;
    let l = corr.len();
    if n_succ == 0 {
        return highest_peak_by_scan(corr, n_succ);
    }
    if l <= n_succ {
        return None;
    }
    // The window k+1..=k+n_succ: its non-NaN indices, largest (first to
    // leave) at the front, values strictly decreasing from the front.
    let mut window: VecDeque<usize> = VecDeque::with_capacity(n_succ + 1);
    let mut nans = 0usize;
    let push = |window: &mut VecDeque<usize>, nans: &mut usize, j: usize| {
        if corr[j].is_nan() {
            *nans += 1;
            return;
        }
        while window.back().is_some_and(|&b| corr[b] <= corr[j]) {
            window.pop_back();
        }
        window.push_back(j);
    };
    for j in ((l - n_succ)..l).rev() {
        push(&mut window, &mut nans, j);
    }
    let mut best: Option<f64> = None;
    for k in (0..l - n_succ).rev() {
        let c = corr[k];
        if nans == 0 && window.front().is_some_and(|&m| c > corr[m]) {
            best = Some(best.map_or(c, |b: f64| b.max(c)));
        }
        // Slide: k + n_succ leaves the window, k joins it.
        let leaving = k + n_succ;
        if corr[leaving].is_nan() {
            nans -= 1;
        } else if window.front() == Some(&leaving) {
            window.pop_front();
        }
        push(&mut window, &mut nans, k);
    }
    best
}

/// [`highest_peak`] by comparing each candidate with its `n_succ`
/// successors (pyActigraphy's way, O(len × n_succ)).
fn highest_peak_by_scan(corr: &[f64], n_succ: usize) -> Option<f64> {
    let mut best: Option<f64> = None;
    for k in 0..corr.len().checked_sub(n_succ)? {
        let c = corr[k];
        if corr[k + 1..=k + n_succ].iter().all(|&v| c > v) {
            best = Some(best.map_or(c, |b: f64| b.max(c)));
        }
    }
    best
}

/// Sleep summary of one rest period.
#[derive(Debug, Clone, PartialEq)]
pub struct SleepEpisode {
    /// The night this episode belongs to: the local date of `start - 12 h`
    /// (an episode starting at 01:30 on the 5th belongs to the night of the 4th).
    pub night_of: NaiveDate,
    /// Start of the rest period ("lights off" / bed time).
    pub start: NaiveDateTime,
    /// End of the rest period (exclusive: start of the first epoch after it).
    pub end: NaiveDateTime,
    /// Time in bed: `end - start`, in seconds.
    pub time_in_bed_seconds: u64,
    /// Total sleep time: scored-sleep epochs inside the period, in seconds.
    pub total_sleep_seconds: u64,
    /// Sleep onset latency: from `start` to the first scored-sleep epoch (the
    /// whole period when no sleep is scored), in seconds.
    pub sleep_onset_latency_seconds: u64,
    /// Wake after sleep onset: wake epochs between the first and the last
    /// scored-sleep epoch, in seconds.
    pub waso_seconds: u64,
    /// Sleep efficiency: total sleep time / time in bed (0 when TIB is 0).
    pub sleep_efficiency: f64,
    /// Number of awakenings: maximal runs of wake between the first and last
    /// scored-sleep epochs that last at least `min_awakening_epochs`.
    pub awakenings: u32,
}

/// Turns rest periods (e.g. from [`roenneberg`], on `rest_series`' grid) and a
/// sleep/wake scoring (e.g. Cole-Kripke, on its own grid) into per-night
/// sleep episodes. A scoring epoch belongs to the period when its start lies
/// in `[start, end)`. Scoring epochs outside the scoring's range count as
/// wake. `min_awakening_epochs` (≥ 1) filters brief arousals from the
/// awakening count; WASO still counts every wake epoch.
pub fn sleep_episodes(
    rest_series: &EpochSeries,
    periods: &[RestPeriod],
    scores: &SleepScores,
    min_awakening_epochs: usize,
) -> Vec<SleepEpisode> {
    let sep = i64::from(scores.epoch_seconds.max(1));
    periods
        .iter()
        .map(|p| {
            let start = rest_series.time_of(p.first);
            let end = rest_series.time_of(p.last + 1);
            let tib = (end - start).num_seconds().max(0) as u64;
            // Scoring epochs whose start lies in [start, end).
            let from = (start - scores.start).num_seconds();
            let to = (end - scores.start).num_seconds();
            let a = ceil_div(from, sep).max(0);
            let b = ceil_div(to, sep).max(0);
            let in_period: Vec<bool> = (a..b)
                .map(|i| scores.sleep.get(i as usize).copied().unwrap_or(false))
                .collect();
            let first = in_period.iter().position(|&s| s);
            let last = in_period.iter().rposition(|&s| s);
            let step = scores.epoch_seconds as u64;
            let tst = in_period.iter().filter(|&&s| s).count() as u64 * step;
            let (sol, waso, awakenings) = match (first, last) {
                (Some(f), Some(l)) => {
                    let onset_time = scores.time_of(a as usize + f);
                    let sol = (onset_time - start).num_seconds().max(0) as u64;
                    let inner = &in_period[f..=l];
                    let waso = inner.iter().filter(|&&s| !s).count() as u64 * step;
                    let mut aw = 0u32;
                    let mut run = 0usize;
                    for &s in inner {
                        if s {
                            if run >= min_awakening_epochs.max(1) {
                                aw += 1;
                            }
                            run = 0;
                        } else {
                            run += 1;
                        }
                    }
                    (sol, waso, aw)
                }
                _ => (tib, 0, 0),
            };
            SleepEpisode {
                night_of: (start - Duration::hours(12)).date(),
                start,
                end,
                time_in_bed_seconds: tib,
                total_sleep_seconds: tst,
                sleep_onset_latency_seconds: sol,
                waso_seconds: waso,
                sleep_efficiency: if tib == 0 {
                    0.0
                } else {
                    tst as f64 / tib as f64
                },
                awakenings,
            }
        })
        .collect()
}

fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleep_offset(test: &[Option<bool>], n_succ: usize) -> Option<usize> {
        SleepOffsets::default().of(test, n_succ)
    }

    #[test]
    fn the_sliding_trend_labels_whole_counts_as_the_prefix_sums_do() {
        // Three weeks of minutes, large and small whole counts, gaps (some
        // longer than half the window, so the trend is undefined there).
        let mut state = 11u64;
        let x: Vec<Option<f64>> = (0..21 * 1440)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let hour = (i / 60) % 24;
                let gap = (9000..10_500).contains(&i) || (state >> 60) == 0;
                let scale = if (7..23).contains(&hour) { 5000 } else { 30 };
                (!gap).then_some(((state >> 33) % scale) as f64)
            })
            .collect();
        for (w, minp) in [(1440, 720), (1440, 1), (61, 30), (0, 0), (50_000, 100)] {
            let sliding = potential_sleep(&x, w, minp, 0.15, true);
            let prefix = potential_sleep(&x, w, minp, 0.15, false);
            assert_eq!(sliding, prefix, "window {w}, at least {minp}");
            if w == 1440 && minp == 720 {
                assert!(sliding.contains(&None) && sliding.contains(&Some(true)));
            }
        }
        // Fractional counts, or whole ones too large, are not exact that
        // way: `detect` takes the prefix sums for them.
        assert!(sums_are_exact(&x));
        assert!(!sums_are_exact(&[Some(1.0), Some(2.5)]));
        assert!(!sums_are_exact(&[Some(4.0e15), Some(6.0e15)]));
        assert!(sums_are_exact(&[Some(4.0e15), None, Some(-4.0e15)]));
        let series = EpochSeries::new(
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
                .expect("date")
                .and_hms_opt(0, 0, 0)
                .expect("time"),
            60,
            x.iter().map(|v| v.map(|v| v + 0.1)).collect(),
        )
        .expect("series");
        let (labels, _) = detect(&series, &RoennebergOptions::default());
        assert_eq!(
            labels,
            potential_sleep(&series.counts, 1440, 720, 0.15, false)
        );
    }

    /// The sliding-window peak search finds what comparing each candidate
    /// with its successors finds, on random curves with ties and NaNs.
    #[test]
    fn highest_peak_agrees_with_the_scan() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..3000 {
            let len = (next() % 80) as usize;
            let levels = 1 + next() % 6; // few levels: many ties
            let corr: Vec<f64> = (0..len)
                .map(|_| match next() % 40 {
                    0 if case % 3 == 0 => f64::NAN,
                    1 => -0.0,
                    _ => (next() % levels) as f64 / levels as f64 - 0.5,
                })
                .collect();
            for n_succ in [0, 1, 2, 3, 5, 31] {
                let fast = highest_peak(&corr, n_succ);
                let scan = highest_peak_by_scan(&corr, n_succ);
                // Equal as numbers (0.0 and -0.0 find the same position).
                let same = match (fast, scan) {
                    (Some(a), Some(b)) => a == b,
                    (a, b) => a.is_none() && b.is_none(),
                };
                assert!(same, "{corr:?}, n_succ {n_succ}: {fast:?} / {scan:?}");
            }
        }
    }

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    #[test]
    fn offset_is_the_end_of_the_consolidated_block() {
        // 100 epochs of sleep then 200 of wake: the step template with 100
        // ones correlates perfectly.
        let mut test = vec![Some(true); 100];
        test.extend(vec![Some(false); 200]);
        assert_eq!(sleep_offset(&test, 31), Some(99));
        // Constant test data: correlation undefined -> no offset.
        assert_eq!(sleep_offset(&[Some(true); 300], 31), None);
        // Too short for a peak search.
        assert_eq!(sleep_offset(&[Some(true); 20], 31), None);
    }

    #[test]
    fn roenneberg_finds_each_night() {
        // 3 days of 10-min epochs: 8 h of zeros from 23:00, activity otherwise.
        let start = t("2024-01-01 12:00:00");
        let mut counts = Vec::new();
        for i in 0..(3 * 144) {
            let h = (12.0 + i as f64 / 6.0) % 24.0;
            let night = !(7.0..23.0).contains(&h);
            counts.push(Some(if night { 0.0 } else { 100.0 + (i % 7) as f64 }));
        }
        let s = EpochSeries::new(start, 600, counts).expect("s");
        let r = roenneberg(&s, &RoennebergOptions::default());
        assert_eq!(r.periods.len(), 3, "{:?}", r.periods);
        for p in &r.periods {
            assert_eq!(s.time_of(p.first).format("%H:%M").to_string(), "23:00");
            assert_eq!(s.time_of(p.last + 1).format("%H:%M").to_string(), "07:00");
        }
        assert_eq!(r.rest.iter().filter(|v| **v == Some(true)).count(), 3 * 48);
    }

    #[test]
    fn episode_metrics_hand_computed() {
        // Rest period 22:00..23:00 on 1-min grid; scoring: wake 10, sleep 20,
        // wake 5, sleep 20, wake 1, sleep 4.
        let start = t("2024-01-01 22:00:00");
        let rest = EpochSeries::new(start, 60, vec![Some(0.0); 60]).expect("s");
        let mut sleep = vec![false; 10];
        sleep.extend([true; 20]);
        sleep.extend([false; 5]);
        sleep.extend([true; 20]);
        sleep.extend([false; 1]);
        sleep.extend([true; 4]);
        let scores = SleepScores {
            start,
            epoch_seconds: 60,
            sleep,
        };
        let eps = sleep_episodes(&rest, &[RestPeriod { first: 0, last: 59 }], &scores, 2);
        let e = &eps[0];
        assert_eq!(
            e.night_of,
            NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
        );
        assert_eq!(e.time_in_bed_seconds, 3600);
        assert_eq!(e.total_sleep_seconds, 44 * 60);
        assert_eq!(e.sleep_onset_latency_seconds, 600);
        assert_eq!(e.waso_seconds, 6 * 60);
        assert_eq!(e.awakenings, 1); // the 1-min arousal is below 2 epochs
        assert!((e.sleep_efficiency - 44.0 / 60.0).abs() < 1e-12);
    }
}
