//! Actiwatch `.AWD` files (CamNtech and Philips Respironics Actiwatches), as
//! pyActigraphy's test data use them.
//!
//! Seven header lines: subject name; start date (`01-Jan-2018`); start time
//! (`08:30`, `08:30:00` or `09:38:00 AM`); epoch code (1 = 15 s, 2 = 30 s,
//! 4 = 1 min, 8 = 2 min, 20 = 5 min, 81 = 2 s, C1 = 5 s, C2 = 10 s); age;
//! serial number, whose first letter names the model; sex. Then one line per
//! epoch: the activity count first, optionally followed by `, <light>` and an
//! `M` event marker. Activity is the first whitespace-separated field, as in
//! pyActigraphy's reader; the second, on models that measure light
//! (serial starting D, L or P), is white light. Other models' second column
//! (pressure, sound, temperature) is not read.

use crate::lines::{quoted, BoundedLines};
use crate::recording::plausible_span;
use crate::{ActivityRecording, FileFormat, ImportError, MAX_EPOCHS};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::io::BufRead;

const HEADER_LINES: usize = 7;

fn epoch_seconds(code: &str) -> Option<u32> {
    Some(match code {
        "1" => 15,
        "2" => 30,
        "4" => 60,
        "8" => 120,
        "20" => 300,
        "81" => 2,
        "C1" => 5,
        "C2" => 10,
        _ => return None,
    })
}

fn model(serial: &str) -> Option<&'static str> {
    Some(match serial.chars().next()?.to_ascii_uppercase() {
        'D' => "Actiwatch-7",
        'I' => "Actiwatch-Insomnia",
        'L' => "Actiwatch-L",
        'M' => "Actiwatch-Mini",
        'P' => "Actiwatch-L-Plus",
        'S' => "Actiwatch-S",
        'T' => "Actiwatch-T",
        'V' => "Actiwatch-4",
        _ => return None,
    })
}

/// Whether the model a serial number names records light in a second
/// column (Actiwatch-7, -L and -L-Plus, as in pyActigraphy's reader).
fn has_light(serial: &str) -> bool {
    matches!(
        serial.chars().next().map(|c| c.to_ascii_uppercase()),
        Some('D' | 'L' | 'P')
    )
}

fn parse_start(date: &str, time: &str) -> Option<NaiveDateTime> {
    let date = NaiveDate::parse_from_str(date, "%d-%b-%Y").ok()?;
    let time = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(time, f).ok())?;
    Some(date.and_time(time))
}

/// Whether `head` (the first bytes of a file) looks like an AWD header: a
/// date like `01-Jan-2018` on the second line.
pub fn looks_like_awd(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .nth(1)
        .is_some_and(|line| NaiveDate::parse_from_str(line.trim(), "%d-%b-%Y").is_ok())
}

/// Parses an AWD file. `progress` is called with bytes read so far.
pub fn parse_awd(
    input: impl BufRead,
    file: &str,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let err = |line: usize, message: String| ImportError::Line {
        file: file.to_string(),
        line: line as u64,
        message,
    };
    let mut header: Vec<String> = Vec::with_capacity(HEADER_LINES);
    let mut counts = Vec::new();
    let mut light = Vec::new();
    let mut bytes = 0u64;
    for (idx, line) in BoundedLines::new(input).enumerate() {
        let line_no = idx + 1;
        let line = line
            .map_err(|e| err(line_no, e.message(|e| format!("not readable text: {e}"))))?
            .text;
        bytes += line.len() as u64 + 1;
        if line_no.is_multiple_of(4096) {
            progress(bytes);
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        if header.len() < HEADER_LINES {
            header.push(text.to_string());
            continue;
        }
        if text.is_empty() {
            continue;
        }
        let mut tokens = text.split_whitespace();
        let first = tokens.next().unwrap_or_default();
        let count: u32 = first.parse().map_err(|_| {
            let why = if first.bytes().all(|b| b.is_ascii_digit()) {
                format!("is more than {}, the largest count", u32::MAX)
            } else {
                "is not a whole number of 0 or more".into()
            };
            err(line_no, format!("activity {} {why}", quoted(first)))
        })?;
        if counts.len() as u64 >= MAX_EPOCHS {
            return Err(err(
                line_no,
                format!("more than {MAX_EPOCHS} epochs; a recording holds at most that many"),
            ));
        }
        counts.push(Some(f64::from(count)));
        if has_light(&header[5]) {
            // `<activity> , <light> [M]`, as pyActigraphy splits it.
            let value = match (tokens.next(), tokens.next()) {
                (Some(","), Some(value)) => {
                    Some(crate::table::count(value, "light").map_err(|m| err(line_no, m))?)
                }
                _ => None,
            };
            light.push(value);
        }
    }
    if header.len() < HEADER_LINES {
        return Err(err(
            header.len() + 1,
            format!("the AWD header has {} of its 7 lines", header.len()),
        ));
    }
    let start = parse_start(&header[1], &header[2]).ok_or_else(|| {
        err(
            2,
            format!(
                "start {} {} is not a date like 01-Jan-2018 and a time like 08:30",
                quoted(&header[1]),
                quoted(&header[2])
            ),
        )
    })?;
    let epoch_seconds = epoch_seconds(&header[3]).ok_or_else(|| {
        err(
            4,
            format!(
                "epoch code {} is not one of 1, 2, 4, 8, 20, 81, C1, C2",
                quoted(&header[3])
            ),
        )
    })?;
    if counts.is_empty() {
        return Err(ImportError::File {
            file: file.to_string(),
            message: "no activity lines after the header".into(),
        });
    }
    if !plausible_span(start, counts.len(), epoch_seconds) {
        return Err(err(
            2,
            format!(
                "a recording starting {start} with {} epochs lies outside the years {}; is the date right?",
                counts.len(),
                phr_model::PLAUSIBLE_YEARS
            ),
        ));
    }
    progress(bytes);
    let serial = header[5].clone();
    let light = has_light(&serial).then_some(light);
    Ok(ActivityRecording {
        format: FileFormat::Awd,
        subject: Some(header[0].clone()).filter(|s| !s.is_empty()),
        device_model: model(&serial).map(str::to_string),
        device_serial: Some(serial).filter(|s| !s.is_empty()),
        start,
        epoch_seconds,
        counts,
        steps: None,
        light,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "TEST_SAMPLE\r\n01-Jan-2018\r\n08:30\r\n 4\r\n0\r\nV00000\r\nF\r\n0\r\n224 , 0.00 M\r\n\r\n17\r\n";

    #[test]
    fn header_and_counts() {
        let rec = parse_awd(SAMPLE.as_bytes(), "t.AWD", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "2018-01-01 08:30:00");
        assert_eq!(rec.epoch_seconds, 60);
        assert_eq!(rec.counts, vec![Some(0.0), Some(224.0), Some(17.0)]);
        assert_eq!(rec.device_model.as_deref(), Some("Actiwatch-4"));
        assert_eq!(rec.subject.as_deref(), Some("TEST_SAMPLE"));
        assert!(looks_like_awd(SAMPLE.as_bytes()));
        assert!(!looks_like_awd(b"timestamp,count\n2026-01-01 00:00:00,1\n"));
    }

    /// Red-team finding: counts above `u32::MAX` were clamped silently.
    #[test]
    fn the_largest_count_is_kept_and_a_larger_one_refused() {
        let text = "x\n01-Jan-2018\n08:30\n4\n0\nV1\nF\n4294967295\n";
        let rec = parse_awd(text.as_bytes(), "t.AWD", |_| {}).expect("parses");
        assert_eq!(rec.counts, vec![Some(f64::from(u32::MAX))]);
        let err = parse_awd(
            format!("{text}99999999999999999999999\n").as_bytes(),
            "t.AWD",
            |_| {},
        )
        .expect_err("too large");
        assert!(
            err.to_string().starts_with("t.AWD, line 9: activity"),
            "{err}"
        );
    }

    #[test]
    fn endless_bytes_without_a_newline_are_refused_early() {
        let given = std::rc::Rc::default();
        let zeros = crate::lines::Zeros {
            left: 256 << 20,
            given: std::rc::Rc::clone(&given),
        };
        let err =
            parse_awd(std::io::BufReader::new(zeros), "zero.AWD", |_| {}).expect_err("refused");
        assert!(
            err.to_string()
                .starts_with("zero.AWD, line 1: line longer than 65536 bytes"),
            "{err}"
        );
        assert!(
            given.get() <= crate::MAX_LINE_BYTES + 16 * 1024,
            "read {}",
            given.get()
        );
    }

    #[test]
    fn twelve_hour_clock_and_short_epochs() {
        let text =
            "demo\n22-Apr-1997\n09:38:00 PM \n 1 \n57\nP4012590327\nM\n671 , 0.00\n429 , 0.00\n";
        let rec = parse_awd(text.as_bytes(), "t.AWD", |_| {}).expect("parses");
        assert_eq!(rec.start.to_string(), "1997-04-22 21:38:00");
        assert_eq!(rec.epoch_seconds, 15);
        assert_eq!(rec.device_model.as_deref(), Some("Actiwatch-L-Plus"));
        assert_eq!(rec.light, Some(vec![Some(0.0), Some(0.0)]));
        let bad = text.replace("429 , 0.00", "429 , dark");
        let err = parse_awd(bad.as_bytes(), "t.AWD", |_| {}).expect_err("bad light");
        assert!(
            err.to_string().starts_with("t.AWD, line 9: light \"dark\""),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "x\n01-Jan-2018\n08:30\n4\n0\nV1\nF\n1\n-3\n",
                "line 9",
                "\"-3\"",
            ),
            (
                "x\n01-Jan-2018\n08:30\n7\n0\nV1\nF\n1\n",
                "line 4",
                "epoch code \"7\"",
            ),
            (
                "x\n2018-01-01\n08:30\n4\n0\nV1\nF\n1\n",
                "line 2",
                "not a date",
            ),
            ("x\n01-Jan-2018\n08:30\n", "line 4", "3 of its 7 lines"),
            (
                "x\n01-Jan-2018\n08:30\n4\n0\nV1\nF\n4294967295\n4294967296\n",
                "line 9",
                "\"4294967296\" is more than 4294967295",
            ),
            (
                "x\n01-Jan-1850\n08:30\n4\n0\nV1\nF\n1\n",
                "line 2",
                "outside the years 1900-2199",
            ),
        ];
        for (text, line, fragment) in cases {
            let message = parse_awd(text.as_bytes(), "t.AWD", |_| {})
                .expect_err("rejected")
                .to_string();
            assert!(
                message.contains(line) && message.contains(fragment),
                "{message}"
            );
        }
        let huge = parse_awd(
            format!("x\n01-Jan-2018\n08:30\n{}\n", "4".repeat(70_000)).as_bytes(),
            "t.AWD",
            |_| {},
        )
        .expect_err("long line")
        .to_string();
        assert_eq!(
            huge,
            "t.AWD, line 4: line longer than 65536 bytes; is this a text file of one reading per line?"
        );
        let empty = parse_awd(
            "x\n01-Jan-2018\n08:30\n4\n0\nV1\nF\n".as_bytes(),
            "t.AWD",
            |_| {},
        );
        assert!(empty
            .expect_err("no data")
            .to_string()
            .contains("no activity lines"));
    }
}
