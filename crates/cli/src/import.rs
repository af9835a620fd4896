//! `phr import FILE`: a minute CSV, Actiwatch .AWD or ActiGraph .agd, all
//! or nothing, with a progress bar over the file's bytes.

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
