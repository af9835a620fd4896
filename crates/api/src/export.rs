//! CSV export of stored samples.

use phr_model::{SampleKind, Samples, SleepStage};
use std::io::Write;

/// What a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    /// `timestamp,count`: the format `phr import` reads, so exports re-import.
    Activity,
    /// `start,duration_seconds,steps`.
    Steps,
    /// `timestamp,bpm`.
    HeartRate,
    /// `start,end,is_main,method,stages` (stages as `stage:minutes;...`).
    Sleep,
}

impl CsvKind {
    /// The stored kind exported.
    pub fn sample_kind(self) -> SampleKind {
        match self {
            CsvKind::Activity => SampleKind::Activity,
            CsvKind::Steps => SampleKind::Steps,
            CsvKind::HeartRate => SampleKind::HeartRate,
            CsvKind::Sleep => SampleKind::Sleep,
        }
    }

    /// Name on the command line.
    pub fn name(self) -> &'static str {
        self.sample_kind().name()
    }

    /// The kind a command-line name means.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            CsvKind::Activity,
            CsvKind::Steps,
            CsvKind::HeartRate,
            CsvKind::Sleep,
        ]
        .into_iter()
        .find(|k| k.name() == name || (name == "hr" && *k == CsvKind::HeartRate))
    }
}

const TIME: &str = "%Y-%m-%d %H:%M:%S";

fn stage_name(stage: SleepStage) -> &'static str {
    match stage {
        SleepStage::Awake => "awake",
        SleepStage::Asleep => "asleep",
        SleepStage::Light => "light",
        SleepStage::Deep => "deep",
        SleepStage::Rem => "rem",
    }
}

/// Writes one CSV; a `device` column is added when more than one source has
/// data. Times are local wall-clock times of the wearer.
pub(crate) fn write_csv(
    kind: CsvKind,
    per_device: &[(String, Samples)],
    out: &mut dyn Write,
) -> std::io::Result<u64> {
    let several = per_device.len() > 1;
    let header = match kind {
        CsvKind::Activity => "timestamp,count",
        CsvKind::Steps => "start,duration_seconds,steps",
        CsvKind::HeartRate => "timestamp,bpm",
        CsvKind::Sleep => "start,end,is_main,method,stages",
    };
    writeln!(out, "{header}{}", if several { ",device" } else { "" })?;
    let mut rows = 0u64;
    for (label, samples) in per_device {
        let device = if several {
            format!(",{}", csv_field(label))
        } else {
            String::new()
        };
        match samples {
            Samples::Activity(v) => {
                for e in v {
                    writeln!(out, "{},{}{device}", e.at.local().format(TIME), e.count)?;
                }
            }
            Samples::Steps(v) => {
                for s in v {
                    writeln!(
                        out,
                        "{},{},{}{device}",
                        s.start.local().format(TIME),
                        s.duration_seconds,
                        s.steps
                    )?;
                }
            }
            Samples::HeartRate(v) => {
                for h in v {
                    writeln!(out, "{},{}{device}", h.at.local().format(TIME), h.bpm)?;
                }
            }
            Samples::Sleep(v) => {
                for s in v {
                    let stages: Vec<String> = s
                        .stages
                        .iter()
                        .map(|span| {
                            format!("{}:{}", stage_name(span.stage), span.duration_seconds / 60)
                        })
                        .collect();
                    writeln!(
                        out,
                        "{},{},{},{},{}{device}",
                        s.start.local().format(TIME),
                        s.end.local().format(TIME),
                        s.is_main,
                        csv_field(&s.method),
                        stages.join(";")
                    )?;
                }
            }
        }
        rows += samples.len() as u64;
    }
    out.flush()?;
    Ok(rows)
}

/// Quotes a field if it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
