//! The input type: a regular epoch series with explicit missing values.

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};

/// Seconds in one civil day (naive local time has no DST, so always 86 400).
pub const SECONDS_PER_DAY: u32 = 86_400;

/// Errors reported by the analysis functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnalysisError {
    /// The epoch length is zero.
    ZeroEpoch,
    /// The algorithm or setting needs a shorter or specific epoch length.
    UnsupportedEpoch {
        /// Epoch length of the series, in seconds.
        epoch_seconds: u32,
        /// What the algorithm requires, in words.
        requirement: &'static str,
    },
    /// A mask or companion vector does not have the length of the series.
    LengthMismatch {
        /// Expected length (the series length).
        expected: usize,
        /// Length that was supplied.
        actual: usize,
    },
}

impl std::fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalysisError::ZeroEpoch => write!(f, "epoch length must be positive"),
            AnalysisError::UnsupportedEpoch {
                epoch_seconds,
                requirement,
            } => write!(f, "epoch of {epoch_seconds} s not supported: {requirement}"),
            AnalysisError::LengthMismatch { expected, actual } => {
                write!(f, "length mismatch: expected {expected}, got {actual}")
            }
        }
    }
}

impl std::error::Error for AnalysisError {}

/// A regular series of activity counts.
///
/// Epoch `i` starts at `start + i * epoch_seconds` (local wall-clock time, naive:
/// no time zone, no DST). `None` marks a missing epoch (device off, gap in the
/// upload); it is *not* the same thing as a zero count.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochSeries {
    /// Local wall-clock time of the first epoch.
    pub start: NaiveDateTime,
    /// Epoch length in seconds (must be positive).
    pub epoch_seconds: u32,
    /// One activity count per epoch; `None` when missing.
    pub counts: Vec<Option<f64>>,
}

impl EpochSeries {
    /// Builds a series; fails when `epoch_seconds` is zero. Non-finite
    /// counts (NaN, ±inf) become missing, as NaN is in pandas.
    pub fn new(
        start: NaiveDateTime,
        epoch_seconds: u32,
        mut counts: Vec<Option<f64>>,
    ) -> Result<Self, AnalysisError> {
        if epoch_seconds == 0 {
            return Err(AnalysisError::ZeroEpoch);
        }
        for c in &mut counts {
            if c.is_some_and(|v| !v.is_finite()) {
                *c = None;
            }
        }
        Ok(Self {
            start,
            epoch_seconds,
            counts,
        })
    }

    /// Number of epochs (present or missing).
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when the series holds no epoch at all.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Local start time of epoch `i`.
    pub fn time_of(&self, i: usize) -> NaiveDateTime {
        self.start + Duration::seconds(i as i64 * i64::from(self.epoch_seconds))
    }

    /// Seconds since local midnight of the first epoch's start.
    pub fn start_second_of_day(&self) -> u32 {
        self.start.num_seconds_from_midnight()
    }

    /// Calendar date of the first epoch.
    pub fn start_date(&self) -> NaiveDate {
        self.start.date()
    }

    /// A copy where epochs with `valid[i] == false` become missing.
    pub fn masked(&self, valid: &[bool]) -> Result<EpochSeries, AnalysisError> {
        check_len(self.len(), valid.len())?;
        Ok(EpochSeries {
            start: self.start,
            epoch_seconds: self.epoch_seconds,
            counts: self
                .counts
                .iter()
                .zip(valid)
                .map(|(c, &v)| if v { *c } else { None })
                .collect(),
        })
    }

    /// A copy with counts replaced by `1.0` when `count > threshold`, else `0.0`
    /// (pyActigraphy's `binarized_data`); missing stays missing.
    pub fn binarized(&self, threshold: f64) -> EpochSeries {
        EpochSeries {
            start: self.start,
            epoch_seconds: self.epoch_seconds,
            counts: binarize(&self.counts, threshold),
        }
    }
}

/// `count > threshold` → 1, else 0; `None` stays `None`.
pub(crate) fn binarize(counts: &[Option<f64>], threshold: f64) -> Vec<Option<f64>> {
    counts
        .iter()
        .map(|c| c.map(|v| if v > threshold { 1.0 } else { 0.0 }))
        .collect()
}

pub(crate) fn check_len(expected: usize, actual: usize) -> Result<(), AnalysisError> {
    if expected == actual {
        Ok(())
    } else {
        Err(AnalysisError::LengthMismatch { expected, actual })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("valid time")
    }

    #[test]
    fn zero_epoch_rejected() {
        assert_eq!(
            EpochSeries::new(t("2024-01-01 00:00:00"), 0, vec![]),
            Err(AnalysisError::ZeroEpoch)
        );
    }

    #[test]
    fn binarize_is_strict_and_keeps_missing() {
        let s = EpochSeries::new(
            t("2024-01-01 13:37:00"),
            60,
            vec![Some(4.0), Some(4.5), None, Some(0.0)],
        )
        .expect("series");
        let b = s.binarized(4.0);
        assert_eq!(b.counts, vec![Some(0.0), Some(1.0), None, Some(0.0)]);
        assert_eq!(s.time_of(3), t("2024-01-01 13:40:00"));
        assert_eq!(s.start_second_of_day(), 13 * 3600 + 37 * 60);
    }

    #[test]
    fn non_finite_counts_become_missing() {
        let s = EpochSeries::new(
            t("2024-01-01 00:00:00"),
            60,
            vec![Some(f64::NAN), Some(f64::INFINITY), Some(2.0)],
        )
        .expect("s");
        assert_eq!(s.counts, vec![None, None, Some(2.0)]);
    }

    #[test]
    fn mask_length_checked() {
        let s = EpochSeries::new(t("2024-01-01 00:00:00"), 60, vec![Some(1.0); 3]).expect("s");
        assert!(s.masked(&[true, false]).is_err());
        let m = s.masked(&[true, false, true]).expect("masked");
        assert_eq!(m.counts, vec![Some(1.0), None, Some(1.0)]);
    }
}
