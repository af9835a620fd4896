//! Property tests of the circadian metrics, scorers and step accumulation.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use phr_analysis::{
    cole_kripke, daily_step_totals, step_increments, CircadianConfig, ColeKripkeOptions,
    ColeKripkeSettings, CountScale, EpochSeries, IsIvOptions, Recording, StepCounterOptions,
    StepSample,
};
use proptest::prelude::*;

const EPOCH: u32 = 600; // 10-min epochs keep cases small: 144 per day
const PER_DAY: usize = 144;

fn start(offset_epochs: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 3, 4)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date")
        + Duration::seconds(i64::from(offset_epochs) * i64::from(EPOCH))
}

/// Whole days of counts, some missing, with a start anywhere in the day.
fn recording() -> impl Strategy<Value = EpochSeries> {
    (2usize..6, 0u32..144).prop_flat_map(|(days, offset)| {
        prop::collection::vec(
            prop_oneof![
                8 => (0u32..400).prop_map(|c| Some(f64::from(c))),
                1 => Just(Some(0.0)),
                1 => Just(None),
            ],
            days * PER_DAY,
        )
        .prop_map(move |counts| EpochSeries::new(start(offset), EPOCH, counts).expect("series"))
    })
}

fn scales() -> [CountScale; 2] {
    [CountScale::Raw, CountScale::Binarized { threshold: 4.0 }]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Witting's IS is in [0, 1] for whole days; pyActigraphy's IS (sample
    /// variances) is in [0, (N-1)/(d(p-1))], which exceeds 1 slightly.
    #[test]
    fn is_bounded(s in recording()) {
        let rec = Recording::new(&s);
        for scale in scales() {
            let opts = IsIvOptions { freq_seconds: 3600, scale };
            if let Some(is) = rec.interdaily_stability_witting(opts) {
                prop_assert!((-1e-12..=1.0 + 1e-12).contains(&is), "witting IS {is}");
            }
            if let Some(is) = rec.interdaily_stability(opts) {
                let n = (s.len() / 6) as f64; // hourly bins
                let d = n / 24.0;
                let bound = (n - 1.0) / (d * 23.0);
                prop_assert!(is >= -1e-12 && is <= bound + 1e-12, "IS {is} > {bound}");
            }
            if let Some(iv) = rec.intradaily_variability(opts) {
                prop_assert!(iv >= 0.0);
            }
        }
    }

    /// RA = (M10 - L5) / (M10 + L5) is in [0, 1] for non-negative counts.
    #[test]
    fn ra_in_unit_interval(s in recording()) {
        let rec = Recording::new(&s);
        for scale in scales() {
            if let Some(ra) = rec.relative_amplitude(scale) {
                prop_assert!((0.0..=1.0).contains(&ra), "RA {ra}");
            }
            if let (Some(l5), Some(m10)) = (rec.l5(scale), rec.m10(scale)) {
                prop_assert!(l5.value <= m10.value + 1e-9);
                prop_assert!(l5.onset_seconds < 86_400 && m10.onset_seconds < 86_400);
            }
        }
    }

    /// Moving a recording by whole weeks changes nothing (weekday-agnostic,
    /// time-of-day preserved).
    #[test]
    fn invariant_under_whole_week_shift(s in recording(), weeks in -60i64..60) {
        let mut shifted = s.clone();
        shifted.start += Duration::weeks(weeks);
        let (a, b) = (Recording::new(&s), Recording::new(&shifted));
        prop_assert_eq!(a.metrics(&Default::default()), b.metrics(&Default::default()));
        for scale in scales() {
            let opts = IsIvOptions { freq_seconds: 1800, scale };
            prop_assert_eq!(a.interdaily_stability(opts), b.interdaily_stability(opts));
            prop_assert_eq!(a.l5_per_period(2 * 86_400, scale), b.l5_per_period(2 * 86_400, scale));
        }
        // 1-min version for Cole-Kripke.
        let minute = EpochSeries::new(s.start, 60, s.counts.clone()).expect("series");
        let mut minute_shifted = minute.clone();
        minute_shifted.start += Duration::weeks(weeks);
        let opts = ColeKripkeOptions { settings: ColeKripkeSettings::Mean, ..Default::default() };
        let (ca, cb) = (cole_kripke(&minute, &opts).expect("ck"), cole_kripke(&minute_shifted, &opts).expect("ck"));
        prop_assert_eq!(ca.sleep, cb.sleep);
        prop_assert_eq!(ca.start + Duration::weeks(weeks), cb.start);
    }

    /// Binarized metrics only see `count > 4`: scaling the counts above the
    /// threshold up does not change them.
    #[test]
    fn binarized_metrics_ignore_scaling_above_threshold(s in recording(), factor in 1.0f64..1000.0) {
        let mut scaled = s.clone();
        for c in scaled.counts.iter_mut().flatten() {
            if *c > 4.0 {
                *c *= factor;
            }
        }
        let (a, b) = (Recording::new(&s), Recording::new(&scaled));
        prop_assert_eq!(a.metrics(&Default::default()).binarized, b.metrics(&Default::default()).binarized);
        let p = 2 * 86_400;
        let scale = CountScale::Binarized { threshold: 4.0 };
        let opts = IsIvOptions { freq_seconds: 3600, scale };
        prop_assert_eq!(a.interdaily_stability_per_period(p, opts), b.interdaily_stability_per_period(p, opts));
        prop_assert_eq!(a.relative_amplitude_per_period(p, scale), b.relative_amplitude_per_period(p, scale));
    }

    /// The one-pass `metrics()` equals the individual methods, with and
    /// without a wear mask, at several resampling periods.
    #[test]
    fn fused_metrics_equal_individual_methods(
        s in recording(),
        mask_seed in any::<u64>(),
        freq in prop_oneof![Just(1200u32), Just(3600), Just(5400), Just(7200)],
    ) {
        let mask: Vec<bool> = (0..s.len() as u64).map(|i| (i.wrapping_mul(mask_seed | 1) >> 7) % 11 != 0).collect();
        for rec in [Recording::new(&s), Recording::with_wear_mask(&s, &mask).expect("mask")] {
            let cfg = CircadianConfig { freq_seconds: freq, threshold: 4.0 };
            let all = rec.metrics(&cfg);
            for (set, scale) in [(all.raw, CountScale::Raw), (all.binarized, CountScale::Binarized { threshold: 4.0 })] {
                let opts = IsIvOptions { freq_seconds: freq, scale };
                prop_assert_eq!(set.is, rec.interdaily_stability(opts));
                prop_assert_eq!(set.iv, rec.intradaily_variability(opts));
                let (l5, m10) = (rec.l5(scale), rec.m10(scale));
                prop_assert_eq!(set.l5, l5.map(|w| w.value));
                prop_assert_eq!(set.m10, m10.map(|w| w.value));
                prop_assert_eq!(set.l5_onset, l5.map(|w| w.onset()));
                prop_assert_eq!(set.m10_onset, m10.map(|w| w.onset()));
                prop_assert_eq!(set.ra, rec.relative_amplitude(scale));
            }
        }
    }

    /// Step increments are never negative (u64) and add up to the daily
    /// totals; for a counter that only resets at midnight, each day's total
    /// is that day's last reading.
    #[test]
    fn steps_daily_totals_are_last_reading_per_day(
        days in prop::collection::vec(prop::collection::vec(0u64..500, 1..20), 1..5)
    ) {
        let mut samples = Vec::new();
        let mut last_per_day = Vec::new();
        for (d, incs) in days.iter().enumerate() {
            let mut total = 0;
            for (k, inc) in incs.iter().enumerate() {
                total += inc;
                samples.push(StepSample { at: start(0) + Duration::days(d as i64) + Duration::minutes(30 * k as i64 + 1), cumulative: total });
            }
            last_per_day.push(total);
        }
        let opts = StepCounterOptions::default();
        let totals = daily_step_totals(&samples, &opts);
        let got: Vec<u64> = totals.iter().map(|t| t.steps).collect();
        prop_assert_eq!(got, last_per_day);
        let sum_inc: u64 = step_increments(&samples, &opts).iter().map(|i| i.steps).sum();
        prop_assert_eq!(sum_inc, totals.iter().map(|t| t.steps).sum::<u64>());
    }
}

#[test]
fn metrics_and_sleep_on_two_threads_equal_the_sequential_results() {
    use phr_analysis::{cole_kripke, metrics_and_sleep, ColeKripkeOptions, Recording};
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("start");
    for days in [3usize, 40] {
        let counts: Vec<Option<f64>> = (0..days * 1440)
            .map(|i| {
                let minute = i % 1440;
                if i % 9973 == 0 {
                    None
                } else if (420..1380).contains(&minute) {
                    Some(((i * 7919) % 300) as f64)
                } else {
                    Some(((i * 31) % 4) as f64)
                }
            })
            .collect();
        let series = phr_analysis::EpochSeries::new(start, 60, counts).expect("series");
        let options = ColeKripkeOptions {
            settings: phr_analysis::ColeKripkeSettings::Mean,
            ..ColeKripkeOptions::default()
        };
        let (metrics, scores) = metrics_and_sleep(&series, &Default::default(), &options);
        assert_eq!(
            metrics,
            Recording::new(&series).metrics(&Default::default())
        );
        assert_eq!(
            scores.expect("ck"),
            cole_kripke(&series, &options).expect("ck")
        );
    }
}
