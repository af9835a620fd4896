//! `phr report`: the clinician's summary of a period as PDF or HTML.

use crate::args::{LangArg, ReportFormatArg};
use crate::output::print_json;
use crate::Context;
use phr_api::ReportFormat;
use std::path::Path;

/// Writes the report of `person`'s local days `from..=to` to `out`, as
/// `format` or what the file name asks for.
pub fn run(
    cx: &Context,
    person: Option<&str>,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    lang: LangArg,
    out: &Path,
    format: Option<ReportFormatArg>,
) -> anyhow::Result<()> {
    let format = match format {
        Some(ReportFormatArg::Html) => ReportFormat::Html,
        Some(ReportFormatArg::Pdf) => ReportFormat::Pdf,
        None => ReportFormat::for_file(out),
    };
    let mut phr = cx.open()?;
    let report = phr.report_to_file(
        person,
        from,
        to,
        lang.into(),
        format,
        chrono::Utc::now().timestamp(),
        out,
    )?;
    if cx.json {
        let mut value = serde_json::to_value(&report)?;
        value["out"] = serde_json::json!(out.display().to_string());
        value["bytes"] = serde_json::json!(report.bytes.len());
        return print_json(&value);
    }
    println!(
        "Wrote {} ({} {}, {} to {}, {} nights, {} alerts, {} bytes).",
        out.display(),
        report.format.name(),
        report.lang,
        report.from,
        report.to,
        report.nights,
        report.alerts,
        report.bytes.len()
    );
    Ok(())
}
