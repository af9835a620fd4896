//! Pure actigraphy analysis for the personal health record: sleep/wake
//! scoring, rest-period detection, nonparametric circadian rhythm metrics
//! (IS, IV, L5, M10, RA), non-wear detection and step-counter accumulation.
//!
//! # Design
//!
//! * **Pure**: no I/O, no clock, no global state. Every function maps an
//!   in-memory [`EpochSeries`] (local naive wall-clock start, epoch length,
//!   `Vec<Option<f64>>` counts) to plain values, so the vault and the file
//!   importers can feed it and tests can pin it.
//! * **Missing is not zero**: gaps are `None` and are carried through; each
//!   function documents what it does with them.
//! * **Reference parity over textbook purity**: the numbers follow the
//!   *source code* of pyActigraphy 1.2.2 (the research community's reference),
//!   including its conventions where they differ from the original papers
//!   (sample variances, pandas resampling bins, Cole-Kripke weights, Sadeh's
//!   shifted log-activity, ...). Those differences are listed in
//!   `docs/analysis.md` and checked by differential tests against fixtures
//!   generated with pyActigraphy itself.
//! * **Linear time**: every metric is O(n) in the number of epochs (L5/M10 via
//!   prefix sums on the daily profile), so a year of 1-minute epochs is
//!   analysed in milliseconds.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod circadian;
pub mod nonwear;
pub mod rest;
pub mod scoring;
pub mod series;
pub mod steps;

pub use circadian::{
    period_ranges, CircadianConfig, CountScale, IsIvOptions, MetricsByScale, Recording,
    WindowActivity,
};
pub use nonwear::{
    daily_completeness, inactivity_mask, non_wear_mask, DayCompleteness, NonWearRule,
};
pub use rest::{
    rest_periods, roenneberg, sleep_episodes, RestDetection, RestPeriod, RoennebergOptions,
    SleepEpisode,
};
pub use scoring::{
    actiware_automatic_threshold, cole_kripke, oakley, sadeh, scripps, webster_rescore,
    ColeKripkeOptions, ColeKripkeSettings, OakleyThreshold, SadehOptions, SleepScores,
};
pub use series::{AnalysisError, EpochSeries, SECONDS_PER_DAY};
pub use steps::{
    daily_step_totals, step_increments, DailySteps, StepCounterOptions, StepIncrement, StepSample,
};

/// The circadian metric set and Cole-Kripke scores of one series, the two
/// computed side by side on two threads when the series is long enough for
/// that to pay (a month or more of minute epochs); the results are exactly
/// those of [`Recording::metrics`] and [`cole_kripke`] called one after the
/// other.
pub fn metrics_and_sleep(
    series: &EpochSeries,
    config: &CircadianConfig,
    sleep: &ColeKripkeOptions,
) -> (MetricsByScale, Result<SleepScores, AnalysisError>) {
    metrics_and_sleep_of(series, series, config, sleep)
}

/// [`metrics_and_sleep`] with the metrics of `rhythm` and the scores of
/// `sleep_series`: the same recording laid on two grids, such as the
/// wall-clock grid a circadian profile needs and the grid of real elapsed
/// time that sleep durations need across a daylight-saving change.
pub fn metrics_and_sleep_of(
    rhythm: &EpochSeries,
    sleep_series: &EpochSeries,
    config: &CircadianConfig,
    sleep: &ColeKripkeOptions,
) -> (MetricsByScale, Result<SleepScores, AnalysisError>) {
    /// Below this many epochs a thread costs more than it saves.
    const PARALLEL_FROM: usize = 30 * 1440;
    // On one core (a process pinned to it, a small phone) a second thread
    // only adds its start and its own allocator heap.
    let one_core = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    if one_core || rhythm.len().max(sleep_series.len()) < PARALLEL_FROM {
        return (
            Recording::new(rhythm).metrics(config),
            cole_kripke(sleep_series, sleep),
        );
    }
    std::thread::scope(|scope| {
        let scores = scope.spawn(|| cole_kripke(sleep_series, sleep));
        let metrics = Recording::new(rhythm).metrics(config);
        let scores = scores
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (metrics, scores)
    })
}
