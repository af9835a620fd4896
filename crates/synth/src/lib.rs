//! Deterministic synthetic lifelogs: what a wrist wearable records over days
//! of ordinary life, for the built-in demo, the simulated wearable and tests.
//!
//! Key design choice: each local day is generated from its own random stream,
//! seeded by `(seed, date)`. A day therefore looks the same whichever window
//! it is generated in, so a simulated device that "records" day after day
//! produces the same history on every sync, as a real one would.
//!
//! The shapes follow wrist actigraphy in the literature: near-zero counts in
//! consolidated night sleep with brief awakenings, a daytime level with
//! morning and afternoon peaks, sedentary spells, walking bouts. Scenarios
//! add what caregivers watch for: night-time wandering and days not worn.
//! Nothing here is real data and nothing pretends to be.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use chrono::{Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;
use phr_model::{
    local_midnight, ActivityEpoch, HeartRate, SleepEpisode, SleepStage, SleepStageSpan, Stamp,
    StepCount,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Seed of every random stream.
    pub seed: u64,
    /// First local day.
    pub start: NaiveDate,
    /// Number of local days.
    pub days: u32,
    /// Time zone the wearer lives in.
    pub zone: Tz,
    /// Local dates whose following night has a bout of wandering (1-3 h of
    /// walking and agitation between 01:00 and 05:00).
    pub wandering_nights: Vec<NaiveDate>,
    /// Local dates on which the device lies unworn on a table (all zeros, no
    /// heart rate).
    pub not_worn_days: Vec<NaiveDate>,
}

impl Scenario {
    /// A plain scenario: `days` ordinary days from `start` in `zone`.
    pub fn ordinary(seed: u64, start: NaiveDate, days: u32, zone: Tz) -> Self {
        Scenario {
            seed,
            start,
            days,
            zone,
            wandering_nights: Vec::new(),
            not_worn_days: Vec::new(),
        }
    }
}

/// Everything a wearable recorded over the scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lifelog {
    /// One activity count per minute, every minute of every day.
    pub activity: Vec<ActivityEpoch>,
    /// Steps per minute, for minutes with steps.
    pub steps: Vec<StepCount>,
    /// Heart rate every five minutes while worn.
    pub heart_rate: Vec<HeartRate>,
    /// One main sleep episode per night, with stages.
    pub sleep: Vec<SleepEpisode>,
}

/// The plan of one local day, drawn first so the minutes can consult it.
struct DayPlan {
    /// Minutes after local midnight of the day when the previous night's
    /// sleep ends (wake time).
    wake_minute: i64,
    /// Minutes after local midnight when this night's sleep starts.
    sleep_minute: i64,
    worn: bool,
    /// Wandering bout in the early hours of this day (minutes after midnight).
    wandering: Option<(i64, i64)>,
    /// Brief awakenings in the night that ends this morning.
    awakenings: Vec<(i64, i64)>,
    walks: Vec<(i64, i64)>,
    activity_level: f64,
}

fn day_rng(seed: u64, date: NaiveDate) -> fastrand::Rng {
    let day = date.num_days_from_ce() as u64;
    fastrand::Rng::with_seed(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ day.wrapping_mul(0xD1B5_4A32_D192_ED03),
    )
}

fn normal(rng: &mut fastrand::Rng, mean: f64, sd: f64) -> f64 {
    let u1 = rng.f64().max(1e-12);
    let u2 = rng.f64();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn plan(scenario: &Scenario, date: NaiveDate) -> DayPlan {
    let mut rng = day_rng(scenario.seed, date);
    let wake_minute = normal(&mut rng, 6.5 * 60.0, 25.0).round() as i64;
    let sleep_minute = normal(&mut rng, 23.0 * 60.0, 30.0).round() as i64;
    let previous = date.pred_opt().unwrap_or(date);
    let wandering = scenario.wandering_nights.contains(&previous).then(|| {
        let start = rng.i64(60..240);
        (start, start + rng.i64(60..180))
    });
    let awakenings = (0..rng.usize(1..5))
        .map(|_| {
            let start = rng.i64(0..wake_minute.max(30) - 20);
            (start, start + rng.i64(2..12))
        })
        .collect();
    let walks = (0..rng.usize(2..6))
        .map(|_| {
            let start = rng.i64(wake_minute + 30..sleep_minute.max(wake_minute + 90) - 40);
            (start, start + rng.i64(8..45))
        })
        .collect();
    DayPlan {
        wake_minute,
        sleep_minute,
        worn: !scenario.not_worn_days.contains(&date),
        wandering,
        awakenings,
        walks,
        activity_level: normal(&mut rng, 1.0, 0.12).clamp(0.6, 1.5),
    }
}

/// Daytime activity profile by hour of day (1.0 = the day's mean level).
fn diurnal(minute: i64) -> f64 {
    let hour = minute as f64 / 60.0;
    let morning = (-((hour - 10.0) / 2.5).powi(2)).exp();
    let afternoon = (-((hour - 15.5) / 3.0).powi(2)).exp();
    0.45 + 0.7 * morning + 0.6 * afternoon
}

/// Generates the scenario. Deterministic for a given scenario.
pub fn generate(scenario: &Scenario) -> Lifelog {
    let mut log = Lifelog::default();
    let mut date = scenario.start;
    let mut previous_plan: Option<DayPlan> = None;
    for _ in 0..scenario.days {
        let today = plan(scenario, date);
        let next_date = date.succ_opt().unwrap_or(date);
        let day_start = local_midnight(date, scenario.zone);
        let day_end = local_midnight(next_date, scenario.zone);
        let mut rng = day_rng(scenario.seed ^ 0xA5A5, date);
        let mut utc = day_start;
        while utc < day_end {
            let stamp = Stamp::in_zone(utc, scenario.zone).unwrap_or(Stamp::new(utc, 0));
            let local = stamp.local();
            let minute = i64::from(local.hour() * 60 + local.minute());
            let (count, steps) = minute_sample(&today, minute, &mut rng);
            log.activity.push(ActivityEpoch {
                at: stamp,
                epoch_seconds: 60,
                count,
            });
            if steps > 0 {
                log.steps.push(StepCount {
                    start: stamp,
                    duration_seconds: 60,
                    steps,
                });
            }
            if today.worn && minute % 5 == 0 {
                let asleep = minute < today.wake_minute || minute >= today.sleep_minute;
                let base = if asleep { 56.0 } else { 72.0 };
                let bpm = base + f64::from(count).sqrt() * 0.9 + normal(&mut rng, 0.0, 3.0);
                log.heart_rate.push(HeartRate {
                    at: stamp,
                    bpm: bpm.clamp(40.0, 190.0) as u16,
                });
            }
            utc += 60;
        }
        if let Some(previous) = previous_plan.as_ref().filter(|p| p.worn && today.worn) {
            let prev_start = local_midnight(date.pred_opt().unwrap_or(date), scenario.zone);
            let start = prev_start + previous.sleep_minute * 60;
            let end = day_start + today.wake_minute * 60;
            if let (Ok(start), Ok(end)) = (
                Stamp::in_zone(start, scenario.zone),
                Stamp::in_zone(end, scenario.zone),
            ) {
                log.sleep
                    .push(sleep_episode(start, end, &today, day_start, &mut rng));
            }
        }
        previous_plan = Some(today);
        date = next_date;
    }
    log
}

fn minute_sample(day: &DayPlan, minute: i64, rng: &mut fastrand::Rng) -> (u32, u32) {
    if !day.worn {
        return (0, 0);
    }
    let inside = |spans: &[(i64, i64)]| spans.iter().any(|&(a, b)| (a..b).contains(&minute));
    if let Some((a, b)) = day.wandering {
        if (a..b).contains(&minute) {
            let count = normal(rng, 380.0, 140.0).max(20.0) as u32;
            return (count, if rng.f64() < 0.6 { rng.u32(40..100) } else { 0 });
        }
    }
    let asleep = minute < day.wake_minute || minute >= day.sleep_minute;
    if asleep {
        if inside(&day.awakenings) {
            return (rng.u32(10..160), 0);
        }
        let count = if rng.f64() < 0.88 { 0 } else { rng.u32(1..35) };
        return (count, 0);
    }
    if inside(&day.walks) {
        let count = normal(rng, 900.0, 180.0).max(300.0) as u32;
        return (count, rng.u32(95..125));
    }
    if rng.f64() < 0.3 {
        return (rng.u32(0..25), 0);
    }
    let level = 260.0 * day.activity_level * diurnal(minute);
    let count = (level * normal(rng, 0.0, 0.6).exp()).round().max(0.0) as u32;
    let steps = if count > 350 { count / 12 } else { 0 };
    (count, steps)
}

fn sleep_episode(
    start: Stamp,
    end: Stamp,
    day: &DayPlan,
    day_start: i64,
    rng: &mut fastrand::Rng,
) -> SleepEpisode {
    let total = (end.utc - start.utc).max(60) as u32;
    let mut stages = Vec::new();
    let mut offset = 0u32;
    let mut cycle = 0;
    while offset < total {
        // Early cycles carry deep sleep, late ones more REM (~90 min each).
        let plan: [(SleepStage, u32); 3] = [
            (SleepStage::Light, 35 + rng.u32(0..15)),
            (
                SleepStage::Deep,
                if cycle < 2 { 30 } else { 8 } + rng.u32(0..10),
            ),
            (
                SleepStage::Rem,
                if cycle < 2 { 12 } else { 25 } + rng.u32(0..10),
            ),
        ];
        for (stage, minutes) in plan {
            if offset >= total {
                break;
            }
            let duration = (minutes * 60).min(total - offset);
            stages.push(SleepStageSpan {
                offset_seconds: offset,
                duration_seconds: duration,
                stage,
            });
            offset += duration;
        }
        cycle += 1;
    }
    // Mark the planned awakenings as awake where they fall in the episode.
    for &(a, b) in &day.awakenings {
        let from = (day_start + a * 60 - start.utc).max(0) as u32;
        let to = (day_start + b * 60 - start.utc).max(0) as u32;
        if from < to && to <= total {
            stages = overlay(stages, from, to, SleepStage::Awake);
        }
    }
    SleepEpisode {
        start,
        end,
        is_main: true,
        method: "device".into(),
        stages,
    }
}

/// Replaces `[from, to)` with `stage`, splitting spans at the edges.
fn overlay(
    spans: Vec<SleepStageSpan>,
    from: u32,
    to: u32,
    stage: SleepStage,
) -> Vec<SleepStageSpan> {
    let mut out = Vec::with_capacity(spans.len() + 2);
    for span in spans {
        let (a, b) = (
            span.offset_seconds,
            span.offset_seconds + span.duration_seconds,
        );
        if b <= from || a >= to {
            out.push(span);
            continue;
        }
        if a < from {
            out.push(SleepStageSpan {
                duration_seconds: from - a,
                ..span
            });
        }
        if out.last().is_none_or(|last| {
            last.stage != stage || last.offset_seconds + last.duration_seconds != from.max(a)
        }) {
            out.push(SleepStageSpan {
                offset_seconds: from.max(a),
                duration_seconds: to.min(b) - from.max(a),
                stage,
            });
        } else if let Some(last) = out.last_mut() {
            last.duration_seconds += to.min(b) - from.max(a);
        }
        if b > to {
            out.push(SleepStageSpan {
                offset_seconds: to,
                duration_seconds: b - to,
                ..span
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> Tz {
        phr_model::parse_time_zone("Asia/Tokyo").expect("zone")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn same_seed_same_log_and_days_do_not_depend_on_the_window() {
        let week = generate(&Scenario::ordinary(7, date(2026, 3, 1), 7, tokyo()));
        assert_eq!(
            week,
            generate(&Scenario::ordinary(7, date(2026, 3, 1), 7, tokyo()))
        );
        let last_day = generate(&Scenario::ordinary(7, date(2026, 3, 7), 1, tokyo()));
        assert_eq!(&week.activity[6 * 1440..], &last_day.activity[..]);
        assert_ne!(
            week,
            generate(&Scenario::ordinary(8, date(2026, 3, 1), 7, tokyo()))
        );
    }

    #[test]
    fn nights_are_quiet_and_days_active() {
        let log = generate(&Scenario::ordinary(1, date(2026, 3, 1), 7, tokyo()));
        assert_eq!(log.activity.len(), 7 * 1440);
        let mean_at = |hour: u32| {
            let v: Vec<f64> = log
                .activity
                .iter()
                .filter(|e| e.at.local().hour() == hour)
                .map(|e| f64::from(e.count))
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(mean_at(3) < 15.0, "3 am mean {}", mean_at(3));
        assert!(mean_at(11) > 150.0, "11 am mean {}", mean_at(11));
        assert_eq!(log.sleep.len(), 6);
        for episode in &log.sleep {
            let covered: u32 = episode.stages.iter().map(|s| s.duration_seconds).sum();
            assert_eq!(i64::from(covered), episode.end.utc - episode.start.utc);
        }
    }

    #[test]
    fn wandering_nights_and_unworn_days_show() {
        let mut scenario = Scenario::ordinary(3, date(2026, 3, 1), 4, tokyo());
        scenario.wandering_nights = vec![date(2026, 3, 2)];
        scenario.not_worn_days = vec![date(2026, 3, 4)];
        let log = generate(&scenario);
        let night_total = |day: u32| -> u64 {
            log.activity
                .iter()
                .filter(|e| e.at.local_date() == date(2026, 3, day) && e.at.local().hour() < 5)
                .map(|e| u64::from(e.count))
                .sum()
        };
        assert!(
            night_total(3) > 10 * night_total(2),
            "{} vs {}",
            night_total(3),
            night_total(2)
        );
        assert!(log
            .activity
            .iter()
            .filter(|e| e.at.local_date() == date(2026, 3, 4))
            .all(|e| e.count == 0));
    }

    #[test]
    fn dst_days_have_23_or_25_hours_of_minutes() {
        let berlin = phr_model::parse_time_zone("Europe/Berlin").expect("zone");
        let log = generate(&Scenario::ordinary(1, date(2026, 3, 28), 3, berlin));
        let minutes_on = |d| {
            log.activity
                .iter()
                .filter(|e| e.at.local_date() == d)
                .count()
        };
        assert_eq!(minutes_on(date(2026, 3, 29)), 23 * 60);
        assert_eq!(minutes_on(date(2026, 3, 28)), 24 * 60);
    }
}
