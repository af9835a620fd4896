//! Nonparametric circadian rhythm metrics: IS, IV, L5, M10, RA and their
//! per-period variants, following pyActigraphy 1.2.2 (`metrics/metrics.py`).

use crate::series::{check_len, AnalysisError, EpochSeries, SECONDS_PER_DAY};
use chrono::NaiveTime;
use phr_model::CircadianMetrics;

/// How counts enter a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CountScale {
    /// Counts as recorded.
    Raw,
    /// `count > threshold` → 1, else 0 (pyActigraphy's `binarize=True`).
    Binarized {
        /// Counts strictly above this value are "active".
        threshold: f64,
    },
}

impl Default for CountScale {
    /// pyActigraphy's default: binarized with threshold 4.
    fn default() -> Self {
        CountScale::Binarized { threshold: 4.0 }
    }
}

/// Options of IS and IV (and ISp / IVp).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsIvOptions {
    /// Resampling period in seconds (pyActigraphy `freq`, default `'1H'` = 3600).
    /// Bins start at the first epoch (`origin='start'`) and hold the sum of the
    /// present counts; a period not longer than the epoch means "no resampling".
    pub freq_seconds: u32,
    /// Raw or binarized counts (default binarized, threshold 4).
    pub scale: CountScale,
}

impl Default for IsIvOptions {
    fn default() -> Self {
        Self {
            freq_seconds: 3600,
            scale: CountScale::default(),
        }
    }
}

/// Result of L5 or M10: the least (most) active window of the average day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowActivity {
    /// Onset of the window, in seconds after midnight of the average day
    /// (`0..86400`), as pyActigraphy labels it (profile slot × epoch length).
    pub onset_seconds: u32,
    /// Mean activity per epoch over the window.
    pub value: f64,
}

impl WindowActivity {
    /// The onset as a clock time of the average day.
    pub fn onset(&self) -> NaiveTime {
        // Always in range: the remainder is below 86,400 seconds.
        NaiveTime::from_num_seconds_from_midnight_opt(self.onset_seconds % SECONDS_PER_DAY, 0)
            .unwrap_or(NaiveTime::MIN)
    }
}

/// An epoch series together with an optional wear mask, the input of every
/// circadian metric.
///
/// The mask reproduces pyActigraphy's `mask_inactivity=True` with
/// `exclude_if_mask=True`: masked epochs become missing, and a resampled bin
/// that contains any masked epoch is missing as a whole. A merely *missing*
/// epoch (`None` in the series) does not void its bin: the bin sums the
/// present counts, and an all-missing bin sums to 0 — that is what pandas'
/// `resample().sum()` does in pyActigraphy.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    series: View<'a>,
    wear: Option<&'a [bool]>,
}

/// The part of an [`EpochSeries`] a [`Recording`] analyses: its counts
/// borrowed, so a week of a year is analysed without copying it.
#[derive(Debug, Clone, Copy)]
struct View<'a> {
    counts: &'a [Option<f64>],
    epoch_seconds: u32,
    /// Second of the day of the first epoch.
    start_second_of_day: u32,
}

impl View<'_> {
    fn len(&self) -> usize {
        self.counts.len()
    }

    fn start_second_of_day(&self) -> u32 {
        self.start_second_of_day
    }
}

impl<'a> Recording<'a> {
    /// A recording without a wear mask.
    pub fn new(series: &'a EpochSeries) -> Self {
        Self {
            series: View {
                counts: &series.counts,
                epoch_seconds: series.epoch_seconds,
                start_second_of_day: series.start_second_of_day(),
            },
            wear: None,
        }
    }

    /// A recording with a wear mask (`true` = worn / valid); its length must
    /// equal the series length.
    pub fn with_wear_mask(
        series: &'a EpochSeries,
        wear: &'a [bool],
    ) -> Result<Self, AnalysisError> {
        check_len(series.len(), wear.len())?;
        Ok(Self {
            wear: Some(wear),
            ..Self::new(series)
        })
    }

    /// The epochs `range` of `series` as a recording of their own (with
    /// their part of `wear`, whose length must equal the series length):
    /// the same metrics as a series holding a copy of those epochs, without
    /// the copy. `None` when `range` is not inside the series.
    pub fn part(
        series: &'a EpochSeries,
        range: std::ops::Range<usize>,
        wear: Option<&'a [bool]>,
    ) -> Result<Option<Self>, AnalysisError> {
        if let Some(wear) = wear {
            check_len(series.len(), wear.len())?;
        }
        let Some(counts) = series.counts.get(range.clone()) else {
            return Ok(None);
        };
        let offset = range.start as u64 * u64::from(series.epoch_seconds);
        Ok(Some(Self {
            series: View {
                counts,
                epoch_seconds: series.epoch_seconds,
                start_second_of_day: offset_sod(series.start_second_of_day(), offset),
            },
            wear: wear.map(|w| &w[range]),
        }))
    }

    /// Counts after masking and scaling (pyActigraphy `data` / `binarized_data`).
    fn iter_values(&self, scale: CountScale) -> impl Iterator<Item = Option<f64>> + '_ {
        let wear = self.wear;
        self.series.counts.iter().enumerate().map(move |(i, c)| {
            let c = match wear {
                Some(w) if !w[i] => None,
                _ => *c,
            };
            match scale {
                CountScale::Raw => c,
                CountScale::Binarized { threshold } => {
                    c.map(|v| if v > threshold { 1.0 } else { 0.0 })
                }
            }
        })
    }

    /// Materialized [`Self::iter_values`].
    fn values(&self, scale: CountScale) -> Vec<Option<f64>> {
        self.iter_values(scale).collect()
    }

    /// Resampled values and the bin length actually used (pyActigraphy
    /// `resampled_data`).
    fn resampled(&self, freq_seconds: u32, scale: CountScale) -> (Vec<Option<f64>>, u32) {
        let epoch = self.series.epoch_seconds;
        if freq_seconds <= epoch {
            return (self.values(scale), epoch);
        }
        let n = self.series.len();
        if n == 0 {
            return (Vec::new(), freq_seconds);
        }
        let freq = u64::from(freq_seconds);
        let ep = u64::from(epoch);
        let nbins = (((n as u64 - 1) * ep) / freq) as usize + 1;
        let mut sums = vec![0.0f64; nbins];
        let mut masked = vec![false; nbins];
        // Bin of epoch i is floor(i * epoch / freq), tracked incrementally.
        let (mut b, mut t, mut boundary) = (0usize, 0u64, freq);
        for (i, v) in self.iter_values(scale).enumerate() {
            while t >= boundary {
                b += 1;
                boundary += freq;
            }
            if let Some(x) = v {
                sums[b] += x;
            }
            if let Some(w) = self.wear {
                if !w[i] {
                    masked[b] = true;
                }
            }
            t += ep;
        }
        let out = sums
            .into_iter()
            .zip(masked)
            .map(|(s, m)| if m { None } else { Some(s) })
            .collect();
        (out, freq_seconds)
    }

    /// Interdaily stability (pyActigraphy `IS`).
    ///
    /// `var(hourly profile) / var(all bins)`, both sample variances
    /// (ddof = 1) over the present values. `None` when undefined.
    pub fn interdaily_stability(&self, opts: IsIvOptions) -> Option<f64> {
        let (bins, freq) = self.resampled(opts.freq_seconds, opts.scale);
        interdaily_stability_bins(&bins, self.series.start_second_of_day(), freq)
    }

    /// Intradaily variability (pyActigraphy `IV`).
    ///
    /// `mean(squared successive differences) / var(all bins)` (ddof = 1).
    pub fn intradaily_variability(&self, opts: IsIvOptions) -> Option<f64> {
        let (bins, _) = self.resampled(opts.freq_seconds, opts.scale);
        intradaily_variability_bins(&bins)
    }

    /// Interdaily stability with the textbook formula of Witting et al. (1990)
    /// instead of pyActigraphy's sample variances:
    /// `IS = n Σ_h (x̄_h - x̄)² / (p Σ_i (x_i - x̄)²)` over the present bins,
    /// `p` = number of time-of-day slots with data. In `[0, 1]` when every
    /// slot holds the same number of bins (whole days, no masked bins).
    pub fn interdaily_stability_witting(&self, opts: IsIvOptions) -> Option<f64> {
        let (bins, freq) = self.resampled(opts.freq_seconds, opts.scale);
        let sod = self.series.start_second_of_day();
        let present: Vec<f64> = bins.iter().flatten().copied().collect();
        let n = present.len() as f64;
        let mean = present.iter().sum::<f64>() / n;
        let ss: f64 = present.iter().map(|v| (v - mean) * (v - mean)).sum();
        let means = slot_means(&bins, sod, freq);
        let p = means.len() as f64;
        let between: f64 = means.iter().map(|m| (m - mean) * (m - mean)).sum();
        ratio(n * between, p * ss)
    }

    /// Intradaily variability with the textbook formula of Witting et al.
    /// (1990): `IV = n Σ (x_i - x_{i-1})² / ((n - 1) Σ (x_i - x̄)²)`; with
    /// missing bins, `n - 1` becomes the number of successive pairs present.
    /// Equals pyActigraphy's IV × n / (n − 1) on gap-free data.
    pub fn intradaily_variability_witting(&self, opts: IsIvOptions) -> Option<f64> {
        let (bins, _) = self.resampled(opts.freq_seconds, opts.scale);
        let present: Vec<f64> = bins.iter().flatten().copied().collect();
        let n = present.len() as f64;
        let mean = present.iter().sum::<f64>() / n;
        let ss: f64 = present.iter().map(|v| (v - mean) * (v - mean)).sum();
        let (pairs, sq) = bins
            .windows(2)
            .filter_map(|w| match (w[0], w[1]) {
                (Some(a), Some(b)) => Some((b - a) * (b - a)),
                _ => None,
            })
            .fold((0usize, 0.0), |(k, s), v| (k + 1, s + v));
        ratio(n * sq, pairs as f64 * ss)
    }

    /// IS per consecutive period of `period_seconds` (pyActigraphy `ISp`,
    /// default period 7 days). One entry per complete period, see
    /// [`period_ranges`].
    pub fn interdaily_stability_per_period(
        &self,
        period_seconds: u64,
        opts: IsIvOptions,
    ) -> Vec<Option<f64>> {
        let (bins, freq) = self.resampled(opts.freq_seconds, opts.scale);
        let sod = self.series.start_second_of_day();
        period_ranges(bins.len(), freq, period_seconds)
            .into_iter()
            .map(|(a, b)| {
                let first_sod = offset_sod(sod, a as u64 * u64::from(freq));
                interdaily_stability_bins(&bins[a..=b], first_sod, freq)
            })
            .collect()
    }

    /// IV per consecutive period (pyActigraphy `IVp`).
    pub fn intradaily_variability_per_period(
        &self,
        period_seconds: u64,
        opts: IsIvOptions,
    ) -> Vec<Option<f64>> {
        let (bins, freq) = self.resampled(opts.freq_seconds, opts.scale);
        period_ranges(bins.len(), freq, period_seconds)
            .into_iter()
            .map(|(a, b)| intradaily_variability_bins(&bins[a..=b]))
            .collect()
    }

    /// L5: the 5 least active hours of the average day (pyActigraphy `L5`,
    /// native epoch, no resampling).
    pub fn l5(&self, scale: CountScale) -> Option<WindowActivity> {
        let profile = self.profile(scale)?;
        extreme_window(&profile, self.series.epoch_seconds, 5 * 3600, true)
    }

    /// M10: the 10 most active hours of the average day (pyActigraphy `M10`).
    pub fn m10(&self, scale: CountScale) -> Option<WindowActivity> {
        let profile = self.profile(scale)?;
        extreme_window(&profile, self.series.epoch_seconds, 10 * 3600, false)
    }

    /// Relative amplitude `(M10 - L5) / (M10 + L5)` (pyActigraphy `RA`).
    pub fn relative_amplitude(&self, scale: CountScale) -> Option<f64> {
        let profile = self.profile(scale)?;
        let epoch = self.series.epoch_seconds;
        let (l5, m10) = l5_and_m10(&profile, epoch);
        let (l5, m10) = (l5?, m10?);
        ratio(m10.value - l5.value, m10.value + l5.value)
    }

    /// L5 per consecutive period (pyActigraphy `L5p`).
    pub fn l5_per_period(
        &self,
        period_seconds: u64,
        scale: CountScale,
    ) -> Vec<Option<WindowActivity>> {
        self.lmx_per_period(period_seconds, scale)
            .into_iter()
            .map(|p| p.and_then(|(l5, _)| l5))
            .collect()
    }

    /// M10 per consecutive period (pyActigraphy `M10p`).
    pub fn m10_per_period(
        &self,
        period_seconds: u64,
        scale: CountScale,
    ) -> Vec<Option<WindowActivity>> {
        self.lmx_per_period(period_seconds, scale)
            .into_iter()
            .map(|p| p.and_then(|(_, m10)| m10))
            .collect()
    }

    /// RA per consecutive period (pyActigraphy `RAp`).
    pub fn relative_amplitude_per_period(
        &self,
        period_seconds: u64,
        scale: CountScale,
    ) -> Vec<Option<f64>> {
        self.lmx_per_period(period_seconds, scale)
            .into_iter()
            .map(|p| match p {
                Some((Some(l5), Some(m10))) => ratio(m10.value - l5.value, m10.value + l5.value),
                _ => None,
            })
            .collect()
    }

    #[allow(clippy::type_complexity)]
    fn lmx_per_period(
        &self,
        period_seconds: u64,
        scale: CountScale,
    ) -> Vec<Option<(Option<WindowActivity>, Option<WindowActivity>)>> {
        let values = self.values(scale);
        let epoch = self.series.epoch_seconds;
        let sod = self.series.start_second_of_day();
        period_ranges(values.len(), epoch, period_seconds)
            .into_iter()
            .map(|(a, b)| {
                let first_sod = offset_sod(sod, a as u64 * u64::from(epoch));
                let profile =
                    daily_profile(values[a..=b].iter().copied(), b + 1 - a, first_sod, epoch)?;
                Some(l5_and_m10(&profile, epoch))
            })
            .collect()
    }

    /// Average daily profile on the native epoch (pyActigraphy
    /// `_average_daily_activity`): slot `k` covers time of day `k * epoch`
    /// (plus the series' sub-epoch phase); `None` where a slot has no value.
    /// `None` overall when the epoch does not divide a day or some slot of
    /// the day never occurs (recording shorter than a day).
    pub fn daily_profile(&self, scale: CountScale) -> Option<Vec<Option<f64>>> {
        self.profile(scale)
    }

    fn profile(&self, scale: CountScale) -> Option<Vec<Option<f64>>> {
        daily_profile(
            self.iter_values(scale),
            self.series.len(),
            self.series.start_second_of_day(),
            self.series.epoch_seconds,
        )
    }

    /// Every circadian metric at once, raw and binarized. One pass over the
    /// epochs feeds both resamplings and both daily profiles; the results are
    /// identical to the individual methods.
    pub fn metrics(&self, cfg: &CircadianConfig) -> MetricsByScale {
        let (raw, binarized) = self.metric_sets::<true>(cfg);
        MetricsByScale {
            raw,
            binarized: binarized.unwrap_or(raw),
        }
    }

    /// The raw half of [`Recording::metrics`] (bins of `cfg.freq_seconds`;
    /// the threshold is not used), without the binarized work: what a trend
    /// of many periods needs.
    pub fn raw_metrics(&self, cfg: &CircadianConfig) -> CircadianMetrics {
        self.metric_sets::<false>(cfg).0
    }

    /// [`Recording::metrics`]: the raw set and, with `BINARIZED`, the
    /// binarized one (`None` without).
    fn metric_sets<const BINARIZED: bool>(
        &self,
        cfg: &CircadianConfig,
    ) -> (CircadianMetrics, Option<CircadianMetrics>) {
        let bin_scale = CountScale::Binarized {
            threshold: cfg.threshold,
        };
        let epoch = self.series.epoch_seconds;
        let n = self.series.len();
        let slots = (SECONDS_PER_DAY / epoch.max(1)) as usize;
        let fusable = epoch > 0
            && cfg.freq_seconds > epoch
            && n > 0
            && SECONDS_PER_DAY % epoch == 0
            && n >= slots;
        if !fusable {
            let raw = self.metric_set_from(
                self.resampled(cfg.freq_seconds, CountScale::Raw),
                self.profile(CountScale::Raw),
            );
            let binarized = BINARIZED.then(|| {
                self.metric_set_from(
                    self.resampled(cfg.freq_seconds, bin_scale),
                    self.profile(bin_scale),
                )
            });
            return (raw, binarized);
        }
        let freq = u64::from(cfg.freq_seconds);
        let ep = u64::from(epoch);
        let nbins = (((n as u64 - 1) * ep) / freq) as usize + 1;
        let mut bins_raw = vec![0.0f64; nbins];
        let mut bins_bin = vec![0.0f64; nbins];
        let mut masked = vec![false; nbins];
        let mut psum_raw = vec![0.0f64; slots];
        let mut psum_bin = vec![0.0f64; slots];
        let mut pcnt = vec![0u32; slots];
        let mut k = (self.series.start_second_of_day() / epoch) as usize;
        // The current bin's sums live in registers, split over four partial
        // sums (by position in the bin) so consecutive additions do not wait
        // on each other. Activity counts are whole numbers, whose sums are
        // exact in any order; for fractional counts (vector magnitudes) the
        // result differs from a left-to-right sum by rounding only (< 1e-15
        // relative).
        if self.wear.is_none() && freq % ep == 0 {
            // Common case, same arithmetic as below: no wear mask and bins of
            // a whole number of epochs, so bin `b` is simply chunk `b`.
            let per_bin = (freq / ep) as usize;
            for (b, chunk) in self.series.counts.chunks(per_bin).enumerate() {
                let (mut acc_raw, mut acc_bin) = ([0.0f64; 4], [0.0f64; 4]);
                for (j, c) in chunk.iter().enumerate() {
                    if let Some(x) = *c {
                        acc_raw[j & 3] += x;
                        psum_raw[k] += x;
                        pcnt[k] += 1;
                        if BINARIZED {
                            let xb = if x > cfg.threshold { 1.0 } else { 0.0 };
                            acc_bin[j & 3] += xb;
                            psum_bin[k] += xb;
                        }
                    }
                    k += 1;
                    if k == slots {
                        k = 0;
                    }
                }
                bins_raw[b] = (acc_raw[0] + acc_raw[1]) + (acc_raw[2] + acc_raw[3]);
                bins_bin[b] = (acc_bin[0] + acc_bin[1]) + (acc_bin[2] + acc_bin[3]);
            }
        } else {
            let (mut b, mut t, mut boundary) = (0usize, 0u64, freq);
            let (mut acc_raw, mut acc_bin) = ([0.0f64; 4], [0.0f64; 4]);
            let mut lane = 0usize;
            for (i, c) in self.series.counts.iter().enumerate() {
                while t >= boundary {
                    bins_raw[b] = (acc_raw[0] + acc_raw[1]) + (acc_raw[2] + acc_raw[3]);
                    bins_bin[b] = (acc_bin[0] + acc_bin[1]) + (acc_bin[2] + acc_bin[3]);
                    (acc_raw, acc_bin, lane) = ([0.0; 4], [0.0; 4], 0);
                    b += 1;
                    boundary += freq;
                }
                let worn = self.wear.is_none_or(|w| w[i]);
                if !worn {
                    masked[b] = true;
                } else if let Some(x) = *c {
                    acc_raw[lane] += x;
                    psum_raw[k] += x;
                    pcnt[k] += 1;
                    if BINARIZED {
                        let xb = if x > cfg.threshold { 1.0 } else { 0.0 };
                        acc_bin[lane] += xb;
                        psum_bin[k] += xb;
                    }
                }
                lane = (lane + 1) & 3;
                t += ep;
                k += 1;
                if k == slots {
                    k = 0;
                }
            }
            bins_raw[b] = (acc_raw[0] + acc_raw[1]) + (acc_raw[2] + acc_raw[3]);
            bins_bin[b] = (acc_bin[0] + acc_bin[1]) + (acc_bin[2] + acc_bin[3]);
        }
        let finish_bins = |sums: Vec<f64>| -> Vec<Option<f64>> {
            sums.into_iter()
                .zip(&masked)
                .map(|(s, &m)| if m { None } else { Some(s) })
                .collect()
        };
        let finish_profile = |sums: Vec<f64>| -> Option<Vec<Option<f64>>> {
            Some(
                sums.into_iter()
                    .zip(&pcnt)
                    .map(|(s, &c)| (c > 0).then(|| s / f64::from(c)))
                    .collect(),
            )
        };
        let raw = self.metric_set_from(
            (finish_bins(bins_raw), cfg.freq_seconds),
            finish_profile(psum_raw),
        );
        let binarized = BINARIZED.then(|| {
            self.metric_set_from(
                (finish_bins(bins_bin), cfg.freq_seconds),
                finish_profile(psum_bin),
            )
        });
        (raw, binarized)
    }

    fn metric_set_from(
        &self,
        (bins, freq): (Vec<Option<f64>>, u32),
        profile: Option<Vec<Option<f64>>>,
    ) -> CircadianMetrics {
        let is = interdaily_stability_bins(&bins, self.series.start_second_of_day(), freq);
        let iv = intradaily_variability_bins(&bins);
        let epoch = self.series.epoch_seconds;
        let (l5, m10) = profile
            .as_ref()
            .map_or((None, None), |p| l5_and_m10(p, epoch));
        let ra = match (l5, m10) {
            (Some(l), Some(m)) => ratio(m.value - l.value, m.value + l.value),
            _ => None,
        };
        CircadianMetrics {
            is,
            iv,
            l5: l5.map(|w| w.value),
            m10: m10.map(|w| w.value),
            ra,
            l5_onset: l5.map(|w| w.onset()),
            m10_onset: m10.map(|w| w.onset()),
        }
    }
}

/// Configuration of [`Recording::metrics`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CircadianConfig {
    /// Resampling period of IS/IV in seconds (default 3600).
    pub freq_seconds: u32,
    /// Binarization threshold of the binarized set (default 4).
    pub threshold: f64,
}

impl Default for CircadianConfig {
    fn default() -> Self {
        Self {
            freq_seconds: 3600,
            threshold: 4.0,
        }
    }
}

/// The full circadian metric set, on raw and on binarized counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricsByScale {
    /// Metrics on raw counts.
    pub raw: CircadianMetrics,
    /// Metrics on binarized counts.
    pub binarized: CircadianMetrics,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    let r = num / den;
    r.is_finite().then_some(r)
}

fn offset_sod(start_sod: u32, offset_seconds: u64) -> u32 {
    ((u64::from(start_sod) + offset_seconds) % u64::from(SECONDS_PER_DAY)) as u32
}

/// Index ranges (inclusive both ends) of consecutive periods, as pyActigraphy's
/// `_interval_maker` plus label slicing: with `span = (len - 1) * step`, there
/// are `span / period` periods; period `i` holds the points labelled within
/// `[i * period, (i + 1) * period]` from the first point — both ends
/// included, so consecutive periods share one point.
pub fn period_ranges(len: usize, step_seconds: u32, period_seconds: u64) -> Vec<(usize, usize)> {
    if len == 0 || period_seconds == 0 || step_seconds == 0 {
        return Vec::new();
    }
    let step = u64::from(step_seconds);
    let span = (len as u64 - 1) * step;
    let count = span / period_seconds;
    (0..count)
        .map(|i| {
            let lo = i * period_seconds;
            let hi = (i + 1) * period_seconds;
            let a = lo.div_ceil(step) as usize;
            let b = (hi / step) as usize;
            (a, b.min(len - 1))
        })
        .collect()
}

/// Sample variance (ddof = 1) over the present values, as pandas `var()`.
fn sample_variance<I: Iterator<Item = f64> + Clone>(values: I) -> Option<f64> {
    let (n, sum) = values
        .clone()
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n < 2 {
        return None;
    }
    let mean = sum / n as f64;
    let ss: f64 = values.map(|v| (v - mean) * (v - mean)).sum();
    Some(ss / (n - 1) as f64)
}

fn interdaily_stability_bins(bins: &[Option<f64>], first_sod: u32, freq: u32) -> Option<f64> {
    let means = slot_means(bins, first_sod, freq);
    let d24 = sample_variance(means.iter().copied())?;
    let d1 = sample_variance(bins.iter().flatten().copied())?;
    ratio(d24, d1)
}

/// Means of the bins grouped by their label's time of day (pandas groupby
/// hour/minute/second); slots without a present value are left out.
fn slot_means(bins: &[Option<f64>], first_sod: u32, freq: u32) -> Vec<f64> {
    if freq == 0 {
        return Vec::new();
    }
    if SECONDS_PER_DAY % freq == 0 {
        let slots = (SECONDS_PER_DAY / freq) as usize;
        let first = (first_sod / freq) as usize;
        let mut sum = vec![0.0; slots];
        let mut cnt = vec![0u32; slots];
        let mut seen = vec![false; slots];
        for (j, v) in bins.iter().enumerate() {
            let k = (first + j) % slots;
            seen[k] = true;
            if let Some(x) = v {
                sum[k] += x;
                cnt[k] += 1;
            }
        }
        (0..slots)
            .filter(|&k| seen[k] && cnt[k] > 0)
            .map(|k| sum[k] / f64::from(cnt[k]))
            .collect()
    } else {
        let mut groups: std::collections::BTreeMap<u32, (f64, u32)> = Default::default();
        for (j, v) in bins.iter().enumerate() {
            let key = offset_sod(first_sod, j as u64 * u64::from(freq));
            let e = groups.entry(key).or_insert((0.0, 0));
            if let Some(x) = v {
                e.0 += x;
                e.1 += 1;
            }
        }
        groups
            .values()
            .filter(|(_, c)| *c > 0)
            .map(|(s, c)| s / f64::from(*c))
            .collect()
    }
}

fn intradaily_variability_bins(bins: &[Option<f64>]) -> Option<f64> {
    let (n, sum) = bins
        .windows(2)
        .filter_map(|w| match (w[0], w[1]) {
            (Some(a), Some(b)) => Some((b - a) * (b - a)),
            _ => None,
        })
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n == 0 {
        return None;
    }
    let c1 = sum / n as f64;
    let d1 = sample_variance(bins.iter().flatten().copied())?;
    ratio(c1, d1)
}

/// Average daily profile; see [`Recording::daily_profile`].
fn daily_profile(
    values: impl Iterator<Item = Option<f64>>,
    len: usize,
    first_sod: u32,
    epoch: u32,
) -> Option<Vec<Option<f64>>> {
    if epoch == 0 || SECONDS_PER_DAY % epoch != 0 {
        return None;
    }
    let slots = (SECONDS_PER_DAY / epoch) as usize;
    if len < slots {
        return None;
    }
    let first = (first_sod / epoch) as usize;
    let mut sum = vec![0.0; slots];
    let mut cnt = vec![0u32; slots];
    // Walk slot by slot to avoid a modulo per epoch.
    let mut k = first;
    for v in values {
        if let Some(x) = v {
            sum[k] += x;
            cnt[k] += 1;
        }
        k += 1;
        if k == slots {
            k = 0;
        }
    }
    Some(
        sum.into_iter()
            .zip(cnt)
            .map(|(s, c)| (c > 0).then(|| s / f64::from(c)))
            .collect(),
    )
}

/// L5 / M10 search on the cyclic profile (pyActigraphy `_lmx`): the profile
/// is concatenated with itself, windows of `window_seconds / epoch` slots
/// start at every slot of the first day, slots without data are skipped in
/// the sum (pandas rolling sum) but the divisor stays the window length; the
/// earliest window reaching the extreme wins.
fn extreme_window(
    profile: &[Option<f64>],
    epoch: u32,
    window_seconds: u32,
    lowest: bool,
) -> Option<WindowActivity> {
    CyclicSums::new(profile).extreme(epoch, window_seconds, lowest)
}

/// Both of L5 and M10 of one profile, from one pass of prefix sums.
fn l5_and_m10(
    profile: &[Option<f64>],
    epoch: u32,
) -> (Option<WindowActivity>, Option<WindowActivity>) {
    let sums = CyclicSums::new(profile);
    (
        sums.extreme(epoch, 5 * 3600, true),
        sums.extreme(epoch, 10 * 3600, false),
    )
}

/// Prefix sums (and counts of slots with data) over a daily profile
/// concatenated with itself, for the window searches of [`extreme_window`].
struct CyclicSums {
    /// `pre[i]`: sum of the first `i` slots of the doubled profile.
    pre: Vec<f64>,
    /// `cnt[i]`: how many of those slots hold data.
    cnt: Vec<u32>,
    /// Slots in one day.
    len: usize,
}

impl CyclicSums {
    fn new(profile: &[Option<f64>]) -> Self {
        let len = profile.len();
        let mut pre = Vec::with_capacity(2 * len + 1);
        let mut cnt = Vec::with_capacity(2 * len + 1);
        pre.push(0.0f64);
        cnt.push(0u32);
        let (mut s, mut c) = (0.0f64, 0u32);
        for _ in 0..2 {
            for x in profile {
                if let Some(x) = x {
                    s += x;
                    c += 1;
                }
                pre.push(s);
                cnt.push(c);
            }
        }
        Self { pre, cnt, len }
    }

    /// The sum of the window of `n` slots from `start`, `None` when none of
    /// them holds data.
    fn window(&self, start: usize, n: usize) -> Option<f64> {
        (self.cnt[start + n] > self.cnt[start]).then(|| self.pre[start + n] - self.pre[start])
    }

    fn extreme(&self, epoch: u32, window_seconds: u32, lowest: bool) -> Option<WindowActivity> {
        if epoch == 0 || window_seconds % epoch != 0 {
            return None;
        }
        let p = self.len;
        let n = (window_seconds / epoch) as usize;
        if n == 0 || n > p {
            return None;
        }
        let mut best: Option<f64> = None;
        for start in 0..p {
            if let Some(v) = self.window(start, n) {
                best = Some(match best {
                    None => v,
                    Some(a) if (lowest && v < a) || (!lowest && v > a) => v,
                    Some(a) => a,
                });
            }
        }
        let best = best?;
        // Earliest window within rounding noise of the extreme (prefix sums
        // are not exact; pyActigraphy's rolling sums are not either).
        let tol = 1e-12 * best.abs().max(1e-300);
        let start = (0..p).find(|&start| {
            self.window(start, n)
                .is_some_and(|v| (v - best).abs() <= tol)
        })?;
        Some(WindowActivity {
            onset_seconds: start as u32 * epoch,
            value: best / n as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("valid time")
    }

    fn hourly(start: &str, counts: &[f64]) -> EpochSeries {
        EpochSeries::new(t(start), 3600, counts.iter().map(|&c| Some(c)).collect()).expect("series")
    }

    #[test]
    fn a_part_of_a_series_gives_the_metrics_of_a_copy_of_it() {
        // Ten days of minutes from 13:37, counts from a simple generator
        // with gaps, and a wear mask with unworn stretches.
        let n = 10 * 1440;
        let mut state = 7u64;
        let counts: Vec<Option<f64>> = (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let hour = (i / 60 + 13) % 24;
                let level = if (7..22).contains(&hour) { 400 } else { 20 };
                ((state >> 33) % 50 != 0).then_some(((state >> 40) % level) as f64)
            })
            .collect();
        let wear: Vec<bool> = (0..n)
            .map(|i| !(3000..3200).contains(&i) && i % 997 != 0)
            .collect();
        let series = EpochSeries::new(t("2024-01-01 13:37:00"), 60, counts).expect("series");
        let config = CircadianConfig {
            freq_seconds: 3600,
            threshold: 4.0,
        };
        for range in [0..n, 0..7 * 1440, 1440..8 * 1440, 17..5000, 601..n - 33] {
            let copy = EpochSeries::new(
                series.start + chrono::Duration::minutes(range.start as i64),
                60,
                series.counts[range.clone()].to_vec(),
            )
            .expect("copy");
            let whole = Recording::new(&copy).metrics(&config);
            let part = Recording::part(&series, range.clone(), None)
                .expect("no mask")
                .expect("inside");
            assert_eq!(part.metrics(&config), whole, "{range:?}");
            let masked = Recording::with_wear_mask(&copy, &wear[range.clone()])
                .expect("mask")
                .metrics(&config);
            let part = Recording::part(&series, range.clone(), Some(&wear))
                .expect("mask")
                .expect("inside");
            assert_eq!(part.metrics(&config), masked, "{range:?} masked");
            assert_eq!(part.raw_metrics(&config), masked.raw, "{range:?} raw only");
            // Bins shorter than an epoch take the unfused path.
            let unfused = CircadianConfig {
                freq_seconds: 30,
                ..config
            };
            let copied = Recording::new(&copy);
            assert_eq!(copied.raw_metrics(&unfused), copied.metrics(&unfused).raw);
            assert_ne!(masked, whole, "the mask matters in {range:?}");
        }
        assert!(Recording::part(&series, n - 10..n + 1, None)
            .expect("no mask")
            .is_none());
        assert!(Recording::part(&series, 0..10, Some(&wear[..10])).is_err());
    }

    #[test]
    fn is_perfect_repetition_is_one_and_iv_hand_computed() {
        // Two identical days of hourly data: the profile equals the data.
        let day: Vec<f64> = (0..24)
            .map(|h| if (8..20).contains(&h) { 10.0 } else { 0.0 })
            .collect();
        let two: Vec<f64> = day.iter().chain(day.iter()).copied().collect();
        let s = hourly("2024-01-01 00:00:00", &two);
        let rec = Recording::new(&s);
        let raw = IsIvOptions {
            freq_seconds: 3600,
            scale: CountScale::Raw,
        };
        // var(profile, ddof=1) = 24*25/23 ; var(data, ddof=1) = 48*25/47.
        let expected = (24.0 * 25.0 / 23.0) / (48.0 * 25.0 / 47.0);
        let is = rec.interdaily_stability(raw).expect("is");
        assert!((is - expected).abs() < 1e-12, "{is} vs {expected}");
        // 4 transitions of size 10 among 47 differences.
        let iv = rec.intradaily_variability(raw).expect("iv");
        let expected_iv = (4.0 * 100.0 / 47.0) / (48.0 * 25.0 / 47.0);
        assert!((iv - expected_iv).abs() < 1e-12, "{iv} vs {expected_iv}");
    }

    #[test]
    fn resampling_sums_from_first_epoch_and_missing_bins_are_zero() {
        // 1-min epochs starting 13:37; 2-min bins: [1, None] -> 1, [None, None] -> 0.
        let s = EpochSeries::new(
            t("2024-01-01 13:37:00"),
            60,
            vec![Some(1.0), None, None, None, Some(2.0)],
        )
        .expect("s");
        let (bins, f) = Recording::new(&s).resampled(120, CountScale::Raw);
        assert_eq!(f, 120);
        assert_eq!(bins, vec![Some(1.0), Some(0.0), Some(2.0)]);
        // With a wear mask, a bin holding a masked epoch is void.
        let mask = [true, true, true, false, true];
        let rec = Recording::with_wear_mask(&s, &mask).expect("rec");
        let (bins, _) = rec.resampled(120, CountScale::Raw);
        assert_eq!(bins, vec![Some(1.0), None, Some(2.0)]);
    }

    #[test]
    fn l5_m10_wrap_around_midnight() {
        // Hourly epochs, 2 days; activity 0 from 22:00 to 03:00 (5 h spanning midnight).
        let day: Vec<f64> = (0..24)
            .map(|h| {
                if !(3..22).contains(&h) {
                    0.0
                } else {
                    f64::from(h)
                }
            })
            .collect();
        let two: Vec<f64> = day.iter().chain(day.iter()).copied().collect();
        let s = hourly("2024-01-01 00:00:00", &two);
        let rec = Recording::new(&s);
        let l5 = rec.l5(CountScale::Raw).expect("l5");
        assert_eq!(l5.onset_seconds, 22 * 3600);
        assert_eq!(l5.value, 0.0);
        // Most active 10 h: 12..21 -> sum(12..=21) = 165.
        let m10 = rec.m10(CountScale::Raw).expect("m10");
        assert_eq!(m10.onset_seconds, 12 * 3600);
        assert!((m10.value - 16.5).abs() < 1e-12);
        assert_eq!(rec.relative_amplitude(CountScale::Raw), Some(1.0));
    }

    #[test]
    fn profile_needs_a_full_day() {
        let s = hourly("2024-01-01 00:00:00", &[1.0; 23]);
        assert_eq!(Recording::new(&s).l5(CountScale::Raw), None);
    }

    #[test]
    fn period_ranges_share_endpoints_like_pandas_label_slicing() {
        // 10 points, step 1 s, period 3 s: span 9 -> 3 periods.
        assert_eq!(period_ranges(10, 1, 3), vec![(0, 3), (3, 6), (6, 9)]);
        // exactly one period of data is zero complete periods (span = len-1).
        assert_eq!(period_ranges(7 * 1440, 60, 7 * 86400), vec![]);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        // Zero epoch built with a struct literal (bypassing `new`), empty series.
        for s in [
            EpochSeries {
                start: t("2024-01-01 00:00:00"),
                epoch_seconds: 0,
                counts: vec![Some(1.0); 10],
            },
            EpochSeries {
                start: t("2024-01-01 00:00:00"),
                epoch_seconds: 60,
                counts: vec![],
            },
        ] {
            let rec = Recording::new(&s);
            let m = rec.metrics(&CircadianConfig::default());
            assert_eq!(m.raw.l5, None);
            assert_eq!(m.binarized.is, None);
            assert_eq!(rec.relative_amplitude(CountScale::Raw), None);
            assert!(rec.l5_per_period(86_400, CountScale::Raw).is_empty());
            for freq in [0, 60, 3600] {
                let o = IsIvOptions {
                    freq_seconds: freq,
                    scale: CountScale::Raw,
                };
                assert_eq!(rec.interdaily_stability(o), None);
                assert_eq!(rec.intradaily_variability_witting(o), None);
            }
        }
    }

    #[test]
    fn constant_data_gives_none() {
        let s = hourly("2024-01-01 00:00:00", &[3.0; 48]);
        let rec = Recording::new(&s);
        let o = IsIvOptions {
            freq_seconds: 3600,
            scale: CountScale::Raw,
        };
        assert_eq!(rec.interdaily_stability(o), None);
        assert_eq!(rec.intradaily_variability(o), None);
    }
}
