//! `phr analyze` (stored data over local days, or a file with `analyze
//! actigraphy --input FILE`) and `phr days`.

use crate::args::AnalyzeArgs;
use crate::output::{fmt_metric, print_json};
use crate::Context;
use phr_api::DaySummary;
use std::path::Path;

/// `phr analyze actigraphy --input FILE`: no vault needed.
pub fn file(input: &Path, threshold: f64, json: bool) -> anyhow::Result<()> {
    let report = phr_api::analyze_file(input, threshold)?;
    if json {
        print_json(&report)
    } else {
        print_report(&report, &input.display().to_string());
        Ok(())
    }
}

/// `phr analyze`: stored data from `--from` to `--to` (by default the
/// person's latest 14 days of data: [`phr_api::Phr::analysis_period`]).
pub fn run(cx: &Context, args: &AnalyzeArgs) -> anyhow::Result<()> {
    let phr = cx.open()?;
    let person = args.person.person.as_deref();
    let today = chrono::Local::now().date_naive();
    let (from, to) = phr.analysis_period(person, args.from, args.to, today)?;
    let report = phr.analyze(person, from, to, args.threshold)?;
    if cx.json {
        print_json(&report)?;
    } else {
        print_report(&report, &format!("{from} to {to}"));
    }
    Ok(())
}

/// `phr days`: one line per local day.
pub fn days(cx: &Context, person: Option<&str>) -> anyhow::Result<()> {
    let phr = cx.open()?;
    let days = phr.days(person)?;
    if cx.json {
        print_json(&days)?;
    } else {
        print_days(&days);
    }
    Ok(())
}

fn print_report(report: &phr_api::ActigraphyReport, what: &str) {
    println!(
        "Actigraphy, {what}: {} minutes from {} ({}-second epochs, {})",
        report.minutes, report.start, report.epoch_seconds, report.format
    );
    println!("                 IS      IV      RA      L5 (onset)          M10 (onset)");
    for (name, m) in [
        ("raw", &report.raw),
        ("binarized", &report.binarized),
        ("raw, worn only", &report.raw_worn_only),
    ] {
        let l5 = format!(
            "{} ({})",
            fmt_metric(m.l5, 2),
            m.l5_onset.as_deref().unwrap_or("-")
        );
        let m10 = format!(
            "{} ({})",
            fmt_metric(m.m10, 2),
            m.m10_onset.as_deref().unwrap_or("-")
        );
        println!(
            "  {name:<14} {:<7} {:<7} {:<7} {l5:<19} {m10}",
            fmt_metric(m.is, 3),
            fmt_metric(m.iv, 3),
            fmt_metric(m.ra, 3),
        );
    }
    println!(
        "  Cole-Kripke ({}): {} minutes of sleep, first at {}; non-wear {} minutes",
        report.cole_kripke.settings,
        report.cole_kripke.sleep_minutes,
        report.cole_kripke.first_sleep.as_deref().unwrap_or("-"),
        report.non_wear_minutes
    );
    if !report.nights.is_empty() {
        println!(
            "\n  night of    in bed            out of bed        TST min  SOL  WASO  eff   awak"
        );
        for n in &report.nights {
            println!(
                "  {}  {}  {}  {:>7.0}  {:>3.0}  {:>4.0}  {:>4.2}  {:>4}",
                n.night_of,
                n.start,
                n.end,
                n.total_sleep_minutes,
                n.sleep_onset_latency_minutes,
                n.waso_minutes,
                n.sleep_efficiency,
                n.awakenings
            );
        }
    }
}

/// The table of `phr days` (also after `phr demo`).
pub fn print_days(days: &[DaySummary]) {
    if days.is_empty() {
        println!("No data yet. Import a file with `phr import FILE` or try `phr demo`.");
        return;
    }
    println!(
        "{:<10}  {:>7}  {:>10}  {:>8}  {:>8}",
        "date", "samples", "counts", "steps", "complete"
    );
    for day in days {
        println!(
            "{:<10}  {:>7}  {:>10}  {:>8}  {:>7.1}%",
            day.date.to_string(),
            day.samples,
            day.total_counts,
            day.steps.map_or("-".to_string(), |s| s.to_string()),
            day.completeness * 100.0
        );
    }
}
