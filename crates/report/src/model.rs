//! What a report is made from: plain data, already computed by the caller
//! (the façade reads the vault and runs the analysis). Times are local
//! wall-clock times of the person.

use chrono::{NaiveDate, NaiveDateTime};
use phr_model::{CircadianMetrics, Lang};

/// Minute activity counts of one local day (`None`: not recorded or not
/// worn). Days shorter or longer than 1,440 minutes (DST) are allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct DayActivity {
    /// The local day.
    pub date: NaiveDate,
    /// One count per minute from local midnight.
    pub minutes: Vec<Option<f64>>,
    /// Wall-clock minutes from local midnight that did not exist that day
    /// (the hour skipped when clocks go forward, e.g. `120..180` for
    /// 02:00–02:59); an empty range (`0..0`) on other days. These minutes
    /// are neither activity nor missing data: the actogram draws them as a
    /// "clock changed" strip and completeness does not count them.
    pub skipped: std::ops::Range<usize>,
}

/// One night (a rest period scored for sleep).
#[derive(Debug, Clone, PartialEq)]
pub struct Night {
    /// The evening's date.
    pub night_of: NaiveDate,
    /// Bed time (start of the rest period).
    pub bed: NaiveDateTime,
    /// Sleep onset (bed time + sleep onset latency).
    pub onset: NaiveDateTime,
    /// Wake (end of the rest period).
    pub wake: NaiveDateTime,
    /// Total sleep time, minutes.
    pub total_sleep_minutes: f64,
    /// Sleep efficiency, 0 to 1.
    pub efficiency: f64,
    /// Wake after sleep onset, minutes.
    pub waso_minutes: f64,
    /// Wake bouts after sleep onset.
    pub awakenings: u32,
}

/// The metrics of one 7-day period, for the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct Week {
    /// First day of the period.
    pub from: NaiveDate,
    /// The metrics.
    pub metrics: CircadianMetrics,
    /// Share of the period's minutes that were worn, 0 to 1.
    pub worn_fraction: f64,
}

/// An alert raised in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertItem {
    /// `night_activity`, `inactivity`, `not_worn` or `rhythm_decline`.
    pub kind: String,
    /// `info`, `warning` or `urgent`.
    pub severity: String,
    /// Local start.
    pub start: NaiveDateTime,
    /// Local end.
    pub end: NaiveDateTime,
    /// Why it fired, in the report's language.
    pub explanation: String,
    /// The caregiver's note, if acknowledged.
    pub acknowledged_note: Option<String>,
}

/// A data source.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Name shown to people.
    pub label: String,
    /// Model, if known.
    pub model: Option<String>,
    /// Serial number, if known.
    pub serial: Option<String>,
    /// Firmware version, if known.
    pub firmware: Option<String>,
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    /// Language of the report.
    pub lang: Lang,
    /// The person's name as the vault holds it.
    pub person_name: String,
    /// The person's IANA time zone (times are local to it).
    pub time_zone: String,
    /// First local day of the period.
    pub from: NaiveDate,
    /// Last local day of the period (inclusive).
    pub to: NaiveDate,
    /// When the report was made, local time.
    pub generated: NaiveDateTime,
    /// Name and version of the software that made it.
    pub software: String,
    /// Minute counts per local day, `from..=to`, in order.
    pub days: Vec<DayActivity>,
    /// Step totals per local day (`None`: no step data that day).
    pub steps: Vec<(NaiveDate, Option<u64>)>,
    /// Nights in the period, in order.
    pub nights: Vec<Night>,
    /// Metrics over the whole period (raw counts, non-wear masked).
    pub circadian: CircadianMetrics,
    /// Metrics per consecutive 7-day period.
    pub weekly: Vec<Week>,
    /// Share of each day's minutes that were worn, 0 to 1.
    pub worn: Vec<(NaiveDate, f64)>,
    /// Alerts in the period.
    pub alerts: Vec<AlertItem>,
    /// Where the data came from.
    pub sources: Vec<Source>,
    /// Analysis settings, one `(name, value)` per line, already in the
    /// report's language.
    pub settings: Vec<(String, String)>,
}
