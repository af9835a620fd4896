//! Non-wear detection and per-day data completeness.
//!
//! Two rules are offered:
//!
//! * [`inactivity_mask`] — pyActigraphy's `create_inactivity_mask`: every run
//!   of at least `min_epochs` consecutive epochs with `count < 1` (missing
//!   epochs count as inactive, as in pyActigraphy where `NaN >= 1` is false)
//!   is non-wear. No tolerance. Use it to reproduce pyActigraphy's
//!   `mask_inactivity=True` numbers.
//! * [`non_wear_mask`] — the rule used by the app: the same runs of zeros, but
//!   short artefactual spikes (at most `spike_tolerance_epochs` non-zero
//!   epochs) inside a run do not break it when they are surrounded by at least
//!   `flank_epochs` inactive epochs on each side (the Choi et al. 2011 idea;
//!   defaults 90 min / 2 min / 30 min).
//!
//! Masks are `Vec<bool>` with `true` = worn (valid), the convention of
//! [`crate::Recording::with_wear_mask`] and [`crate::EpochSeries::masked`].

use chrono::{Duration, NaiveDate};

use crate::series::{check_len, AnalysisError, EpochSeries, SECONDS_PER_DAY};

fn inactive(series: &EpochSeries) -> Vec<bool> {
    series
        .counts
        .iter()
        .map(|c| !c.is_some_and(|v| v >= 1.0))
        .collect()
}

/// pyActigraphy's inactivity mask: runs of ≥ `min_epochs` epochs whose count
/// is below 1 (or missing) are marked `false` (not worn). `min_epochs == 0`
/// masks nothing.
pub fn inactivity_mask(series: &EpochSeries, min_epochs: usize) -> Vec<bool> {
    let inact = inactive(series);
    let mut mask = vec![true; inact.len()];
    if min_epochs == 0 {
        return mask;
    }
    let mut i = 0;
    while i < inact.len() {
        if inact[i] {
            let s = i;
            while i < inact.len() && inact[i] {
                i += 1;
            }
            if i - s >= min_epochs {
                mask[s..i].iter_mut().for_each(|m| *m = false);
            }
        } else {
            i += 1;
        }
    }
    mask
}

/// Parameters of [`non_wear_mask`], in epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonWearRule {
    /// Minimum length of a non-wear bout (spikes included).
    pub min_epochs: usize,
    /// Longest run of non-zero epochs tolerated inside a bout.
    pub spike_tolerance_epochs: usize,
    /// Inactive epochs required on each side of a tolerated spike.
    pub flank_epochs: usize,
}

impl NonWearRule {
    /// The app's default for an epoch length: 90 min bouts, 2 min spikes,
    /// 30 min flanks (rounded up to whole epochs, at least one epoch).
    pub fn for_epoch(epoch_seconds: u32) -> Self {
        let e = |secs: u32| secs.div_ceil(epoch_seconds.max(1)).max(1) as usize;
        Self {
            min_epochs: e(90 * 60),
            spike_tolerance_epochs: e(2 * 60),
            flank_epochs: e(30 * 60),
        }
    }
}

/// Non-wear mask with spike tolerance (see the module docs); `true` = worn.
pub fn non_wear_mask(series: &EpochSeries, rule: &NonWearRule) -> Vec<bool> {
    let inact = inactive(series);
    let n = inact.len();
    // Runs as (start, end, inactive?).
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = 0;
    while i < n {
        let s = i;
        let v = inact[i];
        while i < n && inact[i] == v {
            i += 1;
        }
        runs.push((s, i, v));
    }
    // Merge inactive runs across tolerated spikes.
    let mut bouts: Vec<(usize, usize)> = Vec::new();
    let mut k = 0;
    while k < runs.len() {
        let (s, mut e, v) = runs[k];
        if !v {
            k += 1;
            continue;
        }
        let mut last_len = e - s;
        let mut j = k + 1;
        while j + 1 < runs.len() {
            let (ss, se, _) = runs[j];
            let (ns, ne, _) = runs[j + 1];
            let next_len = ne - ns;
            if se - ss <= rule.spike_tolerance_epochs
                && last_len >= rule.flank_epochs
                && next_len >= rule.flank_epochs
            {
                e = ne;
                last_len = next_len;
                j += 2;
            } else {
                break;
            }
        }
        bouts.push((s, e));
        k = j;
    }
    let mut mask = vec![true; n];
    for (s, e) in bouts {
        if e - s >= rule.min_epochs.max(1) {
            mask[s..e].iter_mut().for_each(|m| *m = false);
        }
    }
    mask
}

/// Data completeness of one calendar day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayCompleteness {
    /// Local calendar date.
    pub date: NaiveDate,
    /// Epochs of the day inside the recording.
    pub recorded_epochs: usize,
    /// Recorded epochs with a count present and worn.
    pub valid_epochs: usize,
    /// Epochs in a whole day (`86400 / epoch`, rounded down).
    pub epochs_per_day: usize,
    /// `valid_epochs / epochs_per_day` (a partial first or last day is
    /// therefore incomplete).
    pub fraction: f64,
}

/// Per-day completeness: an epoch is valid when present and (if a mask is
/// given) worn. Days are local calendar days, attributed by epoch start.
pub fn daily_completeness(
    series: &EpochSeries,
    wear: Option<&[bool]>,
) -> Result<Vec<DayCompleteness>, AnalysisError> {
    if let Some(w) = wear {
        check_len(series.len(), w.len())?;
    }
    let ep = series.epoch_seconds.max(1);
    let per_day = (SECONDS_PER_DAY / ep) as usize;
    let mut out: Vec<DayCompleteness> = Vec::new();
    let sod0 = u64::from(series.start_second_of_day());
    let day0 = series.start_date();
    let (n, ep, day_seconds) = (series.len(), u64::from(ep), u64::from(SECONDS_PER_DAY));
    // Day by day: day `d` (from the first epoch's date) holds the epochs
    // `i` with `(sod0 + i * ep) / 86,400 == d`, from the first at or after
    // its midnight; a day no epoch starts in is left out.
    let mut first = 0usize;
    while first < n {
        let day = (sod0 + first as u64 * ep) / day_seconds;
        let next_midnight = (day + 1) * day_seconds - sod0;
        let end = (next_midnight.div_ceil(ep) as usize).min(n);
        let valid = match wear {
            Some(w) => series.counts[first..end]
                .iter()
                .zip(&w[first..end])
                .filter(|(c, w)| c.is_some() && **w)
                .count(),
            None => series.counts[first..end]
                .iter()
                .filter(|c| c.is_some())
                .count(),
        };
        out.push(DayCompleteness {
            date: day0 + Duration::days(day as i64),
            recorded_epochs: end - first,
            valid_epochs: valid,
            epochs_per_day: per_day,
            fraction: 0.0,
        });
        first = end;
    }
    for d in &mut out {
        d.fraction = if per_day == 0 {
            0.0
        } else {
            d.valid_epochs as f64 / per_day as f64
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    #[test]
    fn completeness_counts_each_epoch_on_the_day_it_starts() {
        // Against the definition, epoch by epoch: epoch `i` belongs to the
        // day its start falls on.
        for (start, epoch, n) in [
            ("2024-01-01 00:00:00", 60, 3 * 1440 + 17),
            ("2024-01-01 13:37:00", 60, 2 * 1440),
            ("2024-01-01 23:59:30", 30, 5000),
            ("2024-01-01 05:00:07", 7, 40_000),
            ("2024-01-01 22:00:00", 3600, 100),
            ("2024-01-01 12:00:00", 100_000, 9),
            ("2024-01-01 00:00:00", 86_400, 4),
        ] {
            let start = NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S").expect("time");
            let counts: Vec<Option<f64>> =
                (0..n).map(|i| (i % 11 != 3).then_some(i as f64)).collect();
            let wear: Vec<bool> = (0..n).map(|i| i % 13 != 5).collect();
            let series = EpochSeries::new(start, epoch, counts.clone()).expect("series");
            for mask in [None, Some(&wear[..])] {
                let mut expected: Vec<(NaiveDate, usize, usize)> = Vec::new();
                for (i, c) in counts.iter().enumerate() {
                    let date = (start + Duration::seconds(i as i64 * i64::from(epoch))).date();
                    if expected.last().map(|d| d.0) != Some(date) {
                        expected.push((date, 0, 0));
                    }
                    let day = expected.last_mut().expect("a day");
                    day.1 += 1;
                    day.2 += usize::from(c.is_some() && mask.is_none_or(|w| w[i]));
                }
                let got: Vec<(NaiveDate, usize, usize)> = daily_completeness(&series, mask)
                    .expect("completeness")
                    .iter()
                    .map(|d| (d.date, d.recorded_epochs, d.valid_epochs))
                    .collect();
                assert_eq!(
                    got,
                    expected,
                    "{start} every {epoch} s, mask {}",
                    mask.is_some()
                );
            }
        }
    }

    fn series(counts: &[Option<f64>]) -> EpochSeries {
        let start = NaiveDateTime::parse_from_str("2024-01-01 23:58:00", "%Y-%m-%d %H:%M:%S")
            .expect("time");
        EpochSeries::new(start, 60, counts.to_vec()).expect("series")
    }

    #[test]
    fn inactivity_mask_counts_missing_and_fractions_as_inactive() {
        let s = series(&[Some(5.0), Some(0.0), None, Some(0.5), Some(3.0), Some(0.0)]);
        assert_eq!(
            inactivity_mask(&s, 3),
            vec![true, false, false, false, true, true]
        );
        assert_eq!(inactivity_mask(&s, 4), vec![true; 6]);
    }

    #[test]
    fn spike_tolerated_only_with_long_flanks() {
        let rule = NonWearRule {
            min_epochs: 8,
            spike_tolerance_epochs: 1,
            flank_epochs: 3,
        };
        let z = Some(0.0);
        let a = Some(9.0);
        // 4 zeros, spike, 4 zeros = 9 >= 8 -> all non-wear.
        let s = series(&[a, z, z, z, z, a, z, z, z, z, a]);
        let m = non_wear_mask(&s, &rule);
        assert_eq!(
            m,
            vec![true, false, false, false, false, false, false, false, false, false, true]
        );
        // Flank of 2 on the left: not merged, both runs too short.
        let s = series(&[a, z, z, a, z, z, z, z, z, z, a]);
        assert!(non_wear_mask(&s, &rule).iter().all(|&w| w));
    }

    #[test]
    fn completeness_splits_calendar_days() {
        // Starts 23:58: 2 epochs on day 1, 3 on day 2 (one missing, one masked).
        let s = series(&[Some(1.0), Some(1.0), None, Some(2.0), Some(2.0)]);
        let wear = [true, true, true, false, true];
        let d = daily_completeness(&s, Some(&wear)).expect("days");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].recorded_epochs, d[0].valid_epochs), (2, 2));
        assert_eq!((d[1].recorded_epochs, d[1].valid_epochs), (3, 1));
        assert_eq!(d[1].epochs_per_day, 1440);
        assert!((d[1].fraction - 1.0 / 1440.0).abs() < 1e-15);
    }
}
