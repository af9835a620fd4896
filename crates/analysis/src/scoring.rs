//! Epoch-by-epoch sleep/wake scoring: Cole-Kripke (+ Webster rescoring),
//! Sadeh, Scripps and Oakley, following pyActigraphy 1.2.2
//! (`sleep/scoring_base.py`, `sleep/scoring/utils.py`).
//!
//! Every scorer returns `true` for **sleep**, like pyActigraphy's 1.

use chrono::{Duration, NaiveDateTime, Timelike};

use crate::series::{AnalysisError, EpochSeries};

/// A sleep/wake series: `sleep[i]` is the score of the epoch starting at
/// `start + i * epoch_seconds`; `true` = sleep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SleepScores {
    /// Local start time of the first scored epoch.
    pub start: NaiveDateTime,
    /// Epoch length of the scores, in seconds.
    pub epoch_seconds: u32,
    /// `true` = sleep, `false` = wake.
    pub sleep: Vec<bool>,
}

impl SleepScores {
    /// Number of epochs scored as sleep.
    pub fn sleep_epochs(&self) -> usize {
        self.sleep.iter().filter(|&&s| s).count()
    }

    /// Local start time of epoch `i`.
    pub fn time_of(&self, i: usize) -> NaiveDateTime {
        self.start + Duration::seconds(i as i64 * i64::from(self.epoch_seconds))
    }
}

/// Data-reduction settings of Cole-Kripke (pyActigraphy `CK(settings=...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColeKripkeSettings {
    /// `"mean"`: per-minute sum / 30, P = 0.001, W = 106 54 58 76 230 74 67.
    /// Epochs of at most 60 s.
    Mean,
    /// `"10sec_max_overlap"`: 5-s sums, 10-s rolling sums, per-minute max;
    /// P = 0.00001, W = 50 30 300 400 1400 500 350. Epochs of at most 5 s.
    TenSecMaxOverlap,
    /// `"10sec_max_non_overlap"`: 10-s sums, per-minute max; P = 0.00001,
    /// W = 550 378 413 699 1736 287 300. Epochs of at most 10 s.
    TenSecMaxNonOverlap,
    /// `"30sec_max_non_overlap"` (pyActigraphy's default): 30-s sums,
    /// per-minute max; P = 0.0001, W = 50 30 14 28 12 8 50 (pyActigraphy's
    /// W0 = 12, see docs). Epochs of at most 30 s.
    #[default]
    ThirtySecMaxNonOverlap,
}

/// Options of [`cole_kripke`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColeKripkeOptions {
    /// Data-reduction settings (default `30sec_max_non_overlap`).
    pub settings: ColeKripkeSettings,
    /// Sleep when `D < threshold` (default 1.0).
    pub threshold: f64,
    /// Apply Webster's rescoring rules (default true).
    pub rescoring: bool,
}

impl Default for ColeKripkeOptions {
    fn default() -> Self {
        Self {
            settings: ColeKripkeSettings::default(),
            threshold: 1.0,
            rescoring: true,
        }
    }
}

/// Sums of the present counts in wall-clock-aligned bins of `bin` seconds
/// (pandas `resample(bin).sum()`, default origin = midnight of the first day):
/// returns the bin values (0 where nothing is present) and the first bin's
/// start time.
fn aligned_sums(series: &EpochSeries, bin: u32) -> (Vec<f64>, NaiveDateTime) {
    let ep = u64::from(series.epoch_seconds);
    let bin = u64::from(bin);
    let sod0 = u64::from(series.start.num_seconds_from_midnight());
    let off0 = sod0 % bin;
    let first = series.start - Duration::seconds(off0 as i64);
    let n = series.counts.len();
    if n == 0 {
        return (Vec::new(), first);
    }
    let nbins = ((off0 + (n as u64 - 1) * ep) / bin) as usize + 1;
    let mut out = vec![0.0; nbins];
    if ep == bin && off0 == 0 {
        // Same grid: identity with missing -> 0.
        for (o, c) in out.iter_mut().zip(&series.counts) {
            *o = c.unwrap_or(0.0);
        }
        return (out, first);
    }
    // Bin of epoch i is floor((off0 + i * ep) / bin), tracked incrementally.
    let (mut b, mut t, mut boundary) = (0usize, off0, bin);
    for c in &series.counts {
        while t >= boundary {
            b += 1;
            boundary += bin;
        }
        if let Some(x) = c {
            out[b] += x;
        }
        t += ep;
    }
    (out, first)
}

/// Re-bins a regular series of `from`-second bins starting at `start`
/// (wall-clock aligned) into wall-clock-aligned `to`-second bins with `max`.
fn aligned_max(
    values: &[f64],
    start: NaiveDateTime,
    from: u32,
    to: u32,
) -> (Vec<f64>, NaiveDateTime) {
    let to = u64::from(to);
    let from = u64::from(from);
    let sod0 = u64::from(start.num_seconds_from_midnight());
    let off0 = sod0 % to;
    let first = start - Duration::seconds(off0 as i64);
    if values.is_empty() {
        return (Vec::new(), first);
    }
    let nbins = ((off0 + (values.len() as u64 - 1) * from) / to) as usize + 1;
    let mut out = vec![f64::NEG_INFINITY; nbins];
    let (mut b, mut t, mut boundary) = (0usize, off0, to);
    for &v in values {
        while t >= boundary {
            b += 1;
            boundary += to;
        }
        if v > out[b] {
            out[b] = v;
        }
        t += from;
    }
    (out, first)
}

/// Centered weighted window `scale * Σ w_j x_{i-h+j} + offset` (pandas
/// `rolling(len(w), center=True).apply(...)`); `None` where the window is not
/// complete or holds a missing value.
fn centered_convolution(x: &[Option<f64>], w: &[f64], scale: f64, offset: f64) -> Vec<Option<f64>> {
    let n = x.len();
    let k = w.len();
    let h = k / 2;
    let mut out = vec![None; n];
    if n < k {
        return out;
    }
    'outer: for i in h..n - (k - 1 - h) {
        let mut acc = 0.0;
        for (j, wj) in w.iter().enumerate() {
            match x[i + j - h] {
                Some(v) => acc += v * wj,
                None => continue 'outer,
            }
        }
        out[i] = Some(scale * acc + offset);
    }
    out
}

/// Cole-Kripke sleep/wake scoring (pyActigraphy `CK`).
///
/// The scores are per wall-clock minute. `D = P * Σ W_j A_{t+j}`, `j = -4..+2`,
/// sleep when `D < threshold`; minutes whose 9-minute centered window is not
/// complete (first 4, last 4) are wake. Missing epochs count as 0 (pandas'
/// `resample().sum()`). Then, if enabled, Webster's rescoring ([`webster_rescore`]).
pub fn cole_kripke(
    series: &EpochSeries,
    opts: &ColeKripkeOptions,
) -> Result<SleepScores, AnalysisError> {
    let ep = series.epoch_seconds;
    let need = |max: u32, req: &'static str| -> Result<(), AnalysisError> {
        if ep == 0 || ep > max {
            Err(AnalysisError::UnsupportedEpoch {
                epoch_seconds: ep,
                requirement: req,
            })
        } else {
            Ok(())
        }
    };
    let (minutes, start, scale, weights): (Vec<f64>, NaiveDateTime, f64, [f64; 7]) =
        match opts.settings {
            ColeKripkeSettings::Mean => {
                need(60, "CK 'mean' needs epochs of at most 60 s")?;
                let aligned_minutes = series.epoch_seconds == 60
                    && series.start.num_seconds_from_midnight() % 60 == 0;
                let (m, st) = if aligned_minutes {
                    // Same grid: one pass, missing as 0 (pandas' resample sum).
                    let m = series
                        .counts
                        .iter()
                        .map(|c| c.unwrap_or(0.0) / 30.0)
                        .collect();
                    (m, series.start)
                } else {
                    let (m, st) = aligned_sums(series, 60);
                    (m.into_iter().map(|v| v / 30.0).collect(), st)
                };
                (m, st, 0.001, [106.0, 54.0, 58.0, 76.0, 230.0, 74.0, 67.0])
            }
            ColeKripkeSettings::TenSecMaxOverlap => {
                need(5, "CK '10sec_max_overlap' needs epochs of at most 5 s")?;
                let (five, st5) = aligned_sums(series, 5);
                // rolling('10s').sum(): current and previous 5-s bin.
                let rolled: Vec<f64> = (0..five.len())
                    .map(|i| {
                        if i == 0 {
                            five[0]
                        } else {
                            five[i - 1] + five[i]
                        }
                    })
                    .collect();
                let (m, st) = aligned_max(&rolled, st5, 5, 60);
                (
                    m,
                    st,
                    0.00001,
                    [50.0, 30.0, 300.0, 400.0, 1400.0, 500.0, 350.0],
                )
            }
            ColeKripkeSettings::TenSecMaxNonOverlap => {
                need(
                    10,
                    "CK '10sec_max_non_overlap' needs epochs of at most 10 s",
                )?;
                let (ten, st10) = aligned_sums(series, 10);
                let (m, st) = aligned_max(&ten, st10, 10, 60);
                (
                    m,
                    st,
                    0.00001,
                    [550.0, 378.0, 413.0, 699.0, 1736.0, 287.0, 300.0],
                )
            }
            ColeKripkeSettings::ThirtySecMaxNonOverlap => {
                need(
                    30,
                    "CK '30sec_max_non_overlap' needs epochs of at most 30 s",
                )?;
                let (thirty, st30) = aligned_sums(series, 30);
                let (m, st) = aligned_max(&thirty, st30, 30, 60);
                (m, st, 0.0001, [50.0, 30.0, 14.0, 28.0, 12.0, 8.0, 50.0])
            }
        };
    let w9 = [
        weights[0], weights[1], weights[2], weights[3], weights[4], weights[5], weights[6], 0.0,
        0.0,
    ];
    let sleep = ck_score(&minutes, &w9, scale, opts.threshold);
    let sleep = if opts.rescoring {
        webster_rescore(&sleep)
    } else {
        sleep
    };
    Ok(SleepScores {
        start,
        epoch_seconds: 60,
        sleep,
    })
}

fn ck_score(x: &[f64], w9: &[f64; 9], scale: f64, threshold: f64) -> Vec<bool> {
    let n = x.len();
    let mut out = vec![false; n];
    if n < 9 {
        return out;
    }
    // The two last weights are zero in every setting; adding `0.0 * x` to a
    // finite sum changes nothing, so they are skipped and the summation order
    // (left to right, as before) is kept bit for bit.
    debug_assert!(w9[7] == 0.0 && w9[8] == 0.0);
    for (o, win) in out[4..n - 4].iter_mut().zip(x.windows(9)) {
        let acc = win[0] * w9[0]
            + win[1] * w9[1]
            + win[2] * w9[2]
            + win[3] * w9[3]
            + win[4] * w9[4]
            + win[5] * w9[5]
            + win[6] * w9[6];
        *o = scale * acc < threshold;
    }
    out
}

/// Webster's rescoring as implemented by pyActigraphy `rescore` (all rules
/// evaluated on the *original* scores, then combined):
///
/// 1. a sleep run preceded by ≥ 4 wake epochs: its first epoch → wake;
/// 2. a sleep run of ≥ 3 epochs preceded by ≥ 10 wake: first 3 → wake;
/// 3. a sleep run of ≥ 4 epochs preceded by ≥ 15 wake: first 4 → wake;
/// 4. ≤ 6 epochs between two wake runs of ≥ 10 epochs → wake;
/// 5. ≤ 10 epochs between two wake runs of ≥ 20 epochs → wake.
pub fn webster_rescore(sleep: &[bool]) -> Vec<bool> {
    let mut out = sleep.to_vec();
    // Every run of equal values, found in one scan: (start, end, is_sleep).
    let mut all_runs: Vec<(usize, usize, bool)> = Vec::new();
    let mut start = 0;
    for i in 1..=sleep.len() {
        if i == sleep.len() || sleep[i] != sleep[start] {
            all_runs.push((start, i, sleep[start]));
            start = i;
        }
    }
    for (idx, &(s, e, is_sleep)) in all_runs.iter().enumerate() {
        if !is_sleep {
            continue;
        }
        // The wake run just before (runs alternate), if any.
        let wake_before = idx
            .checked_sub(1)
            .map_or(0, |p| all_runs[p].1 - all_runs[p].0);
        for (n_periods, n_previous) in [(1usize, 4usize), (3, 10), (4, 15)] {
            if e - s >= n_periods && s >= n_previous && wake_before >= n_previous {
                for o in &mut out[s..s + n_periods] {
                    *o = false;
                }
            }
        }
    }
    for (n_periods, n_surround) in [(6usize, 10usize), (10, 20)] {
        let mut surrounding = all_runs
            .iter()
            .filter(|&&(s, e, is_sleep)| !is_sleep && e - s >= n_surround);
        let Some(mut previous) = surrounding.next() else {
            continue;
        };
        for next in surrounding {
            let (gap_start, gap_end) = (previous.1, next.0);
            if gap_end - gap_start <= n_periods {
                for o in &mut out[gap_start..gap_end] {
                    *o = false;
                }
            }
            previous = next;
        }
    }
    out
}

/// Options of [`sadeh`] (pyActigraphy defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SadehOptions {
    /// Offset (default 7.601).
    pub offset: f64,
    /// Weights of mean_W5, NAT, sd_Last6, logAct (default -0.065, -1.08, -0.056, -0.703).
    pub weights: [f64; 4],
    /// Sleep when `PS > threshold` (default 0.0).
    pub threshold: f64,
}

impl Default for SadehOptions {
    fn default() -> Self {
        Self {
            offset: 7.601,
            weights: [-0.065, -1.08, -0.056, -0.703],
            threshold: 0.0,
        }
    }
}

/// Sadeh scoring (pyActigraphy `Sadeh`), on the native epoch.
///
/// `PS = offset + w·[mean_W5, NAT, sd_Last6, logAct]` with mean_W5 the mean of
/// the 11 centered epochs, NAT the number of them with `50 < count < 100`,
/// sd_Last6 the sample SD (ddof 1) of the epoch and the 5 before, and
/// logAct `ln(1 + count of the NEXT epoch)` (pyActigraphy shifts by -1).
/// Sleep when `PS > threshold`; any incomplete window (edges, missing) → wake.
pub fn sadeh(series: &EpochSeries, opts: &SadehOptions) -> SleepScores {
    let x = &series.counts;
    let n = x.len();
    let mut sleep = vec![false; n];
    if n >= 11 {
        // Number of missing values in the 11-window, maintained incrementally.
        let mut missing = x[..11].iter().filter(|v| v.is_none()).count();
        for i in 5..n - 5 {
            if i > 5 {
                missing += usize::from(x[i + 5].is_none());
                missing -= usize::from(x[i - 6].is_none());
            }
            if missing > 0 {
                continue;
            }
            let Some(next) = x[i + 1] else { continue };
            let mut sum = 0.0;
            let mut nat = 0.0;
            for v in x[i - 5..=i + 5].iter().flatten() {
                sum += v;
                if *v > 50.0 && *v < 100.0 {
                    nat += 1.0;
                }
            }
            // Window complete, so the last 6 are present too.
            let mut last6 = [0.0f64; 6];
            for (d, v) in last6.iter_mut().zip(x[i - 5..=i].iter().flatten()) {
                *d = *v;
            }
            let m6 = last6.iter().sum::<f64>() / 6.0;
            let sd = (last6.iter().map(|v| (v - m6) * (v - m6)).sum::<f64>() / 5.0).sqrt();
            let feats = [sum / 11.0, nat, sd, (1.0 + next).ln()];
            let mut ps = 0.0;
            for (f, w) in feats.iter().zip(opts.weights.iter()) {
                ps += f * w;
            }
            sleep[i] = ps + opts.offset > opts.threshold;
        }
    }
    SleepScores {
        start: series.start,
        epoch_seconds: series.epoch_seconds,
        sleep,
    }
}

/// Scripps Clinic weights b_{-10}..b_{+10} (pyActigraphy defaults).
pub const SCRIPPS_WEIGHTS: [f64; 21] = [
    0.0064, 0.0074, 0.0112, 0.0112, 0.0118, 0.0118, 0.0128, 0.0188, 0.0280, 0.0664, 0.0300, 0.0112,
    0.0100, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
];

/// Scripps Clinic scoring (pyActigraphy `Scripps`, scale 0.204, threshold 1):
/// `D = 0.204 * Σ b_j A_{t+j}`, `j = -10..+10`, sleep when `D < threshold`;
/// incomplete windows → wake.
pub fn scripps(series: &EpochSeries, threshold: f64) -> SleepScores {
    let d = centered_convolution(&series.counts, &SCRIPPS_WEIGHTS, 0.204, 0.0);
    SleepScores {
        start: series.start,
        epoch_seconds: series.epoch_seconds,
        sleep: d
            .into_iter()
            .map(|v| v.is_some_and(|v| v < threshold))
            .collect(),
    }
}

/// Wake threshold of [`oakley`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OakleyThreshold {
    /// A fixed value; Actiwatch "low" = 20, "medium" = 40 (pyActigraphy's
    /// default), "high" = 80.
    Fixed(f64),
    /// Actiware's automatic threshold: `sum(counts) / mobile minutes * 0.88888`.
    Automatic,
}

/// Oakley (Actiwatch) scoring (pyActigraphy `Oakley`): weighted centered sum
/// with epoch-dependent weights (15, 30, 60 or 120 s epochs), sleep when the
/// sum is `< threshold`; incomplete windows → wake.
pub fn oakley(
    series: &EpochSeries,
    threshold: OakleyThreshold,
) -> Result<SleepScores, AnalysisError> {
    let w: &[f64] = match series.epoch_seconds {
        15 => &[
            0.04, 0.04, 0.04, 0.04, 0.20, 0.20, 0.20, 0.20, 4.00, 0.20, 0.20, 0.20, 0.20, 0.04,
            0.04, 0.04, 0.04,
        ],
        30 => &[0.04, 0.04, 0.20, 0.20, 2.00, 0.20, 0.20, 0.04, 0.04],
        60 => &[0.04, 0.20, 1.00, 0.20, 0.04],
        120 => &[0.12, 0.50, 0.12],
        e => {
            return Err(AnalysisError::UnsupportedEpoch {
                epoch_seconds: e,
                requirement: "Oakley needs 15, 30, 60 or 120 s epochs",
            })
        }
    };
    let thr = match threshold {
        OakleyThreshold::Fixed(t) => t,
        OakleyThreshold::Automatic => actiware_automatic_threshold(series),
    };
    let d = centered_convolution(&series.counts, w, 1.0, 0.0);
    Ok(SleepScores {
        start: series.start,
        epoch_seconds: series.epoch_seconds,
        sleep: d.into_iter().map(|v| v.is_some_and(|v| v < thr)).collect(),
    })
}

/// Actiware's automatic wake threshold (pyActigraphy
/// `_actiware_automatic_threshold`): epochs with `count >= epoch / 15 s` are
/// "mobile"; threshold = `sum(counts) / (mobile epochs * epoch minutes) * 0.88888`.
pub fn actiware_automatic_threshold(series: &EpochSeries) -> f64 {
    let sum: f64 = series.counts.iter().flatten().sum();
    let mobile_thr = f64::from(series.epoch_seconds / 15);
    let mobile = series
        .counts
        .iter()
        .flatten()
        .filter(|&&v| v >= mobile_thr)
        .count();
    let mobile_time = mobile as f64 * (f64::from(series.epoch_seconds) / 60.0);
    (sum / mobile_time) * 0.88888
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("valid time")
    }

    fn b(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    #[test]
    fn webster_rule1_first_sleep_after_four_wake() {
        // 4 wake then 2 sleep: first sleep epoch rescored; rule 2 needs 10 wake.
        assert_eq!(webster_rescore(&b("0000110")), b("0000010"));
        // Only 3 wake before: nothing changes (rule 4/5 need 10 wake on both sides).
        assert_eq!(webster_rescore(&b("000110")), b("000110"));
    }

    #[test]
    fn webster_rule4_short_sleep_between_long_wake() {
        let s = format!("{}{}{}", "0".repeat(10), "111111", "0".repeat(10));
        let r = webster_rescore(&b(&s));
        assert!(r.iter().all(|&v| !v));
        // 7 sleep epochs between 10-wake runs: rules 1-3 only trim the start (3 epochs by rule 2).
        let s = format!("{}{}{}", "0".repeat(10), "1111111", "0".repeat(10));
        let r = webster_rescore(&b(&s));
        assert_eq!(r.iter().filter(|&&v| v).count(), 4);
    }

    #[test]
    fn ck_mean_scores_quiet_minutes_as_sleep_and_edges_as_wake() {
        // 1-min epochs, 20 quiet minutes: D = 0 < 1 except at the 4+4 edges.
        let s = EpochSeries::new(t("2024-01-01 00:00:00"), 60, vec![Some(0.0); 20]).expect("s");
        let opts = ColeKripkeOptions {
            settings: ColeKripkeSettings::Mean,
            threshold: 1.0,
            rescoring: false,
        };
        let ck = cole_kripke(&s, &opts).expect("ck");
        assert_eq!(ck.sleep_epochs(), 12);
        assert!(!ck.sleep[3] && ck.sleep[4] && ck.sleep[15] && !ck.sleep[16]);
        // One burst: minute 10 has 30*1000/230 counts/30 => D(10) = 0.001*230*c/30 >= 1 when c >= 131
        let mut counts = vec![Some(0.0); 20];
        counts[10] = Some(131.0);
        let s = EpochSeries::new(t("2024-01-01 00:00:00"), 60, counts).expect("s");
        let ck = cole_kripke(&s, &opts).expect("ck");
        // D(10) = 0.001*230*131/30 = 1.004 -> wake; D(9) = 0.001*74*131/30 = 0.32 sleep
        assert!(!ck.sleep[10] && ck.sleep[9]);
        // The 30-s default refuses 1-min epochs.
        assert!(cole_kripke(&s, &ColeKripkeOptions::default()).is_err());
    }

    #[test]
    fn ck_30s_takes_max_of_two_halves_per_wall_clock_minute() {
        // 30-s epochs starting at hh:mm:30: the first minute has one half only.
        let mut counts = vec![Some(0.0); 41];
        counts[20] = Some(5000.0); // 00:10:30 -> minute index 10 of the grid starting 00:00
        let s = EpochSeries::new(t("2024-01-01 00:00:30"), 30, counts).expect("s");
        let ck = cole_kripke(
            &s,
            &ColeKripkeOptions {
                rescoring: false,
                ..Default::default()
            },
        )
        .expect("ck");
        assert_eq!(ck.start, t("2024-01-01 00:00:00"));
        assert_eq!(ck.sleep.len(), 21);
        // D at minute 10 = 0.0001 * 12 * 5000 = 6 -> wake; minute 14 (W-4 = 50) -> 25 -> wake;
        // minute 8 (W+2 = 50) wake; minute 7 gets nothing -> sleep.
        assert!(!ck.sleep[10] && !ck.sleep[14] && !ck.sleep[8] && ck.sleep[7]);
    }

    #[test]
    fn sadeh_uses_next_epoch_for_log_activity() {
        let mut counts = vec![Some(0.0); 30];
        // All zero: PS = 7.601 > 0 -> sleep in the interior, wake at 5 edges each side.
        let s = EpochSeries::new(t("2024-01-01 00:00:00"), 60, counts.clone()).expect("s");
        let r = sadeh(&s, &SadehOptions::default());
        assert_eq!(r.sleep_epochs(), 20);
        // A huge count at 16 flips epoch 15 (logAct of next epoch) even outside
        // its own... within mean window of 11..=21.
        counts[16] = Some(20000.0);
        let s = EpochSeries::new(t("2024-01-01 00:00:00"), 60, counts).expect("s");
        let r = sadeh(&s, &SadehOptions::default());
        assert!(!r.sleep[15]);
    }

    #[test]
    fn oakley_weights_and_threshold() {
        let mut counts = vec![Some(0.0); 9];
        counts[4] = Some(40.0);
        let s = EpochSeries::new(t("2024-01-01 00:00:00"), 60, counts).expect("s");
        let r = oakley(&s, OakleyThreshold::Fixed(40.0)).expect("oakley");
        // D(4) = 40 -> not < 40 -> wake; D(3) = 8 -> sleep; D(2) = 1.6 -> sleep.
        assert_eq!(r.sleep, b("001101100"));
        assert!(oakley(&s, OakleyThreshold::Fixed(40.1)).expect("o").sleep[4]);
        let s45 = EpochSeries::new(t("2024-01-01 00:00:00"), 45, vec![Some(0.0); 9]).expect("s");
        assert!(oakley(&s45, OakleyThreshold::Automatic).is_err());
    }
}
