//! Imports of other apps' exports (Apple Health, Gadgetbridge, Fitbit /
//! Google Takeout, Garmin FIT): each source in the export is stored under
//! its own device, all sources of one file in one transaction.

use crate::{
    io_error, kind_imports, ImportSource, ImportSummary, Phr, Progress, Result, SkippedRecords,
};
use phr_exports::ExportFormat;
use phr_model::{NewDevice, Person, Samples, Stamp};
use phr_vault::{AuditAction, AuditEvent};
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::Ordering;

/// The export `path` holds, if it is one: a folder (a Fitbit Takeout) or a
/// file told from its first bytes.
pub(crate) fn detect(path: &Path) -> Result<Option<ExportFormat>> {
    if path.is_dir() {
        return Ok(phr_exports::detect_folder(path));
    }
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let mut head = [0u8; 512];
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    Ok(phr_exports::detect(path, &head[..n]))
}

impl Phr {
    /// Stores the export at `path` for `person`: every source it holds under
    /// its own device (`device_label` renames the source when there is only
    /// one), all or nothing.
    pub(crate) fn import_export(
        &mut self,
        path: &Path,
        format: ExportFormat,
        person: &Person,
        device_label: Option<&str>,
        mut progress: impl FnMut(Progress),
    ) -> Result<ImportSummary> {
        let zone = crate::zone_of(person)?;
        let file_name = path.display().to_string();
        let total = match format {
            ExportFormat::AppleHealth if !is_zip(path) => {
                std::fs::metadata(path).ok().map(|m| m.len())
            }
            ExportFormat::GarminFit => std::fs::metadata(path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len()),
            _ => None,
        };
        let cancel = self.cancel.clone();
        let mut report = |done: u64| {
            progress(Progress { done, total });
            if cancel.load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let export = phr_exports::read_export(path, &file_name, format, zone, &mut report)?;
        let mut sources: Vec<(NewDevice, Vec<Samples>)> = export
            .sources
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| (s.source.clone(), s.batches()))
            .collect();
        if sources.is_empty() {
            return Err(crate::ApiError::invalid(format!(
                "{file_name}: holds no steps, heart rate, activity or sleep; nothing was stored"
            )));
        }
        if let (Some(label), [(source, _)]) = (device_label, sources.as_mut_slice()) {
            source.label = label.to_string();
        }
        let stamps = sources
            .iter()
            .flat_map(|(_, batches)| batches)
            .filter_map(span_of);
        let first = stamps.clone().map(|(first, _)| first).min();
        let last = stamps.map(|(_, last)| last).max();
        let rows: u64 = sources
            .iter()
            .flat_map(|(_, batches)| batches)
            .map(|b| b.len() as u64)
            .sum();
        let base_name = path
            .file_name()
            .map_or(file_name.clone(), |n| n.to_string_lossy().into_owned());
        let event = AuditEvent::new(
            AuditAction::Import,
            format!(
                "{} export {base_name}: {rows} samples from {} sources for person {}",
                format.name(),
                sources.len(),
                person.id.0
            ),
        );
        self.check_cancelled("the import")?;
        let reports = self.vault.ingest_sources(person.id, &sources, &event)?;
        let mut total = phr_vault::IngestReport::default();
        reports.iter().flatten().for_each(|r| total.add(r));
        let kinds = kind_imports(
            sources
                .iter()
                .zip(&reports)
                .flat_map(|((_, batches), reports)| batches.iter().zip(reports)),
        );
        let imported_sources: Vec<ImportSource> = sources
            .iter()
            .zip(&reports)
            .map(|((source, batches), reports)| ImportSource {
                device: reports.iter().find_map(|r| r.device).map_or(0, |d| d.0),
                label: source.label.clone(),
                samples: batches.iter().map(|b| b.len() as u64).sum(),
            })
            .collect();
        let new_alerts = self.alerts_after_new_data(person, first.map(|s| s.local_date()), None)?;
        Ok(ImportSummary {
            file: file_name,
            format: format.name().to_string(),
            person: person.id.0,
            device: imported_sources.first().map_or(0, |s| s.device),
            rows,
            missing: 0,
            added: total.added,
            replaced: total.replaced,
            unchanged: total.unchanged,
            first: first.map(|s| s.local().to_string()).unwrap_or_default(),
            last: last.map(|s| s.local().to_string()).unwrap_or_default(),
            new_alerts,
            kinds,
            sources: imported_sources,
            skipped: export
                .skipped
                .into_iter()
                .map(|(record, count)| SkippedRecords { record, count })
                .collect(),
        })
    }
}

fn is_zip(path: &Path) -> bool {
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == phr_exports::ZIP_MAGIC
}

/// The first and last instant a batch covers.
fn span_of(batch: &Samples) -> Option<(Stamp, Stamp)> {
    fn ends<T>(v: &[T], at: impl Fn(&T) -> Stamp) -> Option<(Stamp, Stamp)> {
        Some((at(v.first()?), at(v.last()?)))
    }
    match batch {
        Samples::Activity(v) => ends(v, |s| s.at),
        Samples::Steps(v) => ends(v, |s| s.start),
        Samples::HeartRate(v) => ends(v, |s| s.at),
        Samples::Sleep(v) => ends(v, |s| s.start),
    }
}
