//! What every command prints with: JSON, numbers and times as text, and
//! progress bars on standard error.

use std::io::Write;

/// Prints `value` as pretty JSON on standard output.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints `value` as pretty JSON with every object's keys in alphabetical
/// order, as the commands that shape their JSON as a map always have.
pub fn print_sorted_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    print_json(&serde_json::to_value(value)?)
}

/// A metric with `digits` decimals, or `n/a`.
pub fn fmt_metric(value: Option<f64>, digits: usize) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.digits$}"))
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SSZ` (empty if out of range).
pub fn utc_time(at_utc: i64) -> String {
    chrono::DateTime::from_timestamp(at_utc, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// ` (FIRST to LAST)` for the days a sync covered, or nothing.
pub fn day_range(days: Option<(chrono::NaiveDate, chrono::NaiveDate)>) -> String {
    days.map(|(a, b)| format!(" ({a} to {b})"))
        .unwrap_or_default()
}

/// A progress bar drawn with `template` (indicatif's syntax).
pub fn bar(template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// A spinner showing `message`.
pub fn spinner(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message);
    bar
}
