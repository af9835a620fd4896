//! Daqtix `.csv` exports, as pyActigraphy's `read_raw_dqt` reads them.
//!
//! A header of `Key:,value,value` lines (`Start:`, `Serial number:`,
//! `Store rate:` in seconds, the epoch), then one row per epoch:
//! `2000-01-27 19:00:00,<activity>,<light>`, `x` for a missing value.
//! pyActigraphy lays the rows on the store-rate grid (`asfreq`), silently
//! dropping a row that is off it; such a row is an error here.

use crate::lines::{quoted, BoundedLines};
use crate::table::{count, is_missing, number, split_fields, Grid};
use crate::{ActivityRecording, FileFormat, ImportError};
use chrono::NaiveDateTime;
use std::io::BufRead;

/// The most header lines before the data.
const MAX_HEADER_LINES: usize = 1000;

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

/// Whether `head` (the first bytes of a file) looks like a Daqtix export:
/// a first line `Start: …` and a `Store rate:` line.
pub fn looks_like_daqtix(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    text.starts_with("Start:") && text.lines().any(|l| l.starts_with("Store rate:"))
}

/// Parses a Daqtix export. `progress` is called with bytes read.
pub fn parse_daqtix(
    input: impl BufRead,
    file: &str,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let err = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    let mut header: Vec<(String, String, u64)> = Vec::new();
    let mut grid: Option<Grid> = None;
    let mut bytes = 0u64;
    for (idx, line) in BoundedLines::new(input).enumerate() {
        let line_no = idx as u64 + 1;
        let line = line
            .map_err(|e| {
                err(
                    line_no,
                    e.message(|e| format!("not readable UTF-8 text: {e}")),
                )
            })?
            .text;
        bytes += line.len() as u64 + 1;
        if line_no.is_multiple_of(4096) {
            progress(bytes);
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let fields = split_fields(text, ',').map_err(|why| err(line_no, why.into()))?;
        let Some(at) = parse_time(&fields[0]) else {
            if grid.is_some() {
                return Err(err(
                    line_no,
                    format!(
                        "time {} is not a time like 2000-01-27 19:00:00",
                        quoted(&fields[0])
                    ),
                ));
            }
            if idx >= MAX_HEADER_LINES {
                return Err(err(
                    line_no,
                    format!("no data rows in the first {MAX_HEADER_LINES} lines"),
                ));
            }
            let key = fields[0].trim_end_matches(':').to_string();
            header.push((key, fields.get(1).cloned().unwrap_or_default(), line_no));
            continue;
        };
        let grid = match &mut grid {
            Some(grid) => grid,
            None => {
                let (value, at_line) = header
                    .iter()
                    .find(|(k, _, _)| k == "Store rate")
                    .map(|(_, v, l)| (v.as_str(), *l))
                    .unwrap_or(("", line_no));
                let rate = number(value)
                    .filter(|v| v.fract() == 0.0 && (1.0..=86_400.0).contains(v))
                    .ok_or_else(|| {
                        err(
                            at_line,
                            format!("the store rate {} is not 1 to 86400 seconds", quoted(value)),
                        )
                    })?;
                grid.insert(Grid::new(rate as u32, true))
            }
        };
        if fields.len() < 2 {
            return Err(err(line_no, "the row has no activity field".into()));
        }
        let value = |col: usize, what: &str| -> Result<Option<f64>, ImportError> {
            match fields.get(col).map(String::as_str) {
                None => Ok(None),
                Some(text) if is_missing(text, &["x"]) => Ok(None),
                Some(text) => count(text, what).map(Some).map_err(|m| err(line_no, m)),
            }
        };
        let activity = value(1, "activity")?;
        let light = value(2, "light")?;
        grid.push(line_no, at, activity, light)
            .map_err(|m| err(line_no, m))?;
    }
    progress(bytes);
    let file_error = |message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let grid = grid.ok_or_else(|| file_error("no data rows after the header".into()))?;
    let start = grid
        .start()
        .ok_or_else(|| file_error("no data rows after the header".into()))?;
    if !grid.plausible() {
        return Err(file_error(format!(
            "a recording starting {start} with {} epochs lies outside the years {}; is the date right?",
            grid.counts.len(),
            phr_model::PLAUSIBLE_YEARS
        )));
    }
    let serial = header
        .iter()
        .find(|(k, _, _)| k == "Serial number")
        .map(|(_, v, _)| v.clone())
        .filter(|v| !v.is_empty());
    Ok(ActivityRecording {
        format: FileFormat::Daqtix,
        subject: None,
        device_model: None,
        device_serial: serial,
        start,
        epoch_seconds: grid.epoch_seconds(),
        counts: grid.counts,
        steps: None,
        light: grid.light,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(rows: &str) -> String {
        format!(
            "Start: 2000-01-27 19:00:00 GMT\nEnd: 2000-01-28 06:59:59 GMT\n\nSerial number:,myUUID,myUUID\n\
             Name:,Accelleration X+Y,Light\n\nStore rate:,1,1\n\n{rows}"
        )
    }

    #[test]
    fn rows_on_the_store_rate_grid() {
        let text = export(
            "2000-01-27 19:00:00,26,53\n2000-01-27 19:00:01,x,55\n2000-01-27 19:00:03,9,x\n",
        );
        assert!(looks_like_daqtix(text.as_bytes()));
        let rec = parse_daqtix(text.as_bytes(), "d.csv", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2000-01-27 19:00:00");
        assert_eq!(rec.epoch_seconds, 1);
        assert_eq!(rec.counts, vec![Some(26.0), None, None, Some(9.0)]);
        assert_eq!(rec.light, Some(vec![Some(53.0), Some(55.0), None, None]));
        assert_eq!(rec.device_serial.as_deref(), Some("myUUID"));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                export("2000-01-27 19:00:00,-1,53\n"),
                "d.csv, line 9:",
                "activity \"-1\"",
            ),
            (
                export("2000-01-27 19:00:00\n"),
                "d.csv, line 9:",
                "no activity field",
            ),
            (
                export("2000-01-27 19:00:00,1,2\n27/01/2000 19:00:01,1,2\n"),
                "d.csv, line 10:",
                "not a time like",
            ),
            (
                export("2000-01-27 19:00:01,1,2\n2000-01-27 19:00:00,1,2\n"),
                "d.csv, line 10:",
                "does not come after",
            ),
            (
                export("2000-01-27 19:00:00,1,2\n").replace("Store rate:,1", "Store rate:,0"),
                "d.csv, line 7:",
                "store rate \"0\"",
            ),
            (export(""), "d.csv:", "no data rows"),
        ];
        for (text, start, fragment) in cases {
            let message = parse_daqtix(text.as_bytes(), "d.csv", |_| {})
                .expect_err("rejected")
                .to_string();
            assert!(
                message.starts_with(start) && message.contains(fragment),
                "{message}"
            );
        }
    }
}
