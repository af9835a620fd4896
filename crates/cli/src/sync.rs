//! `phr sync`: paired wearables over Bluetooth LE, or `--simulated` the
//! built-in simulated Bangle.js, with a spinner saying how far it got.

use crate::output::{day_range, print_json, spinner};
use crate::Context;
use std::time::Instant;

/// Syncs the paired wearables of `person` (or only `device`).
pub fn bluetooth(
    cx: &Context,
    person: Option<&str>,
    device: Option<&str>,
    scan_seconds: u64,
) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let bar = spinner("scanning for paired wearables");
    let mut current: Option<(String, Instant)> = None;
    let results = phr.sync_bluetooth_with_progress(person, device, scan_seconds, |address, p| {
        if current.as_ref().is_none_or(|(a, _)| a != address) {
            current = Some((address.to_string(), Instant::now()));
        }
        let started = current.as_ref().map_or_else(Instant::now, |c| c.1);
        bar.set_message(sync_message(address, p, started));
        bar.tick();
    });
    bar.finish_and_clear();
    let results = results?;
    if cx.json {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|(address, r)| match r {
                Ok(summary) => {
                    serde_json::json!({"address": address, "ok": true, "sync": summary})
                }
                Err(e) => serde_json::json!({"address": address, "ok": false, "error": e}),
            })
            .collect();
        print_json(&rows)?;
    } else {
        for (address, result) in &results {
            match result {
                Ok(s) => println!(
                    "{address} {}: {} new samples, {} already stored{}{}.",
                    s.label,
                    s.added,
                    s.unchanged,
                    day_range(s.days),
                    sync_note(s)
                ),
                Err(e) => println!("{address}: failed: {e}"),
            }
        }
    }
    match phr_api::sync_failure(&results) {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}

/// Syncs the simulated Bangle.js holding `days` days before today.
pub fn simulated(cx: &Context, person: Option<&str>, days: u32, seed: u64) -> anyhow::Result<()> {
    crate::demo::check_days(days)?;
    let mut phr = cx.open()?;
    let bar = spinner("syncing the simulated Bangle.js");
    let started = Instant::now();
    let today = chrono::Local::now().date_naive();
    let summary = phr.sync_simulated(
        person,
        today,
        days,
        seed,
        phr_api::LinkFaults::default(),
        |p| {
            bar.set_message(sync_message("the simulated Bangle.js", p, started));
            bar.tick();
        },
    );
    bar.finish_and_clear();
    let summary = summary?;
    if cx.json {
        return print_json(&summary);
    }
    println!(
        "Synced {}{}: {} new samples, {} already stored{}.",
        summary.label,
        day_range(summary.days),
        summary.added,
        summary.unchanged,
        sync_note(&summary)
    );
    Ok(())
}

/// The progress line of a sync: records so far and, once the total is
/// known (after a checkpoint), about how long is left.
fn sync_message(what: &str, p: phr_api::Progress, started: Instant) -> String {
    match p.total {
        Some(total) if p.done > 0 => {
            let elapsed = started.elapsed().as_secs_f64();
            let left = elapsed * (total.saturating_sub(p.done)) as f64 / p.done as f64;
            format!(
                "syncing {what}: {} of about {total} records, about {left:.0} s left",
                p.done
            )
        }
        _ => format!("syncing {what}: {} records", p.done),
    }
}

/// The end of a sync's one-line result: the watch's clock offset and
/// battery, where known (`; watch clock +1.2 s; battery 80 %`).
fn sync_note(summary: &phr_api::SyncSummary) -> String {
    let clock = summary
        .clock_offset_seconds
        .map_or(String::new(), |s| format!("; watch clock {s:+.1} s"));
    let battery = summary
        .battery_percent
        .map_or(String::new(), |b| format!("; battery {b} %"));
    clock + &battery
}
