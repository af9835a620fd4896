//! Minute activity CSV: `timestamp,count` in local time without a zone, one
//! row per epoch, with or without a header naming the columns.
//!
//! * Without a header the first column is the timestamp and the second the
//!   count. With a header, the timestamp column is the one named `timestamp`,
//!   `datetime`, `date_time` or `time`, and the count column `count`,
//!   `counts`, `activity` or `value` (case-insensitive); other columns are
//!   ignored.
//! * Timestamps: `YYYY-MM-DD HH:MM[:SS]`, with `T` or a space, or `/` in the
//!   date. They must increase strictly; the epoch length is the step between
//!   the first two rows and every later step must be a whole number of epochs
//!   (gaps are allowed and stay gaps).
//! * An empty count, `NaN` or `NA` is a missing epoch (a gap, not a zero).

use crate::lines::{quoted, BoundedLines, Line};
use crate::{ImportError, MAX_EPOCHS};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use phr_model::{ActivityEpoch, Stamp, PLAUSIBLE_UTC, PLAUSIBLE_YEARS};
use std::io::BufRead;

/// The parsed content of a minute CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteCsv {
    /// One entry per epoch with a count, in order.
    pub epochs: Vec<ActivityEpoch>,
    /// Epochs listed with no count (gaps in the recording).
    pub missing: u64,
    /// Lines read, header and blanks included.
    pub lines: u64,
    /// First and last timestamps listed, with or without a count.
    pub listed: Option<(Stamp, Stamp)>,
}

impl MinuteCsv {
    /// The epochs on a regular wall-clock grid (gaps as `None`), as the
    /// analysis takes them. Parse with a zone without daylight saving (UTC)
    /// when the grid should follow the file's wall-clock times exactly.
    pub fn into_recording(self) -> crate::ActivityRecording {
        let epoch_seconds = self.epochs.first().map_or(60, |e| e.epoch_seconds);
        let (first, last) = self.listed.unwrap_or_default();
        let slot = |utc: i64| ((utc - first.utc) / i64::from(epoch_seconds)) as usize;
        let mut counts: Vec<Option<f64>> = vec![None; slot(last.utc) + 1];
        for e in &self.epochs {
            counts[slot(e.at.utc)] = Some(f64::from(e.count));
        }
        let start: NaiveDateTime = first.local();
        crate::ActivityRecording::on_grid(crate::FileFormat::Csv, start, epoch_seconds, counts)
    }
}

/// The longest epoch (the step between the first two rows): a day.
const MAX_EPOCH_SECONDS: i64 = 86_400;
const TIME_NAMES: [&str; 4] = ["timestamp", "datetime", "date_time", "time"];
const COUNT_NAMES: [&str; 4] = ["count", "counts", "activity", "value"];
const FORMATS: [&str; 6] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
];

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// Parses a minute CSV read from `input`. `file` names it in errors; `zone`
/// resolves its wall-clock times; `progress` is called with the bytes read so
/// far every few thousand lines.
pub fn parse_minute_csv(
    input: impl BufRead,
    file: &str,
    zone: Tz,
    mut progress: impl FnMut(u64),
) -> Result<MinuteCsv, ImportError> {
    let line_error = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    let mut result = MinuteCsv {
        epochs: Vec::new(),
        missing: 0,
        lines: 0,
        listed: None,
    };
    let mut columns: Option<(usize, usize)> = None;
    let mut previous: Option<(Stamp, u64)> = None;
    let mut epoch_seconds: Option<i64> = None;
    let mut bytes_read = 0u64;
    let mut cut_short: Option<(u64, &str)> = None;
    for (idx, line) in BoundedLines::new(input).enumerate() {
        let line_no = idx as u64 + 1;
        result.lines = line_no;
        let Line {
            text: line,
            terminated,
        } = line.map_err(|e| {
            line_error(
                line_no,
                e.message(|e| match e.kind() {
                    std::io::ErrorKind::InvalidData => "not UTF-8 text".into(),
                    _ => format!("read failed: {e}"),
                }),
            )
        })?;
        bytes_read += line.len() as u64 + 1;
        if line_no.is_multiple_of(4096) {
            progress(bytes_read);
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let raw: Vec<&str> = text.split(',').map(str::trim).collect();
        let fields: Vec<&str> = raw.iter().map(|f| f.trim_matches('"')).collect();
        let (time_col, count_col) = match columns {
            Some(cols) => cols,
            None => {
                let cols = if parse_time(fields[0]).is_some() {
                    (0, 1)
                } else {
                    header_columns(&fields).ok_or_else(|| {
                        line_error(
                            line_no,
                            format!(
                                "expected a header naming a timestamp and a count column, or a first row like `2026-03-01 00:00:00,12`; found {}",
                                quoted(text)
                            ),
                        )
                    })?
                };
                columns = Some(cols);
                if cols != (0, 1) || parse_time(fields[0]).is_none() {
                    continue; // that was the header
                }
                cols
            }
        };
        let time_text = fields
            .get(time_col)
            .ok_or_else(|| line_error(line_no, "missing timestamp column".into()))?;
        let local = parse_time(time_text).ok_or_else(|| {
            line_error(
                line_no,
                format!(
                    "{} is not a timestamp like 2026-03-01 00:00:00",
                    quoted(time_text)
                ),
            )
        })?;
        let count_text = fields.get(count_col).copied().unwrap_or("");
        // Whether this row looks cut short, which is an error if it is the
        // last (a row of the file's middle keeps its documented meaning).
        let unclosed = |col: usize| raw.get(col).is_some_and(|f| unclosed_quote(f));
        cut_short = if count_col >= fields.len() {
            Some((line_no, "the row has no count field"))
        } else if !terminated && count_text.is_empty() {
            Some((line_no, "the last row ends before its count"))
        } else if !terminated && (unclosed(time_col) || unclosed(count_col)) {
            Some((line_no, "the last row ends inside a quoted field"))
        } else {
            None
        };
        let stamp = Stamp::from_local(local, zone, previous.map(|p| p.0))
            .map_err(|e| line_error(line_no, e.to_string()))?;
        if !PLAUSIBLE_UTC.contains(&stamp.utc) {
            return Err(line_error(
                line_no,
                format!("time {local} is outside the years {PLAUSIBLE_YEARS}; is the date right?"),
            ));
        }
        if let Some((prev, prev_line)) = previous {
            let step = stamp.utc - prev.utc;
            if step <= 0 {
                return Err(line_error(
                    line_no,
                    format!(
                        "time {local} does not come after line {prev_line} ({})",
                        prev.local()
                    ),
                ));
            }
            if epoch_seconds.is_none() && step > MAX_EPOCH_SECONDS {
                return Err(line_error(
                    line_no,
                    format!(
                        "time {local} is {step} seconds after line {prev_line}; the first two rows give the epoch, which is at most a day"
                    ),
                ));
            }
            let epoch = *epoch_seconds.get_or_insert(step);
            if step % epoch != 0 {
                return Err(line_error(
                    line_no,
                    format!("time {local} is not a whole number of {epoch}-second epochs after line {prev_line}"),
                ));
            }
        }
        if let (Some((first, _)), Some(epoch)) = (result.listed, epoch_seconds) {
            if ((stamp.utc - first.utc) / epoch) as u64 >= MAX_EPOCHS {
                return Err(line_error(
                    line_no,
                    format!(
                        "time {local} is {} days after the first row ({}); a recording spans at most {MAX_EPOCHS} epochs ({} days of {epoch}-second epochs); is the date right?",
                        (stamp.utc - first.utc) / 86_400,
                        first.local(),
                        MAX_EPOCHS as i64 * epoch / 86_400,
                    ),
                ));
            }
        }
        previous = Some((stamp, line_no));
        result.listed = Some((result.listed.map_or(stamp, |(first, _)| first), stamp));
        if count_text.is_empty()
            || count_text.eq_ignore_ascii_case("nan")
            || count_text.eq_ignore_ascii_case("na")
        {
            result.missing += 1;
            continue;
        }
        let count = parse_count(count_text).ok_or_else(|| {
            line_error(
                line_no,
                format!(
                    "count {} is not a whole number of 0 or more",
                    quoted(count_text)
                ),
            )
        })?;
        result.epochs.push(ActivityEpoch {
            at: stamp,
            epoch_seconds: 0, // set below once the epoch is known
            count,
        });
    }
    if let Some((line, why)) = cut_short {
        return Err(line_error(line, format!("{why}; is the file cut short?")));
    }
    if result.epochs.is_empty() {
        return Err(ImportError::File {
            file: file.to_string(),
            message: "no activity rows found".into(),
        });
    }
    let epoch = epoch_seconds.unwrap_or(60) as u32;
    for e in &mut result.epochs {
        e.epoch_seconds = epoch;
    }
    progress(bytes_read);
    Ok(result)
}

/// Whether a field holds an odd number of quotes: one opened and not closed.
fn unclosed_quote(field: &str) -> bool {
    field.matches('"').count() % 2 == 1
}

fn header_columns(fields: &[&str]) -> Option<(usize, usize)> {
    let find = |names: &[&str]| {
        fields
            .iter()
            .position(|f| names.iter().any(|n| f.eq_ignore_ascii_case(n)))
    };
    Some((find(&TIME_NAMES)?, find(&COUNT_NAMES)?))
}

fn parse_count(text: &str) -> Option<u32> {
    if let Ok(value) = text.parse::<u32>() {
        return Some(value);
    }
    // Some exporters write whole counts as `12.0`.
    let value: f64 = text.parse().ok()?;
    (value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value)).then_some(value as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> Tz {
        phr_model::parse_time_zone("Asia/Tokyo").expect("zone")
    }

    fn parse(text: &str) -> Result<MinuteCsv, ImportError> {
        parse_minute_csv(text.as_bytes(), "in.csv", tokyo(), |_| {})
    }

    fn error_line(text: &str) -> (u64, String) {
        match parse(text).expect_err("must be rejected") {
            ImportError::Line { line, message, .. } => (line, message),
            other => panic!("not a line error: {other}"),
        }
    }

    #[test]
    fn plain_rows_without_header() {
        let csv = parse("2026-03-01 00:00:00,0\n2026-03-01 00:01:00,12\n").expect("ok");
        assert_eq!(csv.epochs.len(), 2);
        assert_eq!(csv.epochs[1].count, 12);
        assert_eq!(csv.epochs[1].epoch_seconds, 60);
        assert_eq!(csv.epochs[0].at.offset_seconds, 32_400);
        assert_eq!(csv.epochs[0].at.local().to_string(), "2026-03-01 00:00:00");
    }

    #[test]
    fn header_names_the_columns_in_any_order() {
        let csv = parse("\u{feff}Activity,Other,Date_Time\r\n5,x,2026-03-01T00:00\r\n,y,2026-03-01T00:01\r\n7.0,z,2026-03-01T00:02\r\n")
            .expect("ok");
        assert_eq!(
            csv.epochs.iter().map(|e| e.count).collect::<Vec<_>>(),
            vec![5, 7]
        );
        assert_eq!(csv.missing, 1);
        assert_eq!(csv.epochs[1].at.utc - csv.epochs[0].at.utc, 120);
    }

    #[test]
    fn thirty_second_epochs_are_detected() {
        let csv = parse("timestamp,count\n2026-03-01 00:00:00,1\n2026-03-01 00:00:30,2\n2026-03-01 00:02:00,3\n").expect("ok");
        assert!(csv.epochs.iter().all(|e| e.epoch_seconds == 30));
    }

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let cases = [
            (
                "timestamp,count\n2026-03-01 00:00:00,1\n2026-03-01 00:01:00,-4\n",
                3,
                "count \"-4\"",
            ),
            (
                "timestamp,count\n2026-03-01 00:00:00,1\n2026-13-01 00:01:00,4\n",
                3,
                "not a timestamp",
            ),
            (
                "2026-03-01 00:01:00,1\n2026-03-01 00:00:00,4\n",
                2,
                "does not come after line 1",
            ),
            (
                "2026-03-01 00:01:00,1\n2026-03-01 00:01:00,4\n",
                2,
                "does not come after",
            ),
            (
                "2026-03-01 00:00:00,1\n2026-03-01 00:01:00,4\n2026-03-01 00:01:30,4\n",
                3,
                "whole number of 60-second epochs",
            ),
            (
                "when,how much\n2026-03-01 00:00:00,1\n",
                1,
                "expected a header",
            ),
            (
                "2026-03-01 00:00:00,1\n\n2026-03-01 00:01:00,abc\n",
                3,
                "\"abc\"",
            ),
        ];
        for (text, line, fragment) in cases {
            let (got_line, message) = error_line(text);
            assert_eq!(got_line, line, "{text:?}: {message}");
            assert!(message.contains(fragment), "{text:?}: {message}");
        }
    }

    /// A mistyped year must be an error on its line, not a grid of billions
    /// of epochs for the analysis (found by fuzzing: `phr analyze` ran out
    /// of memory) nor an error without a line from the vault.
    #[test]
    fn implausible_dates_are_reported_with_their_line() {
        let rows = "timestamp,count\n2026-03-01 00:00:00,12\n2026-03-01 00:01:00,0\n";
        let (line, message) = error_line(&format!("{rows}2626-03-01 00:04:00,7\n"));
        assert_eq!(line, 4);
        assert!(message.contains("outside the years 1900-2199"), "{message}");
        let (line, message) = error_line(&format!("{rows}2062-03-01 00:04:00,7\n"));
        assert_eq!(line, 4);
        let days = "13149 days after the first row (2026-03-01 00:00:00)";
        assert!(message.contains(days), "{message}");
        assert!(
            message.contains("5825 days of 60-second epochs"),
            "{message}"
        );
        // Just inside the bound is fine.
        let last = "2042-02-10 10:07:00"; // 2^23 - 1 minutes after the first row
        let csv = parse(&format!("{rows}{last},7\n")).expect("inside the bound");
        assert_eq!(csv.into_recording().counts.len() as u64, MAX_EPOCHS);
        let (line, message) = error_line("2300-01-01 00:00,1\n");
        assert_eq!(line, 1);
        assert!(message.contains("outside the years 1900-2199"), "{message}");
        let (line, message) = error_line("2026-03-01 00:00,1\n2026-03-03 00:00,1\n");
        assert_eq!(line, 2);
        assert!(message.contains("172800 seconds after line 1"), "{message}");
        assert!(parse("2026-03-01 00:00,1\n2026-03-02 00:00,1\n").is_ok());
    }

    /// Red-team finding: no line-length limit, and a bad field echoed
    /// whole in the error.
    #[test]
    fn a_huge_line_or_field_gives_a_short_error() {
        let rows = "timestamp,count\n2026-03-01 00:00:00,1\n";
        let (line, message) = error_line(&format!(
            "{rows}2026-03-01 00:01:00,{}\n",
            "7".repeat(1 << 20)
        ));
        assert_eq!(line, 3);
        assert!(message.contains("longer than 65536 bytes"), "{message}");
        let err = parse(&format!("{rows}{}\n", "x".repeat(1 << 20))).expect_err("long");
        assert!(err.to_string().len() < 200, "{err}");
        let (line, message) = error_line(&format!(
            "{rows}2026-03-01 00:01:00,{}\n",
            "x".repeat(60_000)
        ));
        assert_eq!(line, 3);
        assert!(
            message.len() < 200 && message.contains("(60000 bytes)"),
            "{message}"
        );
        let (_, message) = error_line(&format!("{}\n", "y".repeat(60_000)));
        assert!(
            message.len() < 300 && message.contains("expected a header"),
            "{message}"
        );
        let (_, message) = error_line(&format!("{rows}{},1\n", "2".repeat(60_000)));
        assert!(
            message.len() < 200 && message.contains("not a timestamp"),
            "{message}"
        );
    }

    /// `/dev/zero`-like input: refused after reading about one line's
    /// worth, not grown in memory without end.
    #[test]
    fn endless_bytes_without_a_newline_are_refused_early() {
        let given = std::rc::Rc::default();
        let zeros = crate::lines::Zeros {
            left: 256 << 20,
            given: std::rc::Rc::clone(&given),
        };
        let err = parse_minute_csv(std::io::BufReader::new(zeros), "/dev/zero", tokyo(), |_| {})
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "/dev/zero, line 1: line longer than 65536 bytes; is this a text file of one reading per line?"
        );
        assert!(
            given.get() <= crate::MAX_LINE_BYTES + 16 * 1024,
            "read {}",
            given.get()
        );
    }

    /// Red-team finding: a last row cut short was taken for a gap.
    #[test]
    fn a_last_row_cut_short_is_an_error_on_its_line() {
        let rows = "timestamp,count\n2026-03-01 00:00:00,1\n";
        for (tail, why) in [
            ("2026-03-01 00:01", "no count field"),
            ("2026-03-01 00:01:00\n\n", "no count field"),
            ("2026-03-01 00:01:00,", "ends before its count"),
            ("2026-03-01 00:01:00,\"12", "inside a quoted field"),
        ] {
            let (line, message) = error_line(&format!("{rows}{tail}"));
            assert_eq!(line, 3, "{tail:?}: {message}");
            assert!(
                message.contains(why) && message.contains("cut short"),
                "{message}"
            );
        }
        // Empty counts with their line ending stay gaps, and so does a row
        // without a count field in the middle of the file.
        for tail in [
            "2026-03-01 00:01:00,\n",
            "2026-03-01 00:01:00\n2026-03-01 00:02:00,4",
            "2026-03-01 00:01:00,\"12\"",
        ] {
            assert!(parse(&format!("{rows}{tail}")).is_ok(), "{tail:?}");
        }
    }

    #[test]
    fn an_empty_file_is_an_error_naming_the_file() {
        assert_eq!(
            parse("timestamp,count\n").expect_err("empty").to_string(),
            "in.csv: no activity rows found"
        );
    }

    #[test]
    fn a_dst_repeated_hour_maps_to_increasing_instants() {
        let berlin = phr_model::parse_time_zone("Europe/Berlin").expect("zone");
        let mut text = String::new();
        for (h, m) in [(1, 59), (2, 0), (2, 59), (2, 0), (2, 59), (3, 0)] {
            text.push_str(&format!("2026-10-25 {h:02}:{m:02}:00,1\n"));
        }
        // 02:00..02:59 twice, with only the boundary minutes listed: steps are
        // multiples of 60 s, so this is a valid series with gaps.
        let csv = parse_minute_csv(text.as_bytes(), "dst.csv", berlin, |_| {}).expect("ok");
        let instants: Vec<i64> = csv.epochs.iter().map(|e| e.at.utc).collect();
        assert!(instants.windows(2).all(|w| w[0] < w[1]), "{instants:?}");
        assert_eq!(instants[3] - instants[1], 3600);
    }

    #[test]
    fn a_dst_skipped_time_is_reported() {
        let berlin = phr_model::parse_time_zone("Europe/Berlin").expect("zone");
        let err = parse_minute_csv(
            "2026-03-29 02:30:00,1\n".as_bytes(),
            "dst.csv",
            berlin,
            |_| {},
        )
        .expect_err("skipped hour");
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
