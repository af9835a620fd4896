//! Actigraphy analysis as front ends show it: the circadian metric set,
//! Cole-Kripke, nightly sleep episodes and completeness, from a file or from
//! the vault.

use crate::{ApiError, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use phr_analysis::{
    daily_completeness, metrics_and_sleep_of, non_wear_mask, rest_periods, sleep_episodes,
    CircadianConfig, ColeKripkeOptions, ColeKripkeSettings, EpochSeries, NonWearRule, Recording,
    RoennebergOptions,
};
use phr_import::ActivityRecording;
use phr_model::{ActivityEpoch, CircadianMetrics};
use serde::Serialize;

pub(crate) const TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// `cole_kripke.settings` of a recording that was scored (pyActigraphy's
/// `mean` settings); anything else says why it was not.
pub(crate) const SCORED_SETTINGS: &str = "mean";

/// IS, IV, L5, M10 and RA on one count scale, with the L5/M10 onsets: the
/// JSON shape of [`CircadianMetrics`] for front ends (pyActigraphy's key
/// names, onsets as `HH:MM:SS` text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsDto {
    /// Binarization threshold (binarized set only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Interdaily stability (hourly bins).
    #[serde(rename = "IS")]
    pub is: Option<f64>,
    /// Intradaily variability (hourly bins).
    #[serde(rename = "IV")]
    pub iv: Option<f64>,
    /// Mean activity of the least active 5 hours of the average day.
    #[serde(rename = "L5")]
    pub l5: Option<f64>,
    /// Mean activity of the most active 10 hours of the average day.
    #[serde(rename = "M10")]
    pub m10: Option<f64>,
    /// Relative amplitude (M10 - L5) / (M10 + L5).
    #[serde(rename = "RA")]
    pub ra: Option<f64>,
    /// Clock time L5 starts (`HH:MM:SS`).
    pub l5_onset: Option<String>,
    /// Clock time M10 starts (`HH:MM:SS`).
    pub m10_onset: Option<String>,
}

/// Clock-time text of the onsets.
const ONSET: &str = "%H:%M:%S";

impl MetricsDto {
    /// The DTO of `metrics`; `threshold` is that of a binarized set.
    pub(crate) fn new(metrics: &CircadianMetrics, threshold: Option<f64>) -> Self {
        let onset = |t: Option<NaiveTime>| t.map(|t| t.format(ONSET).to_string());
        MetricsDto {
            threshold,
            is: metrics.is,
            iv: metrics.iv,
            l5: metrics.l5,
            m10: metrics.m10,
            ra: metrics.ra,
            l5_onset: onset(metrics.l5_onset),
            m10_onset: onset(metrics.m10_onset),
        }
    }

    /// The figures again, for the report and FHIR.
    pub(crate) fn metrics(&self) -> CircadianMetrics {
        let onset = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| NaiveTime::parse_from_str(t, ONSET).ok())
        };
        CircadianMetrics {
            is: self.is,
            iv: self.iv,
            l5: self.l5,
            m10: self.m10,
            ra: self.ra,
            l5_onset: onset(&self.l5_onset),
            m10_onset: onset(&self.m10_onset),
        }
    }
}

/// Cole-Kripke scoring summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColeKripkeDto {
    /// pyActigraphy settings name (`mean`).
    pub settings: String,
    /// Minutes scored as sleep (after Webster's rescoring).
    pub sleep_minutes: u64,
    /// The first epoch scored as sleep, local time.
    pub first_sleep: Option<String>,
}

/// One night: a rest period (Roenneberg) scored by Cole-Kripke.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NightDto {
    /// The evening's date.
    pub night_of: NaiveDate,
    /// Start of the rest period (bed time), local.
    pub start: String,
    /// End of the rest period (get-up time), local.
    pub end: String,
    /// `start` as an instant with its UTC offset (RFC 3339), where the
    /// wearer's zone is known (analyses of the vault): unambiguous in the
    /// hour a clock repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_instant: Option<String>,
    /// `end` as an instant with its UTC offset (RFC 3339), as `start_instant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_instant: Option<String>,
    /// Time in bed, minutes of real time (`end - start` as instants).
    pub time_in_bed_minutes: f64,
    /// Total sleep time, minutes.
    pub total_sleep_minutes: f64,
    /// Sleep onset latency, minutes.
    pub sleep_onset_latency_minutes: f64,
    /// Wake after sleep onset, minutes.
    pub waso_minutes: f64,
    /// Total sleep time / time in bed.
    pub sleep_efficiency: f64,
    /// Wake bouts after sleep onset.
    pub awakenings: u32,
}

impl NightDto {
    /// Start and end as moments in `zone`: the instants where they are
    /// known, else the local times (the earlier of a repeated one).
    pub(crate) fn span(&self, zone: Tz) -> Option<(phr_model::Stamp, phr_model::Stamp)> {
        let moment = |instant: &Option<String>, local: &str| {
            let utc = match instant {
                Some(text) => DateTime::parse_from_rfc3339(text).ok()?.timestamp(),
                None => {
                    let local = NaiveDateTime::parse_from_str(local, TIME).ok()?;
                    zone.from_local_datetime(&local).earliest()?.timestamp()
                }
            };
            phr_model::Stamp::in_zone(utc, zone).ok()
        };
        Some((
            moment(&self.start_instant, &self.start)?,
            moment(&self.end_instant, &self.end)?,
        ))
    }
}

/// Raw-count metrics of one 7-day period, for trends (pyActigraphy's
/// `ISp`, `IVp`, `L5p`, `M10p`, `RAp` with a 7-day period).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekDto {
    /// First day of the period.
    pub from: NaiveDate,
    /// Interdaily stability.
    #[serde(rename = "IS")]
    pub is: Option<f64>,
    /// Intradaily variability.
    #[serde(rename = "IV")]
    pub iv: Option<f64>,
    /// L5.
    #[serde(rename = "L5")]
    pub l5: Option<f64>,
    /// M10.
    #[serde(rename = "M10")]
    pub m10: Option<f64>,
    /// Relative amplitude.
    #[serde(rename = "RA")]
    pub ra: Option<f64>,
}

impl WeekDto {
    /// The figures (no onsets: the trend has none), for the report.
    pub(crate) fn metrics(&self) -> CircadianMetrics {
        CircadianMetrics {
            is: self.is,
            iv: self.iv,
            l5: self.l5,
            m10: self.m10,
            ra: self.ra,
            ..CircadianMetrics::default()
        }
    }
}

/// Recorded and worn share of one local day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletenessDto {
    /// The local day.
    pub date: NaiveDate,
    /// Epochs with a count.
    pub recorded_epochs: usize,
    /// Recorded epochs not flagged as non-wear.
    pub worn_epochs: usize,
    /// Epochs the day has on the grid.
    pub epochs_per_day: usize,
    /// worn / per day, 0 to 1.
    pub fraction: f64,
}

/// The whole analysis of one recording. The first keys are the command
/// contract of `phr analyze actigraphy --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActigraphyReport {
    /// Length of the recording in minutes (epochs × epoch length).
    pub minutes: u64,
    /// Wall-clock time of the first epoch.
    pub start: String,
    /// Number of epochs on the grid, missing ones included.
    pub epochs: u64,
    /// Metrics on raw counts, as pyActigraphy computes them (no masking).
    pub raw: MetricsDto,
    /// Metrics on binarized counts (count > threshold), as pyActigraphy.
    pub binarized: MetricsDto,
    /// Cole-Kripke with pyActigraphy's `mean` settings and rescoring.
    pub cole_kripke: ColeKripkeDto,
    /// Epoch length in seconds.
    pub epoch_seconds: u32,
    /// Source format.
    pub format: String,
    /// Epochs flagged as non-wear (≥ 90 min of zeros, see docs/analysis.md).
    pub non_wear_minutes: u64,
    /// The raw metrics again with non-wear masked as missing.
    pub raw_worn_only: MetricsDto,
    /// Nights found (Roenneberg rest periods scored with Cole-Kripke),
    /// whole ones only: a rest period that the start or end of the data
    /// cuts is not a night's figures (see `nights_cut_by_period`).
    pub nights: Vec<NightDto>,
    /// Rest periods left out of `nights` because the start or the end of
    /// the period analysed cut them.
    pub nights_cut_by_period: usize,
    /// Completeness per local day.
    pub completeness: Vec<CompletenessDto>,
    /// Raw metrics per consecutive 7-day period (trend), oldest first.
    pub weekly: Vec<WeekDto>,
    /// The weekly trend again with non-wear masked as missing.
    pub weekly_worn_only: Vec<WeekDto>,
}

fn minutes(seconds: u64) -> f64 {
    seconds as f64 / 60.0
}

/// Analyses a recording on its wall-clock grid.
pub fn analyze_recording(
    recording: &ActivityRecording,
    threshold: f64,
) -> Result<ActigraphyReport> {
    analyze_wall_grid(WallGrid::of(recording)?, threshold)
}

/// [`analyze_recording`] of a recording no longer needed afterwards: its
/// counts become the series analysed instead of being copied (a year of
/// minutes: 8 MB).
pub(crate) fn analyze_owned_recording(
    recording: ActivityRecording,
    threshold: f64,
) -> Result<ActigraphyReport> {
    analyze_wall_grid(WallGrid::from_recording(recording)?, threshold)
}

/// A file's analysis: its wall-clock grid is also its real-time grid.
fn analyze_wall_grid(wall: WallGrid, threshold: f64) -> Result<ActigraphyReport> {
    let grids = Grids { wall, real: None };
    Ok(analyze_with_wear(grids, threshold, true)?.0)
}

/// The series a recording's counts make.
fn series_from(
    start: NaiveDateTime,
    epoch_seconds: u32,
    counts: Vec<Option<f64>>,
) -> Result<EpochSeries> {
    EpochSeries::new(start, epoch_seconds, counts).map_err(|e| ApiError::invalid(e.to_string()))
}

/// The wall-clock grid analysed (see [`Grids`]): its counts as a series,
/// and the format they were read from.
#[derive(Debug, Clone)]
pub(crate) struct WallGrid {
    /// One value per wall-clock epoch.
    pub(crate) series: EpochSeries,
    /// Where the recording came from (the report's `format`).
    pub(crate) format: phr_import::FileFormat,
}

impl WallGrid {
    /// The grid of a recording that stays in use (its counts copied).
    pub(crate) fn of(recording: &ActivityRecording) -> Result<Self> {
        Ok(WallGrid {
            series: series_from(
                recording.start,
                recording.epoch_seconds,
                recording.counts.clone(),
            )?,
            format: recording.format,
        })
    }

    /// The grid of a recording, its counts moved.
    fn from_recording(recording: ActivityRecording) -> Result<Self> {
        Ok(WallGrid {
            series: series_from(recording.start, recording.epoch_seconds, recording.counts)?,
            format: recording.format,
        })
    }
}

/// Raw-count metrics of each whole 7-day week from the recording's start,
/// each week analysed as a recording of its own (with its part of the
/// wear mask, if given). Unlike pyActigraphy's per-period functions, which
/// count only periods that fit strictly inside the span (so 14 days of
/// minutes make one), two weeks of data make two weeks; a trailing part
/// week is left out.
fn weekly_metrics(series: &EpochSeries, worn: Option<&[bool]>) -> Vec<WeekDto> {
    let config = CircadianConfig {
        freq_seconds: 3600,
        threshold: 4.0,
    };
    let epoch = u64::from(series.epoch_seconds.max(1));
    let per_week = (7 * 86_400 / epoch) as usize;
    if per_week == 0 {
        return Vec::new();
    }
    (0..series.len() / per_week)
        .filter_map(|i| {
            let range = i * per_week..(i + 1) * per_week;
            let start = series.start + chrono::Duration::days(7 * i as i64);
            // The week in place: the same metrics as a copy of it would give.
            let metrics = Recording::part(series, range, worn)
                .ok()??
                .raw_metrics(&config);
            Some(WeekDto {
                from: start.date(),
                is: metrics.is,
                iv: metrics.iv,
                l5: metrics.l5,
                m10: metrics.m10,
                ra: metrics.ra,
            })
        })
        .collect()
}

/// Where a grid of real elapsed time lies: the instant of its first epoch
/// and the wearer's zone, so a position on it converts to the wall-clock
/// time the wearer's clock showed (which a daylight-saving change makes
/// jump by an hour).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    /// UTC seconds of the grid's first epoch.
    pub(crate) first_utc: i64,
    /// The wearer's zone.
    pub(crate) zone: Tz,
}

impl Timeline {
    /// The moment of `at`, a time on a real-time grid starting at `start`
    /// (whose naive times count elapsed seconds from the first epoch's
    /// wall-clock time).
    fn moment(&self, start: NaiveDateTime, at: NaiveDateTime) -> Option<DateTime<Tz>> {
        let utc = self.first_utc + (at - start).num_seconds();
        self.zone.timestamp_opt(utc, 0).single()
    }
}

/// The recording analysed, on the grids its parts need. Circadian metrics
/// (IS, IV, L5, M10) are defined on clock hours and take the wall-clock
/// grid, as pyActigraphy does; sleep scoring, nights, non-wear and
/// completeness measure durations and take real elapsed time. The two are
/// the same grid unless a daylight-saving change falls inside (always, for
/// a file, whose times carry no zone).
#[derive(Debug, Clone)]
pub(crate) struct Grids<'a> {
    /// One value per wall-clock epoch (see [`wall_clock_grid`]).
    pub(crate) wall: WallGrid,
    /// One value per epoch of real time and where it lies
    /// (see [`real_time_grid`]), or `None` when `wall` is also that.
    pub(crate) real: Option<(&'a ActivityRecording, Timeline)>,
}

/// [`analyze_recording`] of [`Grids`], also returning the wear mask
/// (`true` = worn, one per epoch of the wall-clock grid). Without
/// `require_sleep_scoring`, a recording Cole-Kripke cannot score (epochs
/// longer than a minute, as the 10-minute records of a Bangle.js) gets no
/// nights and a `cole_kripke` whose `settings` say why, instead of an error.
pub(crate) fn analyze_with_wear(
    grids: Grids<'_>,
    threshold: f64,
    require_sleep_scoring: bool,
) -> Result<(ActigraphyReport, Vec<bool>)> {
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(ApiError::invalid(format!(
            "threshold {threshold} must be a number of 0 or more"
        )));
    }
    let WallGrid { series, format } = grids.wall;
    // The real-time grid: the wall-clock one itself when they are the same
    // (no copy of a year's counts).
    let real_series;
    let (timed, timeline) = match grids.real {
        Some((real, timeline)) => {
            real_series = series_from(real.start, real.epoch_seconds, real.counts.clone())?;
            (&real_series, Some(timeline))
        }
        None => (&series, None),
    };
    // Local wall-clock time of a time on the real-time grid.
    let local = |at: NaiveDateTime| match timeline {
        Some(t) => t.moment(timed.start, at).map_or(at, |m| m.naive_local()),
        None => at,
    };
    let instant = |at: NaiveDateTime| {
        timeline.and_then(|t| t.moment(timed.start, at).map(|m| m.to_rfc3339()))
    };
    let config = CircadianConfig {
        freq_seconds: 3600,
        threshold,
    };
    let ck_options = ColeKripkeOptions {
        settings: ColeKripkeSettings::Mean,
        ..ColeKripkeOptions::default()
    };
    let (metrics, ck_result) = metrics_and_sleep_of(&series, timed, &config, &ck_options);

    let wear_rule = NonWearRule::for_epoch(timed.epoch_seconds);
    // `true` = worn, on real time; then on the wall-clock grid.
    let worn_timed = non_wear_mask(timed, &wear_rule);
    let worn = match timeline {
        Some(timeline) => wall_clock_mask(&series, timed, &worn_timed, timeline),
        None => worn_timed.clone(),
    };
    let worn_recording =
        Recording::with_wear_mask(&series, &worn).map_err(|e| ApiError::invalid(e.to_string()))?;
    let worn_only = worn_recording.metrics(&config);

    let (scores, cole_kripke_summary) = match ck_result {
        Ok(scores) => {
            let summary = ColeKripkeDto {
                settings: SCORED_SETTINGS.into(),
                sleep_minutes: scores.sleep_epochs() as u64 * u64::from(scores.epoch_seconds) / 60,
                first_sleep: scores
                    .sleep
                    .iter()
                    .position(|s| *s)
                    .map(|i| local(scores.time_of(i)).format(TIME).to_string()),
            };
            (Some(scores), summary)
        }
        Err(e) if !require_sleep_scoring => (
            None,
            ColeKripkeDto {
                settings: format!("unavailable: {e}"),
                sleep_minutes: 0,
                first_sleep: None,
            },
        ),
        Err(e) => return Err(ApiError::invalid(e.to_string())),
    };
    let first = timed.start;
    let end = timed.start
        + chrono::Duration::seconds(timed.len() as i64 * i64::from(timed.epoch_seconds));
    // The last epoch's start: a rest period reaching it runs past the data.
    let last = end - chrono::Duration::seconds(i64::from(timed.epoch_seconds));
    let mut nights_cut_by_period = 0;
    let nights = match &scores {
        Some(scores) => {
            let rest = rest_periods(timed, &RoennebergOptions::default());
            sleep_episodes(timed, &rest, scores, 1)
                .into_iter()
                .filter(|n| {
                    let whole = n.start > first && n.end < last;
                    nights_cut_by_period += usize::from(!whole);
                    whole
                })
                .map(|n| {
                    let start = local(n.start);
                    NightDto {
                        // As `SleepEpisode::night_of`, on the wall clock.
                        night_of: (start - chrono::Duration::hours(12)).date(),
                        start: start.format(TIME).to_string(),
                        end: local(n.end).format(TIME).to_string(),
                        start_instant: instant(n.start),
                        end_instant: instant(n.end),
                        time_in_bed_minutes: minutes(n.time_in_bed_seconds),
                        total_sleep_minutes: minutes(n.total_sleep_seconds),
                        sleep_onset_latency_minutes: minutes(n.sleep_onset_latency_seconds),
                        waso_minutes: minutes(n.waso_seconds),
                        sleep_efficiency: n.sleep_efficiency,
                        awakenings: n.awakenings,
                    }
                })
                .collect()
        }
        None => Vec::new(),
    };
    let completeness = match timeline {
        Some(timeline) => zoned_completeness(timed, &worn_timed, timeline),
        None => daily_completeness(timed, Some(&worn_timed))
            .map_err(|e| ApiError::invalid(e.to_string()))?
            .into_iter()
            .map(|d| CompletenessDto {
                date: d.date,
                recorded_epochs: d.recorded_epochs,
                worn_epochs: d.valid_epochs,
                epochs_per_day: d.epochs_per_day,
                fraction: d.fraction,
            })
            .collect(),
    };
    let weekly = weekly_metrics(&series, None);
    let weekly_worn_only = weekly_metrics(&series, Some(&worn));
    let epoch = u64::from(series.epoch_seconds);
    let report = ActigraphyReport {
        minutes: series.len() as u64 * epoch / 60,
        start: series.start.format(TIME).to_string(),
        epochs: series.len() as u64,
        raw: MetricsDto::new(&metrics.raw, None),
        binarized: MetricsDto::new(&metrics.binarized, Some(threshold)),
        cole_kripke: cole_kripke_summary,
        epoch_seconds: series.epoch_seconds,
        format: format.name().to_string(),
        non_wear_minutes: worn_timed.iter().filter(|w| !**w).count() as u64
            * u64::from(timed.epoch_seconds)
            / 60,
        raw_worn_only: MetricsDto::new(&worn_only.raw, None),
        nights,
        nights_cut_by_period,
        completeness,
        weekly,
        weekly_worn_only,
    };
    Ok((report, worn))
}

/// The wear mask of the real-time grid `timed` carried to the wall-clock
/// grid `wall` (`local`: the wall-clock time of a time on `timed`). A
/// wall-clock epoch that repeats (autumn) is worn when either of its real
/// epochs is; one that never existed (spring) holds no count and is not.
fn wall_clock_mask(
    wall: &EpochSeries,
    timed: &EpochSeries,
    worn: &[bool],
    timeline: Timeline,
) -> Vec<bool> {
    let epoch = i64::from(wall.epoch_seconds.max(1));
    let step = i64::from(timed.epoch_seconds);
    let wall_start = wall.start.and_utc().timestamp();
    let timed_start = timed.start.and_utc().timestamp();
    let offsets = phr_model::ZoneOffsets::new(timeline.zone);
    let mut mask = vec![false; wall.len()];
    for (i, worn) in worn.iter().enumerate() {
        // The wall-clock time of real epoch `i`, as seconds of the wall
        // clock (its own naive time where the zone has no such instant).
        let utc = timeline.first_utc + i as i64 * step;
        let local = match offsets.at(utc) {
            Some(offset) => utc + i64::from(offset),
            None => timed_start + i as i64 * step,
        };
        let offset = local - wall_start;
        if offset < 0 {
            continue;
        }
        if let Some(slot) = mask.get_mut((offset / epoch) as usize) {
            *slot |= *worn;
        }
    }
    mask
}

/// Completeness per local day of a real-time grid: a day has as many
/// epochs as it has real time (1,380 minutes the day clocks go forward,
/// 1,500 the day they go back).
fn zoned_completeness(
    timed: &EpochSeries,
    worn: &[bool],
    timeline: Timeline,
) -> Vec<CompletenessDto> {
    let epoch = i64::from(timed.epoch_seconds.max(1));
    let offsets = phr_model::ZoneOffsets::new(timeline.zone);
    let mut out: Vec<CompletenessDto> = Vec::new();
    // The local date, made only when the local day number changes.
    let mut day: Option<(i64, NaiveDate)> = None;
    for (i, count) in timed.counts.iter().enumerate() {
        let utc = timeline.first_utc + i as i64 * epoch;
        let Some(offset) = offsets.at(utc) else {
            continue;
        };
        let day_number = (utc + i64::from(offset)).div_euclid(86_400);
        let date = match day {
            Some((number, date)) if number == day_number => date,
            _ => {
                let Some(date) = chrono::DateTime::from_timestamp(day_number * 86_400, 0)
                    .map(|d| d.date_naive())
                else {
                    continue;
                };
                day = Some((day_number, date));
                date
            }
        };
        if out.last().map(|d| d.date) != Some(date) {
            let length = phr_model::local_midnight(date + chrono::Days::new(1), timeline.zone)
                - phr_model::local_midnight(date, timeline.zone);
            out.push(CompletenessDto {
                date,
                recorded_epochs: 0,
                worn_epochs: 0,
                epochs_per_day: usize::try_from(length / epoch).unwrap_or(0),
                fraction: 0.0,
            });
        }
        if let Some(day) = out.last_mut() {
            day.recorded_epochs += 1;
            if count.is_some() && worn.get(i).copied().unwrap_or(false) {
                day.worn_epochs += 1;
            }
        }
    }
    for day in &mut out {
        day.fraction = if day.epochs_per_day == 0 {
            0.0
        } else {
            day.worn_epochs as f64 / day.epochs_per_day as f64
        };
    }
    out
}

/// Lays stored epochs (sorted by instant) on the wearer's wall-clock grid
/// from their first to their last epoch. Daylight saving: wall-clock slots
/// skipped in spring stay gaps; the two epochs of each repeated autumn slot
/// are averaged, so the grid keeps one value per wall-clock epoch.
pub fn wall_clock_grid(epochs: &[ActivityEpoch]) -> Option<ActivityRecording> {
    grid_by(epochs, |e, first| {
        e.at.local_seconds() - first.at.local_seconds()
    })
}

/// Lays stored epochs (sorted by instant) on a grid of real elapsed time
/// from their first to their last epoch, with the [`Timeline`] that tells
/// each position's instant and wall-clock time in `zone`. The grid's naive
/// times count from the first epoch's wall-clock time.
pub(crate) fn real_time_grid(
    epochs: &[ActivityEpoch],
    zone: Tz,
) -> Option<(ActivityRecording, Timeline)> {
    let grid = grid_by(epochs, |e, first| e.at.utc - first.at.utc)?;
    let first_utc = epochs.first()?.at.utc;
    Some((grid, Timeline { first_utc, zone }))
}

/// Epochs on a grid by their offset in seconds from the first (`offset`);
/// several epochs in one slot are averaged.
fn grid_by(
    epochs: &[ActivityEpoch],
    offset: impl Fn(&ActivityEpoch, &ActivityEpoch) -> i64,
) -> Option<ActivityRecording> {
    let first = epochs.first()?;
    let epoch_seconds = first.epoch_seconds.max(1);
    let mut sums: Vec<(f64, u32)> = Vec::new();
    for e in epochs {
        let offset = offset(e, first);
        if offset < 0 {
            continue;
        }
        let slot = (offset / i64::from(epoch_seconds)) as usize;
        if slot >= sums.len() {
            sums.resize(slot + 1, (0.0, 0));
        }
        sums[slot].0 += f64::from(e.count);
        sums[slot].1 += 1;
    }
    let counts = sums
        .into_iter()
        .map(|(sum, n)| (n > 0).then(|| sum / f64::from(n)))
        .collect();
    Some(ActivityRecording::on_grid(
        phr_import::FileFormat::Csv,
        first.at.local(),
        epoch_seconds,
        counts,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use phr_analysis::WindowActivity;

    /// Minutes of a regular rhythm: active 08:00 to 22:00, still at night.
    fn days_of_minutes(days: usize) -> EpochSeries {
        let counts = (0..days * 1440)
            .map(|i| {
                let minute = i % 1440;
                Some(if (480..1320).contains(&minute) {
                    200.0 + (i % 7) as f64
                } else {
                    2.0
                })
            })
            .collect();
        let start = NaiveDateTime::parse_from_str("2026-03-02 00:00:00", "%Y-%m-%d %H:%M:%S")
            .expect("start");
        EpochSeries::new(start, 60, counts).expect("series")
    }

    #[test]
    fn nights_cut_by_the_period_are_left_out_and_counted() {
        // Midnight to midnight: the first night began before the data and
        // the last one runs past it; the two between are whole.
        let series = days_of_minutes(3);
        let recording = ActivityRecording {
            format: phr_import::FileFormat::Csv,
            subject: None,
            device_model: None,
            device_serial: None,
            start: series.start,
            epoch_seconds: 60,
            counts: series.counts.clone(),
            steps: None,
            light: None,
        };
        let report = analyze_recording(&recording, 4.0).expect("analysis");
        assert_eq!(report.nights.len(), 2, "{:#?}", report.nights);
        // The morning the data begins in is cut (the 2 h before the data
        // end are too short to be a rest period at all).
        assert_eq!(report.nights_cut_by_period, 1);
        assert!(
            report.nights.iter().all(|n| n.start.ends_with("22:00:00")),
            "{:#?}",
            report.nights
        );
        let nights: Vec<String> = report
            .nights
            .iter()
            .map(|n| n.night_of.to_string())
            .collect();
        assert_eq!(nights, vec!["2026-03-02", "2026-03-03"]);
    }

    #[test]
    fn two_weeks_of_data_make_two_weeks_of_trend() {
        for (days, weeks) in [(14, 2), (13, 1), (21, 3), (6, 0)] {
            let series = days_of_minutes(days);
            let weekly = weekly_metrics(&series, None);
            assert_eq!(weekly.len(), weeks, "{days} days");
            let worn = vec![true; series.len()];
            assert_eq!(weekly_metrics(&series, Some(&worn)), weekly, "{days} days");
        }
        let weekly = weekly_metrics(&days_of_minutes(14), None);
        assert_eq!(weekly[1].from.to_string(), "2026-03-09");
        assert!(
            weekly.iter().all(|w| w.is.is_some_and(|is| is > 0.9)),
            "{weekly:?}"
        );
    }

    /// The onsets print as `HH:MM:SS` of the window's start (the text `phr
    /// analyze --json` has always had) and read back as the same figures.
    #[test]
    fn onsets_print_as_clock_text_and_read_back() {
        for onset_seconds in 0..86_400u32 {
            let window = WindowActivity {
                onset_seconds,
                value: 1.5,
            };
            let metrics = CircadianMetrics {
                l5: Some(window.value),
                l5_onset: Some(window.onset()),
                ..CircadianMetrics::default()
            };
            let dto = MetricsDto::new(&metrics, None);
            let text = format!(
                "{:02}:{:02}:{:02}",
                onset_seconds / 3600,
                onset_seconds / 60 % 60,
                onset_seconds % 60
            );
            assert_eq!(dto.l5_onset.as_deref(), Some(text.as_str()));
            assert_eq!(dto.metrics(), metrics);
        }
    }

    #[test]
    fn metrics_keep_their_json_keys_and_order() {
        let metrics = CircadianMetrics {
            is: Some(0.5),
            iv: Some(1.25),
            l5: Some(2.0),
            m10: Some(300.5),
            ra: Some(0.75),
            l5_onset: NaiveTime::from_hms_opt(1, 30, 0),
            m10_onset: None,
        };
        let json = serde_json::to_string(&MetricsDto::new(&metrics, Some(4.0))).unwrap();
        assert_eq!(
            json,
            r#"{"threshold":4.0,"IS":0.5,"IV":1.25,"L5":2.0,"M10":300.5,"RA":0.75,"l5_onset":"01:30:00","m10_onset":null}"#
        );
        let raw =
            serde_json::to_string(&MetricsDto::new(&CircadianMetrics::default(), None)).unwrap();
        assert_eq!(
            raw,
            r#"{"IS":null,"IV":null,"L5":null,"M10":null,"RA":null,"l5_onset":null,"m10_onset":null}"#
        );
    }
}

#[cfg(test)]
pub(crate) mod daylight_saving {
    use crate::Phr;
    use chrono::{NaiveDate, NaiveTime, TimeZone};
    use std::fmt::Write;

    /// A Berlin vault holding `days` days of minutes from `first`: in bed
    /// 23:24 to 07:00 by the wall clock (a few counts a minute), active by
    /// day, written as a minute CSV of local times and imported.
    pub(crate) fn berlin(first: &str, days: u64) -> (tempfile::TempDir, Phr) {
        let dir = tempfile::tempdir().unwrap();
        let mut phr = Phr::init(
            &dir.path().join("v.phr"),
            "correct horse battery",
            "Anna",
            "Europe/Berlin",
        )
        .unwrap();
        let zone = chrono_tz::Europe::Berlin;
        let first: NaiveDate = first.parse().unwrap();
        let start = phr_model::local_midnight(first, zone);
        let end = phr_model::local_midnight(first + chrono::Days::new(days), zone);
        let (bed, up) = (
            NaiveTime::from_hms_opt(23, 24, 0).unwrap(),
            NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        );
        let mut csv = String::from("timestamp,count\n");
        for (i, utc) in (start..end).step_by(60).enumerate() {
            let local = zone.timestamp_opt(utc, 0).unwrap().naive_local();
            let in_bed = local.time() >= bed || local.time() < up;
            let count = if in_bed { 1 + i % 3 } else { 150 + i % 13 };
            writeln!(csv, "{},{count}", local.format("%Y-%m-%d %H:%M:%S")).unwrap();
        }
        let path = dir.path().join("berlin.csv");
        std::fs::write(&path, csv).unwrap();
        phr.import_file(&path, None, None, |_| {}).unwrap();
        (dir, phr)
    }

    /// Minutes between a night's start and end instants.
    fn elapsed(night: &super::NightDto) -> f64 {
        let at = |t: &Option<String>| {
            chrono::DateTime::parse_from_rfc3339(t.as_deref().unwrap())
                .unwrap()
                .timestamp()
        };
        (at(&night.end_instant) - at(&night.start_instant)) as f64 / 60.0
    }

    fn night<'a>(report: &'a super::ActigraphyReport, of: &str) -> &'a super::NightDto {
        let of: NaiveDate = of.parse().unwrap();
        report
            .nights
            .iter()
            .find(|n| n.night_of == of)
            .unwrap_or_else(|| panic!("no night of {of}: {:#?}", report.nights))
    }

    #[test]
    fn the_night_clocks_go_forward_is_an_hour_shorter_in_real_time() {
        let (_dir, phr) = berlin("2026-03-22", 14);
        let (from, to) = ("2026-03-22".parse().unwrap(), "2026-04-04".parse().unwrap());
        let report = phr.analyze(None, from, to, 4.0).unwrap();
        let short = night(&report, "2026-03-28");
        let before = night(&report, "2026-03-27");
        assert_eq!(short.start, "2026-03-28T23:24:00");
        assert_eq!(short.end, "2026-03-29T07:00:00");
        assert_eq!(short.time_in_bed_minutes, 396.0, "{short:#?}");
        assert_eq!(before.time_in_bed_minutes, 456.0, "{before:#?}");
        assert!(short.total_sleep_minutes <= short.time_in_bed_minutes);
        for n in &report.nights {
            assert_eq!(n.time_in_bed_minutes, elapsed(n), "{n:#?}");
        }
        let day = |d: &str| {
            let d: NaiveDate = d.parse().unwrap();
            report.completeness.iter().find(|c| c.date == d).unwrap()
        };
        assert_eq!(day("2026-03-29").epochs_per_day, 1380);
        assert_eq!(day("2026-03-29").recorded_epochs, 1380);
        assert_eq!(day("2026-03-29").fraction, 1.0);
        assert_eq!(day("2026-03-30").epochs_per_day, 1440);
    }

    #[test]
    fn where_two_devices_overlap_the_first_ones_epochs_are_analysed() {
        let (dir, mut phr) = berlin("2026-03-22", 14);
        let (from, to) = ("2026-03-22".parse().unwrap(), "2026-04-04".parse().unwrap());
        let alone = phr.analyze(None, from, to, 4.0).unwrap();
        // A second device over the middle week, moving all night.
        let mut csv = String::from("timestamp,count\n");
        let zone = chrono_tz::Europe::Berlin;
        let start = phr_model::local_midnight("2026-03-25".parse().unwrap(), zone);
        for (i, utc) in (start..start + 7 * 86_400).step_by(60).enumerate() {
            let local = zone.timestamp_opt(utc, 0).unwrap().naive_local();
            writeln!(csv, "{},{}", local.format("%Y-%m-%d %H:%M:%S"), 400 + i % 7).unwrap();
        }
        let path = dir.path().join("second.csv");
        std::fs::write(&path, csv).unwrap();
        let imported = phr
            .import_file(&path, None, Some("second"), |_| {})
            .unwrap();
        assert_ne!(imported.device, 0);
        assert_eq!(imported.added, 7 * 1440);
        let both = phr.analyze(None, from, to, 4.0).unwrap();
        assert_eq!(
            serde_json::to_value(&both).unwrap(),
            serde_json::to_value(&alone).unwrap()
        );
    }

    #[test]
    fn the_night_clocks_go_back_is_an_hour_longer_in_real_time() {
        let (_dir, phr) = berlin("2026-10-18", 14);
        let (from, to) = ("2026-10-18".parse().unwrap(), "2026-10-31".parse().unwrap());
        let report = phr.analyze(None, from, to, 4.0).unwrap();
        let long = night(&report, "2026-10-24");
        assert_eq!(long.start, "2026-10-24T23:24:00");
        assert_eq!(long.end, "2026-10-25T07:00:00");
        assert_eq!(long.time_in_bed_minutes, 516.0, "{long:#?}");
        assert_eq!(night(&report, "2026-10-25").time_in_bed_minutes, 456.0);
        for n in &report.nights {
            assert_eq!(n.time_in_bed_minutes, elapsed(n), "{n:#?}");
        }
        let day = report
            .completeness
            .iter()
            .find(|c| c.date.to_string() == "2026-10-25")
            .unwrap();
        assert_eq!((day.epochs_per_day, day.fraction), (1500, 1.0));
    }
}
