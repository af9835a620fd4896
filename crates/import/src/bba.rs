//! biobankAccelerometerAnalysis epoch time series (`<name>-timeSeries.csv.gz`,
//! gzip-compressed or not), with its `<name>-summary.json` when it lies
//! beside it, as pyActigraphy's `read_raw_bba` reads them.
//!
//! A header row `time,acc,…`, then one row per epoch: `time` like
//! `2014-05-07 13:29:50.439000+0100 [Europe/London]` and `acc` (acceleration
//! in milli-g, the activity); an empty `acc` is a gap. The grid is laid on
//! the wall-clock times as written, from the first row, with the epoch the
//! step between the first two rows (pyActigraphy infers it from all rows).
//! The file's `light` column is the share of light physical activity, not
//! illuminance, and is not read as light. The summary gives the device id
//! (`file-deviceID`); one that names another recording (`file-name`) is
//! refused, as pyActigraphy refuses it. Without a summary the recording is
//! read without a device id (pyActigraphy needs one unless told not to).

use crate::lines::quoted;
use crate::table::{count, is_missing, split_fields, Grid, TextLines};
use crate::{ActivityRecording, FileFormat, ImportError};
use chrono::{DateTime, NaiveDateTime};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The gzip signature.
pub const GZIP_MAGIC: &[u8] = b"\x1f\x8b";

/// The largest summary `.json` read: 16 MiB (they are a few kilobytes).
const MAX_SUMMARY_BYTES: u64 = 16 << 20;

/// Whether `head` (the first bytes of a file, compressed or not) looks like
/// a biobank time series: a first row starting `time,acc`.
pub fn looks_like_biobank(head: &[u8]) -> bool {
    let mut text = Vec::new();
    if head.starts_with(GZIP_MAGIC) {
        // A prefix of a gzip stream: decompress what it holds.
        let _ = flate2::read::GzDecoder::new(head)
            .take(64)
            .read_to_end(&mut text);
    } else {
        text.extend_from_slice(&head[..head.len().min(64)]);
    }
    text.strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&text)
        .starts_with(b"time,acc")
}

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let without_zone = match text.find(" [") {
        Some(at) if text.ends_with(']') => &text[..at],
        _ => text,
    };
    DateTime::parse_from_str(without_zone.trim(), "%Y-%m-%d %H:%M:%S%.f%z")
        .map(|t| t.naive_local())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(without_zone.trim(), "%Y-%m-%d %H:%M:%S%.f").ok())
}

/// The summary's path for a time series path, when its name ends
/// `-timeSeries.csv(.gz)`, and the recording's base name.
fn summary_of(path: &Path) -> Option<(std::path::PathBuf, String)> {
    let name = path.file_name()?.to_str()?;
    let base = name
        .strip_suffix("-timeSeries.csv.gz")
        .or_else(|| name.strip_suffix("-timeSeries.csv"))?;
    Some((
        path.with_file_name(format!("{base}-summary.json")),
        base.to_string(),
    ))
}

/// Reads a biobank time series at `path` (and its summary beside it, if
/// any); `file` names it in errors, `progress` is called with bytes read
/// (decompressed).
pub fn read_biobank(
    path: &Path,
    file: &str,
    progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let file_error = |file: &str, message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let mut opened =
        std::fs::File::open(path).map_err(|e| file_error(file, format!("cannot read: {e}")))?;
    let mut magic = [0u8; 2];
    let n = opened
        .read(&mut magic)
        .map_err(|e| file_error(file, format!("cannot read: {e}")))?;
    let opened =
        std::fs::File::open(path).map_err(|e| file_error(file, format!("cannot read: {e}")))?;
    let mut recording = if magic[..n] == *GZIP_MAGIC {
        let decoder = flate2::read::GzDecoder::new(BufReader::new(opened));
        parse_biobank(BufReader::new(decoder), file, progress)?
    } else {
        parse_biobank(BufReader::new(opened), file, progress)?
    };
    if let Some((summary, base)) = summary_of(path).filter(|(s, _)| s.exists()) {
        let summary_name = summary.display().to_string();
        let mut text = String::new();
        std::fs::File::open(&summary)
            .and_then(|f| f.take(MAX_SUMMARY_BYTES).read_to_string(&mut text))
            .map_err(|e| file_error(&summary_name, format!("cannot read the summary: {e}")))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ImportError::Line {
                file: summary_name.clone(),
                line: e.line() as u64,
                message: format!("not a JSON summary: {e}"),
            })?;
        let described = json
            .get("file-name")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let described_base = Path::new(described)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let matches = [".cwa", ".CWA", ".bin"].iter().any(|ext| {
            described_base == format!("{base}{ext}") || described_base == format!("{base}{ext}.gz")
        });
        if !matches {
            return Err(file_error(
                &summary_name,
                format!(
                    "the summary describes {}, not {base}.cwa or {base}.bin; is it the summary of another recording?",
                    quoted(described)
                ),
            ));
        }
        recording.device_serial = match json.get("file-deviceID") {
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
    }
    Ok(recording)
}

/// Parses a biobank time series (already decompressed).
pub fn parse_biobank(
    input: impl BufRead,
    file: &str,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let err = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    let mut columns: Option<(usize, usize)> = None;
    let mut grid = Grid::inferred(false);
    let mut bytes = 0u64;
    for (idx, line) in TextLines::new(input).enumerate() {
        let line_no = idx as u64 + 1;
        let line = line.map_err(|e| {
            err(
                line_no,
                e.message(|e| format!("read failed (is the file cut short or not gzip?): {e}")),
            )
        })?;
        bytes += line.len() as u64 + 1;
        if line_no.is_multiple_of(4096) {
            progress(bytes);
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let fields = split_fields(text, ',').map_err(|why| err(line_no, why.into()))?;
        let Some((time_col, acc_col)) = columns else {
            let find = |name: &str| fields.iter().position(|f| f == name);
            let (Some(time), Some(acc)) = (find("time"), find("acc")) else {
                return Err(err(
                    line_no,
                    format!(
                        "expected a first row naming the time and acc columns, found {}",
                        quoted(text)
                    ),
                ));
            };
            columns = Some((time, acc));
            continue;
        };
        if fields.len() <= time_col.max(acc_col) {
            return Err(err(line_no, format!("the row has {} fields", fields.len())));
        }
        let at = parse_time(&fields[time_col]).ok_or_else(|| {
            err(
                line_no,
                format!(
                    "time {} is not a time like 2014-05-07 13:29:50.439000+0100 [Europe/London]",
                    quoted(&fields[time_col])
                ),
            )
        })?;
        let acc_text = fields[acc_col].as_str();
        let acc = if is_missing(acc_text, &[]) {
            None
        } else {
            Some(count(acc_text, "acc").map_err(|m| err(line_no, m))?)
        };
        grid.push(line_no, at, acc, None)
            .map_err(|m| err(line_no, m))?;
    }
    progress(bytes);
    let file_error = |message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let start = grid
        .start()
        .ok_or_else(|| file_error("no data rows after the header".into()))?;
    if grid.counts.len() < 2 {
        return Err(file_error(
            "a single data row: the epoch is the step between the first two".into(),
        ));
    }
    if !grid.plausible() {
        return Err(file_error(format!(
            "a recording starting {start} with {} epochs lies outside the years {}; is the date right?",
            grid.counts.len(),
            phr_model::PLAUSIBLE_YEARS
        )));
    }
    Ok(ActivityRecording {
        format: FileFormat::Biobank,
        subject: None,
        device_model: None,
        device_serial: None,
        start,
        epoch_seconds: grid.epoch_seconds(),
        counts: grid.counts,
        steps: None,
        light: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const SERIES: &str = "time,acc,light,moderate-vigorous,sedentary,sleep,MET\n\
        2014-05-07 13:29:50.439000+0100 [Europe/London],63.1,0.0,0.0,1.0,0.0,1.5\n\
        2014-05-07 13:30:20.439000+0100 [Europe/London],,,,,,\n\
        2014-05-07 13:30:50.439000+0100 [Europe/London],8.5,0.0,0.0,1.0,0.0,1.5\n";

    fn gzip(text: &str) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_compressed_series_with_its_summary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s-timeSeries.csv.gz");
        std::fs::write(&path, gzip(SERIES)).unwrap();
        assert!(
            looks_like_biobank(&gzip(SERIES)[..40.min(gzip(SERIES).len())])
                || looks_like_biobank(&gzip(SERIES))
        );
        assert!(looks_like_biobank(SERIES.as_bytes()));
        let rec = read_biobank(&path, "s", |_| {}).expect("reads");
        assert_eq!(rec.start.to_string(), "2014-05-07 13:29:50.439");
        assert_eq!(rec.epoch_seconds, 30);
        assert_eq!(rec.counts, vec![Some(63.1), None, Some(8.5)]);
        assert_eq!(rec.device_serial, None);
        let summary = dir.path().join("s-summary.json");
        std::fs::write(
            &summary,
            r#"{"file-name": "s.cwa.gz", "file-deviceID": 13110}"#,
        )
        .unwrap();
        let rec = read_biobank(&path, "s", |_| {}).expect("reads");
        assert_eq!(rec.device_serial.as_deref(), Some("13110"));
        std::fs::write(
            &summary,
            r#"{"file-name": "other.cwa.gz", "file-deviceID": 1}"#,
        )
        .unwrap();
        let message = read_biobank(&path, "s", |_| {})
            .expect_err("other")
            .to_string();
        assert!(message.contains("another recording"), "{message}");
        std::fs::write(&summary, "{\n\"file-name\": ").unwrap();
        let message = read_biobank(&path, "s", |_| {})
            .expect_err("bad json")
            .to_string();
        assert!(message.contains("line 2: not a JSON summary"), "{message}");
    }

    #[test]
    fn a_truncated_gzip_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t-timeSeries.csv.gz");
        let long: String = std::iter::once("time,acc\n".to_string())
            .chain((0..2000).map(|i| {
                format!(
                    "2014-05-07 13:{:02}:{:02}+0100 [Europe/London],{i}\n",
                    i / 60 % 60,
                    i % 60
                )
            }))
            .collect();
        let bytes = gzip(&long);
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let message = read_biobank(&path, "t", |_| {})
            .expect_err("cut")
            .to_string();
        assert!(
            message.starts_with("t, line ") && message.contains("cut short"),
            "{message}"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (SERIES.replace("63.1", "-3"), "b, line 2:", "acc \"-3\""),
            (
                SERIES.replace("13:30:20.439000", "13:30:21.439000"),
                "b, line 4:",
                "31-second",
            ),
            (
                SERIES.replace("2014-05-07 13:30:50", "07/05/2014 13:30:50"),
                "b, line 4:",
                "not a time like",
            ),
            (
                "time,x\n".to_string(),
                "b, line 1:",
                "naming the time and acc",
            ),
            ("time,acc\n".to_string(), "b:", "no data rows"),
        ];
        for (text, start, fragment) in cases {
            let message = parse_biobank(text.as_bytes(), "b", |_| {})
                .expect_err("rejected")
                .to_string();
            assert!(
                message.starts_with(start) && message.contains(fragment),
                "{message}"
            );
        }
    }
}
