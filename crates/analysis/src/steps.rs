//! Step increments and daily totals from cumulative device step counters.
//!
//! Devices report a running total that restarts from zero at local midnight
//! (most wearables) and/or when the device reboots. Differencing naively
//! would produce negative steps at each restart; treating every sample as a
//! total would count steps twice. The rules here:
//!
//! 1. Samples are ordered by time (stable: equal instants keep input order).
//! 2. Between two consecutive samples, if the counter did not go down, the
//!    increment is `current - previous`.
//! 3. If it went down, the counter restarted from zero in between (reboot or
//!    midnight reset): the increment is `current` — the steps since the
//!    restart. Steps between the previous sample and the restart were never
//!    reported and are not invented.
//! 4. With [`StepCounterOptions::resets_at_midnight`], a pair of samples on
//!    different local dates is always a restart (rule 3), even when the new
//!    value happens to be larger; and the first sample of the series counts
//!    in full (steps since its midnight). Without it, the first sample is only
//!    a baseline.
//! 5. An increment belongs to the local date of the later sample.
//!
//! Increments are therefore never negative and each reported step is counted
//! once, provided that a decrease really means "restarted from zero" (a
//! device restoring an older, non-zero total after a reboot would be
//! over-counted; such devices need to be special-cased by the importer).

use chrono::{NaiveDate, NaiveDateTime};

/// One reading of a cumulative step counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepSample {
    /// Local wall-clock time of the reading.
    pub at: NaiveDateTime,
    /// Counter value (steps since the last restart).
    pub cumulative: u64,
}

/// Behaviour of the device counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepCounterOptions {
    /// The counter restarts from zero at local midnight (default true).
    pub resets_at_midnight: bool,
}

impl Default for StepCounterOptions {
    fn default() -> Self {
        Self {
            resets_at_midnight: true,
        }
    }
}

/// Steps taken between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepIncrement {
    /// Previous reading (`None` for the first sample of a midnight-resetting
    /// counter: the interval starts at that day's midnight).
    pub from: Option<NaiveDateTime>,
    /// This reading.
    pub to: NaiveDateTime,
    /// Steps in `(from, to]`.
    pub steps: u64,
    /// The counter restarted inside the interval.
    pub restarted: bool,
}

/// Total steps of one local calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailySteps {
    /// Local date.
    pub date: NaiveDate,
    /// Sum of the increments ending on that date.
    pub steps: u64,
}

/// Per-interval increments (see the module rules).
pub fn step_increments(samples: &[StepSample], opts: &StepCounterOptions) -> Vec<StepIncrement> {
    let mut sorted = samples.to_vec();
    sorted.sort_by_key(|s| s.at); // stable
    let mut out = Vec::with_capacity(sorted.len());
    let Some(first) = sorted.first() else {
        return out;
    };
    if opts.resets_at_midnight {
        out.push(StepIncrement {
            from: None,
            to: first.at,
            steps: first.cumulative,
            restarted: true,
        });
    }
    for pair in sorted.windows(2) {
        let (prev, cur) = (pair[0], pair[1]);
        let day_change = opts.resets_at_midnight && cur.at.date() != prev.at.date();
        let (steps, restarted) = if day_change || cur.cumulative < prev.cumulative {
            (cur.cumulative, true)
        } else {
            (cur.cumulative - prev.cumulative, false)
        };
        out.push(StepIncrement {
            from: Some(prev.at),
            to: cur.at,
            steps,
            restarted,
        });
    }
    out
}

/// Daily totals (dates with at least one increment, in order).
pub fn daily_step_totals(samples: &[StepSample], opts: &StepCounterOptions) -> Vec<DailySteps> {
    let mut out: Vec<DailySteps> = Vec::new();
    for inc in step_increments(samples, opts) {
        let date = inc.to.date();
        match out.last_mut() {
            Some(d) if d.date == date => d.steps += inc.steps,
            _ => out.push(DailySteps {
                date,
                steps: inc.steps,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(at: &str, c: u64) -> StepSample {
        StepSample {
            at: NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").expect("time"),
            cumulative: c,
        }
    }

    fn d(x: &str) -> NaiveDate {
        NaiveDate::parse_from_str(x, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn midnight_reset_and_reboot() {
        let samples = [
            s("2024-01-01 08:00", 500),
            s("2024-01-01 12:00", 4000),
            s("2024-01-01 15:00", 300), // reboot: 300 steps since the reboot
            s("2024-01-01 23:30", 2300),
            s("2024-01-02 00:30", 120), // midnight reset
            s("2024-01-02 09:00", 3120),
        ];
        let totals = daily_step_totals(&samples, &StepCounterOptions::default());
        assert_eq!(
            totals,
            vec![
                DailySteps {
                    date: d("2024-01-01"),
                    steps: 500 + 3500 + 300 + 2000
                },
                DailySteps {
                    date: d("2024-01-02"),
                    steps: 120 + 3000
                },
            ]
        );
    }

    #[test]
    fn larger_value_after_midnight_is_still_a_restart() {
        let samples = [s("2024-01-01 22:00", 100), s("2024-01-02 07:00", 150)];
        let inc = step_increments(&samples, &StepCounterOptions::default());
        assert_eq!(inc[1].steps, 150);
        assert!(inc[1].restarted);
        // A monotone counter that never resets at midnight: difference only,
        // first sample is a baseline.
        let opts = StepCounterOptions {
            resets_at_midnight: false,
        };
        let inc = step_increments(&samples, &opts);
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].steps, 50);
    }

    #[test]
    fn unsorted_and_duplicate_samples() {
        let samples = [
            s("2024-01-01 12:00", 700),
            s("2024-01-01 10:00", 200),
            s("2024-01-01 12:00", 700),
        ];
        let totals = daily_step_totals(&samples, &StepCounterOptions::default());
        assert_eq!(totals[0].steps, 700);
        assert!(step_increments(&[], &StepCounterOptions::default()).is_empty());
    }
}
