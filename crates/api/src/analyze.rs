//! Actigraphy analysis as front ends show it: the circadian metric set,
//! Cole-Kripke, nightly sleep episodes and completeness, from a file or from
//! the vault.

use crate::{ApiError, Result};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use phr_analysis::{
    daily_completeness, metrics_and_sleep, non_wear_mask, roenneberg, sleep_episodes,
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
    /// Time in bed, minutes.
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
    Ok(analyze_with_wear(recording, threshold, true)?.0)
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
            let week = EpochSeries::new(
                start,
                series.epoch_seconds,
                series.counts[range.clone()].to_vec(),
            )
            .ok()?;
            let metrics = match worn {
                Some(worn) => Recording::with_wear_mask(&week, &worn[range])
                    .ok()?
                    .metrics(&config),
                None => Recording::new(&week).metrics(&config),
            }
            .raw;
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

/// [`analyze_recording`], also returning the wear mask (`true` = worn, one
/// per epoch of the recording's grid). Without `require_sleep_scoring`, a
/// recording Cole-Kripke cannot score (epochs longer than a minute, as the
/// 10-minute records of a Bangle.js) gets no nights and a `cole_kripke`
/// whose `settings` say why, instead of an error.
pub(crate) fn analyze_with_wear(
    recording: &ActivityRecording,
    threshold: f64,
    require_sleep_scoring: bool,
) -> Result<(ActigraphyReport, Vec<bool>)> {
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(ApiError::invalid(format!(
            "threshold {threshold} must be a number of 0 or more"
        )));
    }
    let series = EpochSeries::new(
        recording.start,
        recording.epoch_seconds,
        recording.counts.clone(),
    )
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    let config = CircadianConfig {
        freq_seconds: 3600,
        threshold,
    };
    let ck_options = ColeKripkeOptions {
        settings: ColeKripkeSettings::Mean,
        ..ColeKripkeOptions::default()
    };
    let (metrics, ck_result) = metrics_and_sleep(&series, &config, &ck_options);

    let wear_rule = NonWearRule::for_epoch(series.epoch_seconds);
    // `true` = worn.
    let worn = non_wear_mask(&series, &wear_rule);
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
                    .map(|i| scores.time_of(i).format(TIME).to_string()),
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
    let first = series.start;
    let end = series.start
        + chrono::Duration::seconds(series.len() as i64 * i64::from(series.epoch_seconds));
    // The last epoch's start: a rest period reaching it runs past the data.
    let last = end - chrono::Duration::seconds(i64::from(series.epoch_seconds));
    let mut nights_cut_by_period = 0;
    let nights = match &scores {
        Some(scores) => {
            let rest = roenneberg(&series, &RoennebergOptions::default());
            sleep_episodes(&series, &rest.periods, scores, 1)
                .into_iter()
                .filter(|n| {
                    let whole = n.start > first && n.end < last;
                    nights_cut_by_period += usize::from(!whole);
                    whole
                })
                .map(|n| NightDto {
                    night_of: n.night_of,
                    start: n.start.format(TIME).to_string(),
                    end: n.end.format(TIME).to_string(),
                    time_in_bed_minutes: minutes(n.time_in_bed_seconds),
                    total_sleep_minutes: minutes(n.total_sleep_seconds),
                    sleep_onset_latency_minutes: minutes(n.sleep_onset_latency_seconds),
                    waso_minutes: minutes(n.waso_seconds),
                    sleep_efficiency: n.sleep_efficiency,
                    awakenings: n.awakenings,
                })
                .collect()
        }
        None => Vec::new(),
    };
    let completeness = daily_completeness(&series, Some(&worn))
        .map_err(|e| ApiError::invalid(e.to_string()))?
        .into_iter()
        .map(|d| CompletenessDto {
            date: d.date,
            recorded_epochs: d.recorded_epochs,
            worn_epochs: d.valid_epochs,
            epochs_per_day: d.epochs_per_day,
            fraction: d.fraction,
        })
        .collect();
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
        format: recording.format.name().to_string(),
        non_wear_minutes: worn.iter().filter(|w| !**w).count() as u64 * epoch / 60,
        raw_worn_only: MetricsDto::new(&worn_only.raw, None),
        nights,
        nights_cut_by_period,
        completeness,
        weekly,
        weekly_worn_only,
    };
    Ok((report, worn))
}

/// Lays stored epochs (sorted by instant) on the wearer's wall-clock grid
/// from their first to their last epoch. Daylight saving: wall-clock slots
/// skipped in spring stay gaps; the two epochs of each repeated autumn slot
/// are averaged, so the grid keeps one value per wall-clock epoch.
pub fn wall_clock_grid(epochs: &[ActivityEpoch]) -> Option<ActivityRecording> {
    let first = epochs.first()?;
    let epoch_seconds = first.epoch_seconds.max(1);
    let start: NaiveDateTime = first.at.local();
    let mut sums: Vec<(f64, u32)> = Vec::new();
    for e in epochs {
        let offset = (e.at.local() - start).num_seconds();
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
        start,
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
