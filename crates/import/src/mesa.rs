//! MESA actigraphy CSV files (Multi-Ethnic Study of Atherosclerosis, as
//! the NSRR distributes them), as pyActigraphy's `read_raw_mesa` reads them.
//!
//! A header row naming the columns (`mesaid,line,linetime,offwrist,activity,
//! marker,whitelight,…,dayofweek,daybymidnight,daybynoon`), then one row per
//! 30-second epoch. The files hold no dates: like pyActigraphy (with its
//! default `time_origin` of 2000-01-01), an epoch's date is 2000-01-01 plus
//! `daybymidnight - 1 + dayofweek` days, `dayofweek` being the first row's.
//! An empty activity is a gap; `whitelight` (lux) is kept as light.

use crate::lines::{quoted, BoundedLines};
use crate::table::{optional_count, split_fields, Grid};
use crate::{ActivityRecording, FileFormat, ImportError};
use chrono::{NaiveDate, NaiveTime};
use std::io::BufRead;

/// MESA epochs are 30 seconds.
const EPOCH_SECONDS: u32 = 30;

/// Whether `head` (the first bytes of a file) looks like a MESA CSV: a
/// first row naming `mesaid`, `linetime` and `activity`.
pub fn looks_like_mesa(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .is_some_and(|line| {
            let names: Vec<&str> = line
                .split(',')
                .map(|f| f.trim().trim_matches('"'))
                .collect();
            ["mesaid", "linetime", "activity"]
                .iter()
                .all(|n| names.contains(n))
        })
}

/// Parses a MESA CSV. `progress` is called with bytes read.
pub fn parse_mesa(
    input: impl BufRead,
    file: &str,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let err = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    struct Columns {
        id: usize,
        time: usize,
        activity: usize,
        light: Option<usize>,
        day_of_week: usize,
        day: usize,
        needed: usize,
    }
    let mut columns: Option<Columns> = None;
    let mut grid = Grid::new(EPOCH_SECONDS, true);
    let mut subject: Option<String> = None;
    let mut origin: Option<NaiveDate> = None;
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
        let Some(cols) = &columns else {
            let find = |name: &str| {
                fields
                    .iter()
                    .position(|f| f == name)
                    .ok_or_else(|| err(line_no, format!("the first row names no {name:?} column")))
            };
            let (id, time, activity) = (find("mesaid")?, find("linetime")?, find("activity")?);
            let (day_of_week, day) = (find("dayofweek")?, find("daybymidnight")?);
            let light = find("whitelight").ok();
            let needed = [id, time, activity, day_of_week, day, light.unwrap_or(0)]
                .into_iter()
                .max()
                .unwrap_or(0);
            columns = Some(Columns {
                id,
                time,
                activity,
                light,
                day_of_week,
                day,
                needed,
            });
            continue;
        };
        if fields.len() <= cols.needed {
            return Err(err(
                line_no,
                format!(
                    "the row has {} fields; the first row names {}",
                    fields.len(),
                    cols.needed + 1
                ),
            ));
        }
        let whole = |col: usize, what: &str| {
            fields[col]
                .parse::<i64>()
                .ok()
                .filter(|v| (-100_000..=100_000).contains(v))
                .ok_or_else(|| {
                    err(
                        line_no,
                        format!("{what} {} is not a whole number", quoted(&fields[col])),
                    )
                })
        };
        let day = whole(cols.day, "daybymidnight")?;
        let origin = match origin {
            Some(origin) => origin,
            None => {
                let shift = whole(cols.day_of_week, "dayofweek")?;
                subject = Some(fields[cols.id].clone()).filter(|s| !s.is_empty());
                let base = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
                *origin.insert(base + chrono::Duration::days(shift - 1))
            }
        };
        let time = NaiveTime::parse_from_str(&fields[cols.time], "%H:%M:%S").map_err(|_| {
            err(
                line_no,
                format!(
                    "linetime {} is not a time like 00:00:30",
                    quoted(&fields[cols.time])
                ),
            )
        })?;
        let at = (origin + chrono::Duration::days(day)).and_time(time);
        let value = |col: usize, what: &str| {
            optional_count(&fields[col], what).map_err(|m| err(line_no, m))
        };
        let activity = value(cols.activity, "activity")?;
        let light = match cols.light {
            Some(col) => value(col, "whitelight")?,
            None => None,
        };
        grid.push(line_no, at, activity, light)
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
    if !grid.plausible() {
        return Err(file_error(format!(
            "a recording starting {start} with {} epochs lies outside the years {}; is the date right?",
            grid.counts.len(),
            phr_model::PLAUSIBLE_YEARS
        )));
    }
    Ok(ActivityRecording {
        format: FileFormat::Mesa,
        subject,
        device_model: None,
        device_serial: None,
        start,
        epoch_seconds: EPOCH_SECONDS,
        counts: grid.counts,
        steps: None,
        light: grid.light,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "mesaid,line,linetime,offwrist,activity,marker,whitelight,redlight,greenlight,bluelight,wake,interval,dayofweek,daybymidnight,daybynoon\n";

    #[test]
    fn dates_from_the_day_numbers() {
        let text = format!(
            "{HEADER}X,1,23:59:00,1,,,,,,,1,EXCLUDED,5,1,1\nX,2,23:59:30,0,100.00,0,10.0,5.0,5.0,5.0,1,ACTIVE,5,1,1\n\
             X,3,00:00:00,0,040.00,0,05.0,2.5,2.5,2.5,1,REST,6,2,1\n"
        );
        assert!(looks_like_mesa(text.as_bytes()));
        let rec = parse_mesa(text.as_bytes(), "m.csv", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2000-01-06 23:59:00");
        assert_eq!(rec.counts, vec![None, Some(100.0), Some(40.0)]);
        assert_eq!(rec.light, Some(vec![None, Some(10.0), Some(5.0)]));
        assert_eq!(rec.subject.as_deref(), Some("X"));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (format!("{HEADER}X,1,00:00:00,1,-1,,,,,,1,EXCLUDED,5,1,1\n"), "m.csv, line 2:", "activity \"-1\""),
            (format!("{HEADER}X,1,00:00:00,1,1\n"), "m.csv, line 2:", "the row has 5 fields"),
            (format!("{HEADER}X,1,0:0,1,1,,,,,,1,EXCLUDED,5,1,1\n"), "m.csv, line 2:", "linetime \"0:0\""),
            (format!("{HEADER}X,1,00:00:00,1,1,,,,,,1,EXCLUDED,5,one,1\n"), "m.csv, line 2:", "daybymidnight \"one\""),
            (format!("{HEADER}X,1,00:00:00,1,1,,,,,,1,EXCLUDED,5,1,1\nX,2,00:00:10,1,1,,,,,,1,EXCLUDED,5,1,1\n"), "m.csv, line 3:", "30-second"),
            ("mesaid,line\n".to_string(), "m.csv, line 1:", "no \"linetime\""),
            (HEADER.to_string(), "m.csv:", "no data rows"),
        ];
        for (text, start, fragment) in cases {
            let message = parse_mesa(text.as_bytes(), "m.csv", |_| {})
                .expect_err("rejected")
                .to_string();
            assert!(
                message.starts_with(start) && message.contains(fragment),
                "{message}"
            );
        }
    }
}
