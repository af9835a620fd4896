//! `phr export csv` and `phr export fhir`.

use crate::args::{ExportFormat, SelectionArgs};
use crate::output::print_json;
use crate::Context;
use anyhow::Context as _;
use phr_api::CsvKind;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs an `export` command.
pub fn run(cx: &Context, format: ExportFormat) -> anyhow::Result<()> {
    match format {
        ExportFormat::Csv { kind, person, out } => {
            csv(cx, &kind, person.person.as_deref(), out.as_deref())
        }
        ExportFormat::Fhir {
            out,
            ndjson,
            pseudonymise,
            recipient,
            selection,
        } => fhir(
            cx,
            out,
            ndjson,
            pseudonymise.then_some(recipient.as_str()),
            &selection,
        ),
    }
}

/// One sample kind as CSV, to `out` or standard output.
fn csv(cx: &Context, kind: &str, person: Option<&str>, out: Option<&Path>) -> anyhow::Result<()> {
    let kind = CsvKind::from_name(kind).with_context(|| {
        format!("unknown kind {kind:?}: use activity, steps, heart_rate or sleep")
    })?;
    let mut phr = cx.open()?;
    let Some(file) = out else {
        // Buffer, so a reader that stops early (`| head`) is not an error.
        let mut buffer = Vec::new();
        phr.export_csv(person, kind, &mut buffer)?;
        return match std::io::stdout().lock().write_all(&buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("writing to standard output"),
        };
    };
    let rows = {
        let mut writer = std::io::BufWriter::new(
            std::fs::File::create(file)
                .with_context(|| format!("cannot create {}", file.display()))?,
        );
        phr.export_csv(person, kind, &mut writer)?
    };
    if cx.json {
        print_json(&serde_json::json!({"file": file, "rows": rows}))?;
    } else {
        println!("Wrote {rows} rows to {}.", file.display());
    }
    Ok(())
}

/// FHIR R4 files: a collection bundle and/or NDJSON, pseudonymised for
/// `pseudonymise_for` if given.
fn fhir(
    cx: &Context,
    out: Option<PathBuf>,
    ndjson: Option<PathBuf>,
    pseudonymise_for: Option<&str>,
    selection: &SelectionArgs,
) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let record = phr.export_fhir(
        &selection.selection()?,
        out.as_deref(),
        ndjson.as_deref(),
        pseudonymise_for,
        chrono::Utc::now().timestamp(),
    )?;
    if cx.json {
        print_json(&record)?;
    } else {
        println!(
            "Wrote {} FHIR resources ({}; {} to {}){} to {}.",
            record.resources,
            record.types.join(", "),
            record.from,
            record.to,
            if record.pseudonymised {
                ", pseudonymised"
            } else {
                ""
            },
            record.recipient.trim_start_matches("file:")
        );
    }
    Ok(())
}
