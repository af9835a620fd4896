//! `phr import FILE`: a device file, a minute CSV or another app's export,
//! all or nothing, with a progress bar over the file's bytes.

use crate::output::{bar, print_json};
use crate::Context;
use std::path::Path;

/// Imports `file` for `person` under the source `device`.
pub fn run(
    cx: &Context,
    file: &Path,
    person: Option<&str>,
    device: Option<&str>,
) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let bar = bar("{msg} {bar:30} {bytes}/{total_bytes} {eta}");
    bar.set_message(format!("importing {}", file.display()));
    let result = phr.import_file(file, person, device, |p| {
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.done);
    });
    bar.finish_and_clear();
    let summary = result?;
    if cx.json {
        return print_json(&summary);
    }
    if summary.is_from_export() {
        print_export(&summary);
        return Ok(());
    }
    println!(
        "Imported {} ({}): {} epochs ({} to {}), {} new, {} replaced, {} already stored{}.",
        summary.file,
        summary.format,
        summary.rows,
        summary.first,
        summary.last,
        summary.added,
        summary.replaced,
        summary.unchanged,
        if summary.missing > 0 {
            format!(
                ", {} listed without a count (kept as gaps)",
                summary.missing
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Several sources or kinds: one line per kind and the sources.
fn print_export(summary: &phr_api::ImportSummary) {
    println!(
        "Imported {} ({}): {} samples from {} to {}.",
        summary.file, summary.format, summary.rows, summary.first, summary.last
    );
    for kind in &summary.kinds {
        println!(
            "  {:<10} {} new, {} replaced, {} already stored",
            kind.kind.name(),
            kind.added,
            kind.replaced,
            kind.unchanged
        );
    }
    let sources: Vec<String> = summary
        .sources
        .iter()
        .map(|s| format!("{} ({} samples)", s.label, s.samples))
        .collect();
    println!("  sources: {}", sources.join(", "));
    if !summary.skipped.is_empty() {
        let skipped: Vec<String> = summary
            .skipped
            .iter()
            .map(|s| format!("{} ({})", s.record, s.count))
            .collect();
        println!(
            "  not imported (no place for them yet): {}",
            skipped.join(", ")
        );
    }
}
