//! InfiniTime (PineTime) Motion Service and a step counter tracker.
//!
//! Source: InfiniTime `doc/MotionService.md`. The step count characteristic
//! holds one little-endian `u32`, the watch's cumulative count for its current
//! day; it restarts at 0 at the watch's midnight and after a reboot. Raw
//! motion is three `i16` (X, Y, Z) with 1 g = 1024.

use crate::reader::Reader;
use crate::{DecodeError, GattValue};
use chrono::Timelike;
use phr_model::{Stamp, StepCount};
use serde::{Deserialize, Serialize};

/// Motion Service.
pub const MOTION_SERVICE: u128 = 0x00030000_78fc_48fe_8e23_433b3a1942d0;

/// Step count (read, notify): the watch's cumulative count for its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailySteps(pub u32);

impl GattValue for DailySteps {
    const CHARACTERISTIC: u128 = 0x00030001_78fc_48fe_8e23_433b3a1942d0;
    const NAME: &'static str = "InfiniTime step count";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Self::NAME, bytes);
        let steps = reader.u32("steps")?;
        reader.finish()?;
        Ok(DailySteps(steps))
    }
}

/// Raw motion (read, notify): acceleration in units of 1/1024 g.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMotion {
    /// X axis.
    pub x: i16,
    /// Y axis.
    pub y: i16,
    /// Z axis.
    pub z: i16,
}

impl RawMotion {
    /// Units per g.
    pub const PER_G: f64 = 1024.0;
}

impl GattValue for RawMotion {
    const CHARACTERISTIC: u128 = 0x00030002_78fc_48fe_8e23_433b3a1942d0;
    const NAME: &'static str = "InfiniTime raw motion";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Self::NAME, bytes);
        let motion = RawMotion {
            x: reader.i16("x")?,
            y: reader.i16("y")?,
            z: reader.i16("z")?,
        };
        reader.finish()?;
        Ok(motion)
    }
}

/// The last reading a [`StepTracker`] accepted; persist it (e.g. in the vault)
/// to resume without double counting after a reconnect or an app restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTrackerState {
    /// Host instant of the reading, with the wearer's offset.
    pub at: Stamp,
    /// Cumulative count the watch reported then.
    pub cumulative: u32,
}

/// Turns (host instant, cumulative daily count) readings into [`StepCount`]
/// increments.
///
/// Rules, in order (see `docs/ble.md`):
/// 1. A reading not after the last accepted one is ignored (duplicate or
///    out-of-order notification).
/// 2. The very first reading only sets the baseline: we cannot know how many
///    of its steps were already stored.
/// 3. Same local day, count not lower: increment = difference, over the time
///    since the last reading. Equal counts give nothing (reconnect re-read).
/// 4. Same local day, count lower: the watch rebooted and restarted from 0;
///    increment = the new count (steps between the last reading and the
///    reboot are lost, never invented).
/// 5. New local day: the watch reset at its midnight. Increment = the new
///    count, placed from local midnight to the reading. If the reading is
///    within [`StepTracker::MIDNIGHT_GRACE_SECONDS`] of midnight and the count
///    did not drop, the watch clock has not rolled over yet: rule 3 applies
///    and the later drop is caught by rule 4.
///
/// Local midnight is derived from the reading's offset, so a DST change
/// between midnight and the reading shifts the interval start by the DST
/// step; the step total is unaffected.
#[derive(Debug, Clone, Default)]
pub struct StepTracker {
    last: Option<StepTrackerState>,
}

impl StepTracker {
    /// Tolerated clock difference between watch and host around midnight.
    pub const MIDNIGHT_GRACE_SECONDS: i64 = 600;

    /// A tracker without history (the first reading becomes the baseline).
    pub fn new() -> Self {
        StepTracker::default()
    }

    /// A tracker resuming from a persisted state.
    pub fn resume(state: StepTrackerState) -> Self {
        StepTracker { last: Some(state) }
    }

    /// The state to persist.
    pub fn state(&self) -> Option<StepTrackerState> {
        self.last
    }

    /// Feeds one reading; returns the steps taken since the previous one, if
    /// any.
    pub fn observe(&mut self, at: Stamp, cumulative: u32) -> Option<StepCount> {
        let Some(last) = self.last else {
            self.last = Some(StepTrackerState { at, cumulative });
            return None;
        };
        if at.utc <= last.at.utc {
            return None;
        }
        self.last = Some(StepTrackerState { at, cumulative });
        let same_day = at.local_date() == last.at.local_date();
        let seconds_since_midnight = i64::from(at.local().num_seconds_from_midnight());
        let (start, steps) = if same_day
            || (seconds_since_midnight < Self::MIDNIGHT_GRACE_SECONDS
                && cumulative >= last.cumulative)
        {
            if cumulative >= last.cumulative {
                (last.at, cumulative - last.cumulative)
            } else {
                (last.at, cumulative)
            }
        } else {
            let midnight = Stamp::new(at.utc - seconds_since_midnight, at.offset_seconds);
            // A reading at 00:00:00 exactly has no time since midnight: the
            // steps are placed over the interval since the last reading.
            let start = if midnight.utc > last.at.utc && midnight.utc < at.utc {
                midnight
            } else {
                last.at
            };
            (start, cumulative)
        };
        if steps == 0 {
            return None;
        }
        let duration = u32::try_from((at.utc - start.utc).max(1)).unwrap_or(u32::MAX);
        Some(StepCount {
            start,
            duration_seconds: duration,
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JST: i32 = 9 * 3600;
    // 2026-03-01T00:00:00+09:00
    const MIDNIGHT: i64 = 1_772_290_800;

    fn at(seconds_after_midnight: i64) -> Stamp {
        Stamp::new(MIDNIGHT + seconds_after_midnight, JST)
    }

    #[test]
    fn decodes_step_count_and_motion() {
        // MotionService.md: uint32 little-endian; 0x00001234 = 4660 steps.
        assert_eq!(
            DailySteps::decode(&[0x34, 0x12, 0, 0]).unwrap(),
            DailySteps(4660)
        );
        assert!(DailySteps::decode(&[0x34, 0x12, 0]).is_err());
        assert!(DailySteps::decode(&[0, 0, 0, 0, 0]).is_err());
        // 1 g on Z: 1024 = 0x0400; X = -1 = 0xFFFF.
        assert_eq!(
            RawMotion::decode(&[0xFF, 0xFF, 0, 0, 0x00, 0x04]).unwrap(),
            RawMotion {
                x: -1,
                y: 0,
                z: 1024
            }
        );
    }

    fn feed(tracker: &mut StepTracker, readings: &[(i64, u32)]) -> Vec<(i64, u32, u32)> {
        readings
            .iter()
            .filter_map(|(t, c)| tracker.observe(at(*t), *c))
            .map(|s| (s.start.utc - MIDNIGHT, s.duration_seconds, s.steps))
            .collect()
    }

    #[test]
    fn increments_within_a_day_and_ignores_duplicates() {
        let mut tracker = StepTracker::new();
        let got = feed(
            &mut tracker,
            &[
                (3600, 100),
                (3660, 150),
                (3660, 150),
                (3600, 90),
                (3720, 150),
                (3780, 170),
            ],
        );
        assert_eq!(got, vec![(3600, 60, 50), (3720, 60, 20)]);
    }

    #[test]
    fn reboot_mid_day_counts_from_zero() {
        let mut tracker = StepTracker::resume(StepTrackerState {
            at: at(36_000),
            cumulative: 5000,
        });
        let got = feed(&mut tracker, &[(36_600, 40), (37_200, 90)]);
        assert_eq!(got, vec![(36_000, 600, 40), (36_600, 600, 50)]);
    }

    #[test]
    fn midnight_reset_starts_at_midnight() {
        let mut tracker = StepTracker::resume(StepTrackerState {
            at: at(-3600),
            cumulative: 9000,
        });
        // 07:00 next day, 300 steps since the watch's midnight.
        assert_eq!(feed(&mut tracker, &[(25_200, 300)]), vec![(0, 25_200, 300)]);
    }

    #[test]
    fn new_day_with_higher_count_is_still_a_reset() {
        let mut tracker = StepTracker::resume(StepTrackerState {
            at: at(-3600),
            cumulative: 100,
        });
        assert_eq!(
            feed(&mut tracker, &[(50_000, 12_000)]),
            vec![(0, 50_000, 12_000)]
        );
    }

    #[test]
    fn reading_exactly_at_midnight_has_a_positive_interval() {
        // Found by the `infinitime` fuzz target: start == end before the fix.
        let mut tracker = StepTracker::resume(StepTrackerState {
            at: at(-5000),
            cumulative: 900,
        });
        assert_eq!(feed(&mut tracker, &[(0, 3)]), vec![(-5000, 5000, 3)]);
    }

    #[test]
    fn watch_clock_lagging_behind_midnight() {
        let mut tracker = StepTracker::resume(StepTrackerState {
            at: at(-120),
            cumulative: 9000,
        });
        // 00:01 host time, the watch has not reset yet (9010), then resets.
        let got = feed(&mut tracker, &[(60, 9010), (300, 5)]);
        assert_eq!(got, vec![(-120, 180, 10), (60, 240, 5)]);
    }

    #[test]
    fn state_round_trips_for_reconnects() {
        let mut tracker = StepTracker::new();
        tracker.observe(at(100), 10);
        let state = tracker.state().unwrap();
        let mut resumed = StepTracker::resume(state);
        assert_eq!(resumed.observe(at(100), 10), None);
        assert_eq!(resumed.observe(at(160), 25).map(|s| s.steps), Some(15));
    }
}
