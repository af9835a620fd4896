//! Condor Instruments ActTrust `.txt` reports, as pyActigraphy's
//! `read_raw_atr` reads them.
//!
//! A first line `+-------------+ Condor Instruments Report +-------------+`,
//! header lines `KEY : value` (`SUBJECT_NAME`, `DEVICE_ID`, `DEVICE_MODEL`,
//! `INTERVAL` in seconds) up to a `+-----…` line, then a `;`-separated table
//! whose first row names the columns: `DATE/TIME` (`01/01/2020 08:00:00`,
//! day first), `PIM` (activity, the proportional integration mode pyActigraphy
//! reads by default) and `LIGHT` (white light, lux), among others.
//!
//! pyActigraphy resamples the rows to the interval from midnight of the
//! first day, summing the rows of each bin; so do we. Where it differs: a
//! bin without rows is 0 in pyActigraphy (an empty sum) and a gap here, since
//! no data is not no activity.

use crate::lines::quoted;
use crate::table::{check_width, optional_count, split_fields, Grid, TextLines};
use crate::{ActivityRecording, FileFormat, ImportError};
use chrono::{NaiveDateTime, Timelike};
use std::io::BufRead;

/// The most header lines before the table.
const MAX_HEADER_LINES: usize = 1000;

fn is_frame(line: &str) -> bool {
    line.starts_with("+-") && line.ends_with("-+")
}

/// Whether `head` (the first bytes of a file) looks like an ActTrust
/// report: a first line like `+----+ Condor Instruments Report +----+`.
pub fn looks_like_acttrust(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .is_some_and(|line| {
            let line = line.trim();
            is_frame(line) && line.matches('+').count() == 4 && line.contains("+ ")
        })
}

/// Parses an ActTrust report. `progress` is called with bytes read.
pub fn parse_acttrust(
    input: impl BufRead,
    file: &str,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let err = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    // (key, value, line) of each header line.
    let mut header: Vec<(String, String, u64)> = Vec::new();
    let mut in_header = true;
    // The (line, time, activity, light) columns once named, and the grid.
    type Columns = (u64, usize, usize, Option<usize>);
    let mut table: Option<(Columns, Grid)> = None;
    let mut bin_start: Option<NaiveDateTime> = None;
    let mut interval = 0u32;
    let mut bytes = 0u64;
    for (idx, line) in TextLines::new(input).enumerate() {
        let line_no = idx as u64 + 1;
        let line = line.map_err(|e| err(line_no, e.message(|e| format!("read failed: {e}"))))?;
        bytes += line.len() as u64 + 1;
        if line_no.is_multiple_of(4096) {
            progress(bytes);
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        if idx == 0 {
            if !looks_like_acttrust(text.as_bytes()) {
                return Err(err(
                    1,
                    format!(
                        "expected a first line like `+----+ Condor Instruments Report +----+`, found {}",
                        quoted(text)
                    ),
                ));
            }
            continue;
        }
        if in_header {
            if is_frame(text) {
                in_header = false;
                let (value, at_line) = header
                    .iter()
                    .find(|(k, _, _)| k == "INTERVAL")
                    .map(|(_, v, l)| (v.as_str(), *l))
                    .unwrap_or(("", line_no));
                interval = value
                    .parse::<u32>()
                    .ok()
                    .filter(|s| (1..=86_400).contains(s))
                    .ok_or_else(|| {
                        err(
                            at_line,
                            format!(
                                "the header's INTERVAL {} is not 1 to 86400 seconds",
                                quoted(value)
                            ),
                        )
                    })?;
            } else if idx > MAX_HEADER_LINES {
                return Err(err(
                    line_no,
                    format!("no end of the header in its first {MAX_HEADER_LINES} lines"),
                ));
            } else {
                let (key, value) = text.split_once(" :").unwrap_or((text, ""));
                header.push((key.trim().to_string(), value.trim().to_string(), line_no));
            }
            continue;
        }
        if text.is_empty() {
            continue;
        }
        let fields = split_fields(text, ';').map_err(|why| err(line_no, why.into()))?;
        let Some(((header_line, time_col, activity_col, light_col), grid)) = &mut table else {
            let find = |name: &str| fields.iter().position(|f| f == name);
            let (Some(time), Some(activity)) = (find("DATE/TIME"), find("PIM")) else {
                return Err(err(
                    line_no,
                    format!(
                        "expected the row naming the columns (DATE/TIME;…;PIM;…), found {}",
                        quoted(text)
                    ),
                ));
            };
            let light = find("LIGHT");
            table = Some((
                (line_no, time, activity, light),
                Grid::new(interval, light.is_some()),
            ));
            continue;
        };
        let (time_col, activity_col, light_col) = (*time_col, *activity_col, *light_col);
        check_width(
            fields.len(),
            &[Some(time_col), Some(activity_col), light_col],
            header_line,
        )
        .map_err(|m| err(line_no, m))?;
        let at = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(&fields[time_col], f).ok())
            .ok_or_else(|| {
                err(
                    line_no,
                    format!(
                        "time {} is not a time like 01/01/2020 08:00:00",
                        quoted(&fields[time_col])
                    ),
                )
            })?;
        let value = |col: usize, what: &str| {
            optional_count(&fields[col], what).map_err(|m| err(line_no, m))
        };
        let activity = value(activity_col, "PIM activity")?;
        let light = match light_col {
            Some(col) => value(col, "light")?,
            None => None,
        };
        // The bin of pandas' resample: from midnight, `interval` wide.
        let seconds = i64::from(at.num_seconds_from_midnight());
        let bin = at - chrono::Duration::seconds(seconds % i64::from(interval));
        if bin_start == Some(bin) {
            grid.add_to_last(activity, light);
        } else {
            if bin_start.is_some_and(|previous| bin < previous) {
                return Err(err(
                    line_no,
                    format!("time {at} comes before the row above it"),
                ));
            }
            grid.push(line_no, bin, activity, light)
                .map_err(|m| err(line_no, m))?;
            bin_start = Some(bin);
        }
    }
    progress(bytes);
    let file_error = |message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let (_, grid) = table.ok_or_else(|| file_error("no data table after the header".into()))?;
    let Some(start) = grid.start() else {
        return Err(file_error("no data rows after the header".into()));
    };
    if !grid.plausible() {
        return Err(file_error(format!(
            "a recording starting {start} with {} epochs lies outside the years {}; is the date right?",
            grid.counts.len(),
            phr_model::PLAUSIBLE_YEARS
        )));
    }
    let field = |name: &str| {
        header
            .iter()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, _)| v.clone())
            .filter(|v| !v.is_empty())
    };
    Ok(ActivityRecording {
        format: FileFormat::ActTrust,
        subject: field("SUBJECT_NAME"),
        device_model: field("DEVICE_MODEL"),
        device_serial: field("DEVICE_ID"),
        start,
        epoch_seconds: interval,
        counts: grid.counts,
        steps: None,
        light: grid.light,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rows: &str) -> String {
        format!(
            "+-------------+ Condor Instruments Report +-------------+\r\nSUBJECT_NAME : S1\r\n\
             SUBJECT_DESCRIPTION :\r\nDEVICE_ID : myUUID\r\nDEVICE_MODEL : ActTrust1\r\nINTERVAL : 60\r\n\
             +-------------------------------------------------------+\r\n\
             DATE/TIME;MS;EVENT;PIM;PIMn;LIGHT;STATE\r\n{rows}"
        )
    }

    #[test]
    fn rows_are_binned_and_summed_by_interval() {
        let text = report(
            "01/01/2020 08:00:00;0;0;10;1.5;100.5;0\r\n01/01/2020 08:01:00;0;0;20;1;0.5;0\r\n\
             01/01/2020 08:01:30;0;0;5;1;1;0\r\n01/01/2020 08:04:00;0;0;7;1;2;0\r\n",
        );
        assert!(looks_like_acttrust(text.as_bytes()));
        let rec = parse_acttrust(text.as_bytes(), "a.txt", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2020-01-01 08:00:00");
        assert_eq!(rec.epoch_seconds, 60);
        assert_eq!(
            rec.counts,
            vec![Some(10.0), Some(25.0), None, None, Some(7.0)]
        );
        assert_eq!(
            rec.light,
            Some(vec![Some(100.5), Some(1.5), None, None, Some(2.0)])
        );
        assert_eq!(rec.device_serial.as_deref(), Some("myUUID"));
        assert_eq!(rec.subject.as_deref(), Some("S1"));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                report("01/01/2020 08:00:00;0;0;-1;1;1;0\r\n"),
                "a.txt, line 9:",
                "PIM activity \"-1\"",
            ),
            (
                report("01/01/2020 08:00:00;0;0;1\r\n"),
                "a.txt, line 9:",
                "the row has 4 fields",
            ),
            (
                report("2020-01-01 08:00:00;0;0;1;1;1;0\r\n"),
                "a.txt, line 9:",
                "not a time like",
            ),
            (
                report("01/01/2020 08:01:00;0;0;1;1;1;0\r\n01/01/2020 08:00:00;0;0;1;1;1;0\r\n"),
                "a.txt, line 10:",
                "comes before",
            ),
            (
                report("").replace("INTERVAL : 60", "INTERVAL : 0"),
                "a.txt, line 6:",
                "INTERVAL \"0\"",
            ),
            (
                report("").replace("DATE/TIME", "WHEN"),
                "a.txt, line 8:",
                "naming the columns",
            ),
            (
                "SUBJECT_NAME : S1\r\n".to_string(),
                "a.txt, line 1:",
                "Condor Instruments Report",
            ),
            (report(""), "a.txt:", "no data rows"),
        ];
        for (text, start, fragment) in cases {
            let message = parse_acttrust(text.as_bytes(), "a.txt", |_| {})
                .expect_err("rejected")
                .to_string();
            assert!(
                message.starts_with(start) && message.contains(fragment),
                "{message}"
            );
        }
    }
}
