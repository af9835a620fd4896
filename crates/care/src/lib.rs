//! Caregiver alerts for people living with dementia, computed from each
//! person's own wearable activity: night-time activity (wandering), long
//! daytime stillness while worn, the device not worn (or not synced), and a
//! weakening daily rhythm, each with a severity, local start and end times
//! and a plain-language explanation in English and Japanese.
//!
//! Key design choice: **every rule compares a person with their own recent
//! past**, not with a population norm. A day is first reduced to small,
//! serializable [`DayFeatures`] ([`daily_features`]); the rules
//! ([`evaluate`], [`evaluate_history`]) then compare today with the previous
//! 14 days using robust statistics (median and MAD), with absolute floors so
//! that a quiet person's tiny changes never alarm. Alert ids hash person,
//! kind and start ([`alert_id`]), so evaluating again — or day by day as
//! data arrive — never duplicates an alert.
//!
//! The crate is pure: no I/O, no clock (the caller passes "now" where it
//! matters, see [`not_synced`]). [`evaluate_synthetic`] measures false-alarm
//! and detection rates on phr-synth lifelogs; the figures are in
//! `docs/care.md`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod evaluation;
mod features;
mod injection;
mod rules;
mod text;

pub use evaluation::{evaluate_synthetic, EvaluationPlan, EvaluationReport, KindCounts};
pub use features::{daily_features, DayFeatures, FeatureSettings, NightFeatures, Recordings, Span};
pub use injection::{
    evaluate_recordings, FalseAlarm, InjectedBout, InjectionPlan, RealEvaluationReport,
    RealRecording, RecordingFigures,
};
pub use rules::{
    alert_id, evaluate, evaluate_days, evaluate_history, median_mad, not_synced, weekly_rhythm,
    Alert, AlertKind, AlertSettings, Explanation, Rhythm, Severity,
};
pub use text::weekly_digest;
