//! Philips Respironics Actiware CSV exports ("RPX"), in English, French or
//! German, as pyActigraphy's `read_raw_rpx` reads them.
//!
//! * A header of `"Key:","value"` lines (subject identity, Actiwatch type
//!   and serial number, start date and time, epoch length), then a line
//!   naming the epoch-by-epoch section (`Epoch-by-Epoch Data`,
//!   `Données période par période`, `Daten nach Epochen`), notes on its
//!   columns, and the table: a row naming the columns, then one row per
//!   epoch. The language is found from the section's name.
//! * Activity is the `Activity` / `Activité` / `Aktivität` column; white
//!   light (lux) the `White Light` / `Lumière blanche` / `Weißes Licht`
//!   column, when there is one. Missing values: `NaN`, `NAN`, `kZ`, empty.
//!   Numbers may use a decimal comma (German exports with light do).
//! * Dates are day first (`04/07/2015`, `4/02/2015`, `24.01.2020`); an
//!   English export may be month first (US settings): the order is the one
//!   under which the rows follow each other epoch by epoch; when both fit
//!   (a recording within one day, or only dates like `01/01`), month first
//!   if the header's time zone names the US or Canada, else day first.
//! * Like pyActigraphy (`drop_na=True`, then `asfreq`), epochs without
//!   activity at the start and the end are left out, and those between
//!   stay gaps; rows before the header's start time are left out.

use crate::lines::{quoted, BoundedLines};
use crate::table::{check_width, count, is_missing, number, split_fields, Grid};
use crate::{ActivityRecording, FileFormat, ImportError};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::io::BufRead;

/// The words of one language's export.
struct Language {
    /// The line starting the epoch-by-epoch section.
    data: &'static str,
    identity: &'static str,
    device: &'static str,
    serial: &'static str,
    start_date: &'static str,
    start_time: &'static str,
    epoch: &'static str,
    time_zone: &'static str,
    date_column: &'static str,
    time_column: &'static str,
    activity_column: &'static str,
    light_column: &'static str,
    missing: &'static str,
    /// `None`: either order, found from the rows.
    day_first: Option<bool>,
}

const LANGUAGES: [Language; 3] = [
    Language {
        data: "Epoch-by-Epoch Data",
        identity: "Identity",
        device: "Actiwatch Type",
        serial: "Actiwatch Serial Number",
        start_date: "Data Collection Start Date",
        start_time: "Data Collection Start Time",
        epoch: "Epoch Length",
        time_zone: "Time Zone",
        date_column: "Date",
        time_column: "Time",
        activity_column: "Activity",
        light_column: "White Light",
        missing: "NaN",
        day_first: None,
    },
    Language {
        data: "Données période par période",
        identity: "Identité",
        device: "Type d'Actiwatch",
        serial: "Numéro de série de l'Actiwatch",
        start_date: "Date de début de la collecte des données",
        start_time: "Heure de début de la collecte des données",
        epoch: "Longueur de la période",
        time_zone: "Fuseau horaire",
        date_column: "Date",
        time_column: "Heure",
        activity_column: "Activité",
        light_column: "Lumière blanche",
        missing: "NAN",
        day_first: Some(true),
    },
    Language {
        data: "Daten nach Epochen",
        identity: "Identität",
        device: "Actiwatch-Typ",
        serial: "Actiwatch-Seriennummer",
        start_date: "Startdatum der Datenerfassung",
        start_time: "Startzeit der Datenerfassung",
        epoch: "Epochenlänge",
        time_zone: "Zeitzone",
        date_column: "Datum",
        time_column: "Zeit",
        activity_column: "Aktivität",
        light_column: "Weißes Licht",
        missing: "kZ",
        day_first: Some(true),
    },
];

/// The most header lines before the epoch-by-epoch section.
const MAX_HEADER_LINES: usize = 10_000;

/// Whether `head` (the first bytes of a file) looks like an Actiware CSV
/// export: its first line names Actiware.
pub fn looks_like_rpx(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .is_some_and(|line| line.contains("Actiware"))
}

/// A header key: the first field without its colon and spaces (French
/// exports put a no-break space before the colon).
fn key(field: &str) -> &str {
    field.trim().trim_end_matches(':').trim()
}

/// A row of the table, kept until the date order is known.
struct Row {
    line: u64,
    date: usize,
    time: NaiveTime,
    count: Option<f64>,
    light: Option<f64>,
}

fn parse_date(text: &str, day_first: bool) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    let [a, b, year] = parts[..] else { return None };
    let (day, month) = if day_first { (a, b) } else { (b, a) };
    if year.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(text.trim(), f).ok())
}

/// Parses an Actiware CSV export. `progress` is called with bytes read.
pub fn parse_rpx(
    input: impl BufRead,
    file: &str,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let err = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    let mut header: Vec<(String, String)> = Vec::new();
    let mut language: Option<&Language> = None;
    // (line, date, time, activity, light) column indices, once found.
    let mut columns: Option<(u64, usize, usize, usize, Option<usize>)> = None;
    let mut dates: Vec<String> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
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
        let Some(lang) = language else {
            if let Some(found) = LANGUAGES.iter().find(|l| fields[0].contains(l.data)) {
                language = Some(found);
            } else if idx >= MAX_HEADER_LINES {
                return Err(err(
                    line_no,
                    format!("no epoch-by-epoch section in the first {MAX_HEADER_LINES} lines; is this an Actiware export?"),
                ));
            } else {
                let value = fields.get(1).cloned().unwrap_or_default();
                header.push((key(&fields[0]).to_string(), value));
            }
            continue;
        };
        let Some((header_line, date_col, time_col, activity_col, light_col)) = columns else {
            let find = |name: &str| fields.iter().position(|f| f == name);
            if let (Some(d), Some(t), Some(a)) = (
                find(lang.date_column),
                find(lang.time_column),
                find(lang.activity_column),
            ) {
                columns = Some((line_no, d, t, a, find(lang.light_column)));
            }
            continue;
        };
        check_width(
            fields.len(),
            &[
                Some(date_col),
                Some(time_col),
                Some(activity_col),
                light_col,
            ],
            header_line,
        )
        .map_err(|m| err(line_no, m))?;
        let date_text = &fields[date_col];
        if dates.last() != Some(date_text) {
            if parse_date(date_text, true).is_none() && parse_date(date_text, false).is_none() {
                return Err(err(
                    line_no,
                    format!("date {} is not a date like 04/07/2015", quoted(date_text)),
                ));
            }
            dates.push(date_text.clone());
        }
        let time = parse_time(&fields[time_col]).ok_or_else(|| {
            err(
                line_no,
                format!(
                    "time {} is not a time like 09:45:00",
                    quoted(&fields[time_col])
                ),
            )
        })?;
        let value = |col: usize, what: &str| -> Result<Option<f64>, ImportError> {
            let text = fields[col].as_str();
            if is_missing(text, &[lang.missing]) {
                Ok(None)
            } else {
                count(text, what).map(Some).map_err(|m| err(line_no, m))
            }
        };
        let count = value(activity_col, "activity")?;
        let light = match light_col {
            Some(col) => value(col, "light")?,
            None => None,
        };
        if rows.len() as u64 >= crate::MAX_EPOCHS {
            return Err(err(
                line_no,
                format!(
                    "more than {} epochs; a recording holds at most that many",
                    crate::MAX_EPOCHS
                ),
            ));
        }
        rows.push(Row {
            line: line_no,
            date: dates.len() - 1,
            time,
            count,
            light,
        });
    }
    progress(bytes);
    let file_error = |message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let lang = language.ok_or_else(|| {
        file_error(
            "no epoch-by-epoch section (\"Epoch-by-Epoch Data\", \"Données période par période\" or \"Daten nach Epochen\")".into(),
        )
    })?;
    let Some((_, _, _, _, light_col)) = columns else {
        return Err(file_error(format!(
            "the epoch-by-epoch section has no row naming the columns {:?}, {:?} and {:?}",
            lang.date_column, lang.time_column, lang.activity_column
        )));
    };
    let field = |name: &str| {
        header
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let epoch_seconds = field(lang.epoch)
        .and_then(|v| number(&v))
        .filter(|v| v.fract() == 0.0 && (1.0..=86_400.0).contains(v))
        .map(|v| v as u32)
        .ok_or_else(|| {
            file_error(format!(
                "the header gives no epoch length ({:?}) of 1 to 86400 seconds",
                lang.epoch
            ))
        })?;
    let orders: Vec<bool> = match lang.day_first {
        Some(day_first) => vec![day_first],
        None => {
            let us = field(lang.time_zone)
                .is_some_and(|zone| zone.contains("US") || zone.contains("Canada"));
            vec![!us, us]
        }
    };
    let header_start = |day_first: bool| {
        let date = parse_date(&field(lang.start_date)?, day_first)?;
        Some(date.and_time(parse_time(&field(lang.start_time)?)?))
    };
    // Actiware writes a row for every epoch: the order under which the rows
    // follow each other epoch by epoch is the right one; failing that, the
    // first under which they make a grid (gaps allowed).
    let mut first_error = None;
    for strict in [true, false] {
        for &day_first in &orders {
            let start = header_start(day_first);
            match grid(
                &rows,
                &dates,
                day_first,
                epoch_seconds,
                light_col.is_some(),
                start,
                strict,
            ) {
                Ok(grid) => return recording(grid, lang, &field, epoch_seconds, file),
                Err((line, message)) if !strict => {
                    first_error.get_or_insert(err(line, message));
                }
                Err(_) => {}
            }
        }
    }
    Err(first_error.unwrap_or_else(|| file_error("no epochs".into())))
}

/// The rows on a grid, dates read in one order; `Err` names the line.
fn grid(
    rows: &[Row],
    dates: &[String],
    day_first: bool,
    epoch_seconds: u32,
    with_light: bool,
    header_start: Option<NaiveDateTime>,
    strict: bool,
) -> Result<Grid, (u64, String)> {
    let mut parsed = Vec::with_capacity(dates.len());
    for date in dates {
        parsed.push(parse_date(date, day_first));
    }
    let mut grid = Grid::new(epoch_seconds, with_light);
    let mut previous: Option<NaiveDateTime> = None;
    for row in rows {
        let Some(date) = parsed[row.date] else {
            return Err((
                row.line,
                format!(
                    "date {} is not a date like 04/07/2015",
                    quoted(&dates[row.date])
                ),
            ));
        };
        let at = date.and_time(row.time);
        if header_start.is_some_and(|start| at < start) {
            continue;
        }
        if strict
            && previous.is_some_and(|p| at - p != chrono::Duration::seconds(epoch_seconds.into()))
        {
            return Err((row.line, "not one epoch after the row above".into()));
        }
        previous = Some(at);
        grid.push(row.line, at, row.count, row.light)
            .map_err(|m| (row.line, m))?;
    }
    grid.trim_missing();
    Ok(grid)
}

fn recording(
    grid: Grid,
    lang: &Language,
    field: &dyn Fn(&str) -> Option<String>,
    epoch_seconds: u32,
    file: &str,
) -> Result<ActivityRecording, ImportError> {
    let file_error = |message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let Some(start) = grid.start().filter(|_| !grid.counts.is_empty()) else {
        return Err(file_error("no epoch with an activity count".into()));
    };
    if !grid.plausible() {
        return Err(file_error(format!(
            "a recording starting {start} with {} epochs lies outside the years {}; is the date right?",
            grid.counts.len(),
            phr_model::PLAUSIBLE_YEARS
        )));
    }
    Ok(ActivityRecording {
        format: FileFormat::Rpx,
        subject: field(lang.identity),
        device_model: field(lang.device),
        device_serial: field(lang.serial),
        start,
        epoch_seconds,
        counts: grid.counts,
        steps: None,
        light: grid.light,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english(rows: &str) -> String {
        format!(
            "\u{feff}\"Actiware Export File  (Version 05.00 )\"\r\n\"Identity:\",\"S1\"\r\n\
             \"Actiwatch Type:\",\"Actiwatch 2\"\r\n\"Data Collection Start Date:\",\"04/07/2015\"\r\n\
             \"Data Collection Start Time:\",\"23:59:00\"\r\n\"Time Zone:\",\"(UTC) London\"\r\n\
             \"Epoch Length:\",\"30\",\"seconds\",\"\"\r\n\"Actiwatch Serial Number:\",\"A1\"\r\n\r\n\
             \"-------------------- Epoch-by-Epoch Data -------------------\"\r\n\r\n\
             \"Date:\",\"Date (start of epoch)\"\r\n\r\n\
             \"Line\",\"Date\",\"Time\",\"Activity\",\"Marker\",\"White Light\",\r\n\r\n{rows}"
        )
    }

    #[test]
    fn an_english_export_with_light() {
        let text = english(
            "\"1\",\"04/07/2015\",\"23:59:00\",\"NaN\",\"0\",\"0.01\",\r\n\
             \"2\",\"04/07/2015\",\"23:59:30\",\"5\",\"0\",\"0.02\",\r\n\
             \"3\",\"05/07/2015\",\"00:00:00\",\"NaN\",\"0\",\"NaN\",\r\n\
             \"4\",\"05/07/2015\",\"00:00:30\",\"7\",\"0\",\"12.5\",\r\n\
             \"5\",\"05/07/2015\",\"00:01:00\",\"NaN\",\"0\",\"1\"\r\n",
        );
        assert!(looks_like_rpx(text.as_bytes()));
        let rec = parse_rpx(text.as_bytes(), "t.csv", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2015-07-04 23:59:30");
        assert_eq!(rec.epoch_seconds, 30);
        assert_eq!(rec.counts, vec![Some(5.0), None, Some(7.0)]);
        assert_eq!(rec.light, Some(vec![Some(0.02), None, Some(12.5)]));
        assert_eq!(rec.device_serial.as_deref(), Some("A1"));
        assert_eq!(rec.device_model.as_deref(), Some("Actiwatch 2"));
        assert_eq!(rec.subject.as_deref(), Some("S1"));
    }

    #[test]
    fn month_first_when_the_rows_say_so() {
        let text = english(
            "\"1\",\"07/04/2015\",\"23:59:00\",\"1\",\"0\",\"1\",\r\n\
             \"2\",\"07/04/2015\",\"23:59:30\",\"2\",\"0\",\"1\",\r\n\
             \"3\",\"07/05/2015\",\"00:00:00\",\"3\",\"0\",\"1\",\r\n",
        )
        .replace("\"04/07/2015\"", "\"07/04/2015\"");
        let rec = parse_rpx(text.as_bytes(), "t.csv", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2015-07-04 23:59:00");
        assert_eq!(rec.counts.len(), 3);
    }

    #[test]
    fn an_ambiguous_date_follows_the_time_zone() {
        let rows = "\"1\",\"04/07/2015\",\"23:59:00\",\"1\",\"0\",\"1\",\r\n";
        let uk = parse_rpx(english(rows).as_bytes(), "t.csv", |_| {}).expect("parses");
        assert_eq!(uk.start.to_string(), "2015-07-04 23:59:00");
        let us_text =
            english(rows).replace("(UTC) London", "(UTC-05:00) Eastern Time (US & Canada)");
        let us = parse_rpx(us_text.as_bytes(), "t.csv", |_| {}).expect("parses");
        assert_eq!(us.start.to_string(), "2015-04-07 23:59:00");
    }

    #[test]
    fn a_german_export_with_decimal_commas() {
        let text = "\"Actiware-Exportdatei (Version 05.00 )\"\r\n\"Identität:\",\"G\"\r\n\
             \"Epochenlänge:\",\"30\",\"Sekunden\",\"\"\r\n\r\n\
             \"-------------------- Daten nach Epochen -------------------\"\r\n\r\n\
             \"Zeile\",\"Datum\",\"Zeit\",\"Aktivität\",\"Weißes Licht\"\r\n\r\n\
             1,19.09.2019,14:00:00,307,\"184,13\"\r\n2,19.09.2019,14:00:30,kZ,\"2,35E+02\"\r\n\
             3,19.09.2019,14:01:00,253,kZ\r\n";
        let rec = parse_rpx(text.as_bytes(), "g.csv", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2019-09-19 14:00:00");
        assert_eq!(rec.counts, vec![Some(307.0), None, Some(253.0)]);
        assert_eq!(rec.light, Some(vec![Some(184.13), Some(235.0), None]));
    }

    #[test]
    fn errors_name_the_line() {
        let row = |r: &str| {
            english(&format!(
                "\"1\",\"04/07/2015\",\"23:59:00\",\"1\",\"0\",\"1\",\r\n{r}"
            ))
        };
        let cases = [
            (
                row("\"2\",\"04/07/2015\",\"23:59:30\",\"-1\",\"0\",\"1\",\r\n"),
                "line 17",
                "activity \"-1\"",
            ),
            (
                row("\"2\",\"04/07/2015\",\"23:59:30\",\"x\",\"0\",\"1\",\r\n"),
                "line 17",
                "activity \"x\"",
            ),
            (
                row("\"2\",\"04/07/2015\",\"23:59:30\",\"1\"\r\n"),
                "line 17",
                "the row has 4 fields",
            ),
            (
                row("\"2\",\"04/07/2015\",\"23:59:30\",\"1"),
                "line 17",
                "inside a quoted field",
            ),
            (
                row("\"2\",\"04/07/2015\",\"23:59:10\",\"1\",\"0\",\"1\",\r\n"),
                "line 17",
                "whole number of 30-second",
            ),
            (
                row("\"2\",\"31/31/2015\",\"23:59:30\",\"1\",\"0\",\"1\",\r\n"),
                "line 17",
                "not a date",
            ),
            (
                row("\"2\",\"04/07/2015\",\"25:99\",\"1\",\"0\",\"1\",\r\n"),
                "line 17",
                "not a time",
            ),
        ];
        for (text, line, fragment) in cases {
            let message = parse_rpx(text.as_bytes(), "t.csv", |_| {})
                .expect_err("rejected")
                .to_string();
            assert!(
                message.starts_with(&format!("t.csv, {line}:")) && message.contains(fragment),
                "{message}"
            );
        }
        let cut = english("");
        let cut = &cut[..cut[..cut.find("Epoch-by").unwrap()].rfind('\n').unwrap() + 1];
        let message = parse_rpx(cut.as_bytes(), "t.csv", |_| {})
            .expect_err("cut")
            .to_string();
        assert!(message.contains("no epoch-by-epoch section"), "{message}");
        let message = parse_rpx(english("").as_bytes(), "t.csv", |_| {})
            .expect_err("empty")
            .to_string();
        assert!(
            message.contains("no epoch with an activity count"),
            "{message}"
        );
    }
}
