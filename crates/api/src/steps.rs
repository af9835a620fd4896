//! Steps per local day when several sources counted them.
//!
//! A phone in a pocket and a watch on the wrist both count the same walk,
//! so their counts must not be added up; a band worn in the morning and a
//! phone carried in the evening count different walks, which must be. Each
//! source's steps are summed per hour (the hour each interval starts in),
//! and for each hour the source that counted most is taken, as health apps
//! do when they merge sources by priority per time slot. With one source
//! this is the plain sum.

use chrono::NaiveDate;
use phr_model::StepCount;
use std::collections::BTreeMap;

/// Merges the step intervals of several sources into steps per local day.
#[derive(Debug, Default)]
pub(crate) struct StepMerger {
    /// Per hour (Unix seconds / 3,600): its local date and the most steps
    /// one source counted in it.
    best: BTreeMap<i64, (NaiveDate, u64)>,
}

impl StepMerger {
    /// Adds one source's intervals; `date_of` gives a stamp's local date.
    pub(crate) fn add_source(
        &mut self,
        steps: &[StepCount],
        mut date_of: impl FnMut(phr_model::Stamp) -> NaiveDate,
    ) {
        let mut mine: BTreeMap<i64, (NaiveDate, u64)> = BTreeMap::new();
        for s in steps {
            let hour = s.start.utc.div_euclid(3600);
            let entry = mine.entry(hour).or_insert_with(|| (date_of(s.start), 0));
            entry.1 += u64::from(s.steps);
        }
        for (hour, (date, steps)) in mine {
            let entry = self.best.entry(hour).or_insert((date, 0));
            if steps > entry.1 {
                *entry = (date, steps);
            }
        }
    }

    /// Steps per local day (days with step data only).
    pub(crate) fn per_day(&self) -> BTreeMap<NaiveDate, u64> {
        let mut days: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        for &(date, steps) in self.best.values() {
            *days.entry(date).or_default() += steps;
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phr_model::Stamp;

    fn interval(utc: i64, steps: u32) -> StepCount {
        StepCount {
            start: Stamp::new(utc, 9 * 3600),
            duration_seconds: 600,
            steps,
        }
    }

    #[test]
    fn sources_counting_the_same_walk_are_not_added_but_different_walks_are() {
        let day = 1_704_034_800; // 2024-01-01 00:00 in Tokyo
        let watch = [
            interval(day + 9 * 3600, 500),
            interval(day + 9 * 3600 + 600, 400),
        ];
        let phone = [
            interval(day + 9 * 3600 + 60, 700),
            interval(day + 18 * 3600, 300),
        ];
        let mut merger = StepMerger::default();
        merger.add_source(&watch, |s| s.local_date());
        merger.add_source(&phone, |s| s.local_date());
        let date = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        // 09:00 hour: the watch's 900 beats the phone's 700; 18:00: the phone's 300.
        assert_eq!(merger.per_day().get(&date), Some(&1200));
        let mut one = StepMerger::default();
        one.add_source(&phone, |s| s.local_date());
        assert_eq!(one.per_day().get(&date), Some(&1000), "one source: the sum");
    }
}
