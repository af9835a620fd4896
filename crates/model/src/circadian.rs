//! The nonparametric circadian rhythm metrics, as one set of figures that
//! the analysis computes and the report, the FHIR mapping and the façade
//! pass on.

use chrono::NaiveTime;

/// Nonparametric circadian rhythm metrics of one count scale (raw or
/// binarized counts) over a span of days, with pyActigraphy's definitions
/// (IS and IV on hourly bins by default; L5 and M10 on the average day).
/// `None` where the data do not allow a figure (too short, no variance,
/// all missing).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CircadianMetrics {
    /// Interdaily stability, 0 to 1: how alike the days are.
    pub is: Option<f64>,
    /// Intradaily variability, 0 to about 2: how fragmented activity is
    /// within a day.
    pub iv: Option<f64>,
    /// Mean activity per epoch of the least active 5 hours of the average
    /// day.
    pub l5: Option<f64>,
    /// Mean activity per epoch of the most active 10 hours of the average
    /// day.
    pub m10: Option<f64>,
    /// Relative amplitude (M10 - L5) / (M10 + L5), 0 to 1.
    pub ra: Option<f64>,
    /// Clock time the L5 window starts on the average day (present exactly
    /// when `l5` is, wherever the analysis computed both).
    pub l5_onset: Option<NaiveTime>,
    /// Clock time the M10 window starts on the average day.
    pub m10_onset: Option<NaiveTime>,
}
