//! Tempatilumi `.txt` exports (Condor Instruments' Brazilian actimeters),
//! as pyActigraphy's `read_raw_tal` reads them.
//!
//! Free header lines (one says `Nº de Série: 00000`, the serial number),
//! then a `;`-separated table whose first row starts `Data; Hora` and names
//! the columns: `Data` (`2000/1/1`), `Hora` (`00:01:00`), `Atividade`
//! (activity) and `Luminosidade` (light), among others. The epoch is the
//! step between the first two rows (pyActigraphy infers it from all rows and
//! refuses a file with gaps; gaps are kept as gaps here). Lines are UTF-8
//! or, failing that, Latin-1 (pyActigraphy's default).

use crate::lines::quoted;
use crate::table::{check_width, optional_count, split_fields, Grid, TextLines};
use crate::{ActivityRecording, FileFormat, ImportError};
use chrono::{NaiveDate, NaiveTime};
use std::io::BufRead;

/// The most header lines before the table.
const MAX_HEADER_LINES: usize = 1000;

fn is_column_row(line: &str) -> bool {
    line.starts_with("Data;") && line.split(';').nth(1).is_some_and(|f| f.trim() == "Hora")
}

/// Whether `head` (the first bytes of a file) looks like a Tempatilumi
/// export: a line starting `Data; Hora` that names `Atividade`.
pub fn looks_like_tempatilumi(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines().take(MAX_HEADER_LINES).any(|line| {
        let line = line.trim_start_matches('\u{feff}').trim();
        is_column_row(line) && line.contains("Atividade")
    })
}

/// Parses a Tempatilumi export. `progress` is called with bytes read.
pub fn parse_tempatilumi(
    input: impl BufRead,
    file: &str,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let err = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    let mut serial: Option<String> = None;
    // The (line, date, time, activity, light) columns once named, and the grid.
    type Columns = (u64, usize, usize, usize, Option<usize>);
    let mut table: Option<(Columns, Grid)> = None;
    let mut bytes = 0u64;
    for (idx, line) in TextLines::new(input).enumerate() {
        let line_no = idx as u64 + 1;
        let line = line.map_err(|e| err(line_no, e.message(|e| format!("read failed: {e}"))))?;
        bytes += line.len() as u64 + 1;
        if line_no.is_multiple_of(4096) {
            progress(bytes);
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        let Some(((header_line, date_col, time_col, activity_col, light_col), grid)) = &mut table
        else {
            if is_column_row(text) {
                let fields = split_fields(text, ';').map_err(|why| err(line_no, why.into()))?;
                let find = |name: &str| fields.iter().position(|f| f == name);
                let activity = find("Atividade").ok_or_else(|| {
                    err(
                        line_no,
                        "the row naming the columns has no Atividade (activity) column".into(),
                    )
                })?;
                let light = find("Luminosidade");
                table = Some((
                    (line_no, 0, 1, activity, light),
                    Grid::inferred(light.is_some()),
                ));
            } else if idx >= MAX_HEADER_LINES {
                return Err(err(
                    line_no,
                    format!("no row starting `Data; Hora` in the first {MAX_HEADER_LINES} lines"),
                ));
            } else if let Some((_, rest)) = text.split_once("Série:") {
                serial.get_or_insert(rest.trim().to_string());
            }
            continue;
        };
        if text.is_empty() {
            continue;
        }
        let (date_col, time_col, activity_col, light_col) =
            (*date_col, *time_col, *activity_col, *light_col);
        let fields = split_fields(text, ';').map_err(|why| err(line_no, why.into()))?;
        check_width(
            fields.len(),
            &[Some(time_col), Some(activity_col), light_col],
            header_line,
        )
        .map_err(|m| err(line_no, m))?;
        let date = NaiveDate::parse_from_str(&fields[date_col], "%Y/%m/%d").map_err(|_| {
            err(
                line_no,
                format!(
                    "date {} is not a date like 2000/1/31",
                    quoted(&fields[date_col])
                ),
            )
        })?;
        let time = ["%H:%M:%S", "%H:%M"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(&fields[time_col], f).ok())
            .ok_or_else(|| {
                err(
                    line_no,
                    format!(
                        "time {} is not a time like 00:01:00",
                        quoted(&fields[time_col])
                    ),
                )
            })?;
        let value = |col: usize, what: &str| {
            optional_count(&fields[col], what).map_err(|m| err(line_no, m))
        };
        let activity = value(activity_col, "activity")?;
        let light = match light_col {
            Some(col) => value(col, "light")?,
            None => None,
        };
        grid.push(line_no, date.and_time(time), activity, light)
            .map_err(|m| err(line_no, m))?;
    }
    progress(bytes);
    let file_error = |message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let (_, grid) = table
        .ok_or_else(|| file_error("no row starting `Data; Hora` naming the columns".into()))?;
    let Some(start) = grid.start() else {
        return Err(file_error(
            "no data rows after the row naming the columns".into(),
        ));
    };
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
        format: FileFormat::Tempatilumi,
        subject: None,
        device_model: None,
        device_serial: serial.filter(|s| !s.is_empty()),
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
            "Optional line with comments\r\n\r\nN\u{b0} de S\u{e9}rie: 00042\r\n\r\n\
             Data; Hora; Evento; Luminosidade; Atividade\r\n{rows}"
        )
    }

    #[test]
    fn rows_with_an_inferred_epoch() {
        let text = export("2000/1/1; 00:00:00; 1; 0; 0;\r\n2000/1/1; 00:01:00; 0; 3.5; 723;\r\n2000/1/1; 00:03:00; 0; 1; 5;\r\n");
        assert!(looks_like_tempatilumi(text.as_bytes()));
        let rec = parse_tempatilumi(text.as_bytes(), "t.txt", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2000-01-01 00:00:00");
        assert_eq!(rec.epoch_seconds, 60);
        assert_eq!(rec.counts, vec![Some(0.0), Some(723.0), None, Some(5.0)]);
        assert_eq!(rec.light, Some(vec![Some(0.0), Some(3.5), None, Some(1.0)]));
        assert_eq!(rec.device_serial.as_deref(), Some("00042"));
        // The same export in Latin-1.
        let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        let rec = parse_tempatilumi(&latin1[..], "t.txt", |_| {}).expect("parses");
        assert_eq!(rec.device_serial.as_deref(), Some("00042"));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (export("2000/1/1; 00:00:00; 1; 0; -4;\r\n"), "t.txt, line 6:", "activity \"-4\""),
            (export("2000/1/1; 00:00:00; 1; 0\r\n"), "t.txt, line 6:", "the row has 4 fields"),
            (export("1/1/2000; 00:00:00; 1; 0; 4;\r\n"), "t.txt, line 6:", "not a date"),
            (export("2000/1/1; 00:00:00; 1; 0; 4;\r\n2000/1/1; 00:01:00; 1; 0; 4;\r\n2000/1/1; 00:01:30; 1; 0; 4;\r\n"), "t.txt, line 8:", "whole number of 60-second"),
            (export("2000/1/1; 00:00:00; 1; 0; 4;\r\n"), "t.txt:", "single data row"),
            ("Data; Hora; Evento\r\n".to_string(), "t.txt, line 1:", "no Atividade"),
            ("just text\r\n".to_string(), "t.txt:", "no row starting"),
        ];
        for (text, start, fragment) in cases {
            let message = parse_tempatilumi(text.as_bytes(), "t.txt", |_| {})
                .expect_err("rejected")
                .to_string();
            assert!(
                message.starts_with(start) && message.contains(fragment),
                "{message}"
            );
        }
    }
}
