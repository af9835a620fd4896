//! Shared pieces of the delimited-text device readers (Respironics RPX,
//! ActTrust, Tempatilumi, Daqtix, MESA, biobank time series): splitting a
//! row into fields, reading numbers as the exporting software wrote them,
//! and laying timestamped rows on a regular epoch grid.

use crate::lines::{quoted, LineError};
use crate::recording::plausible_span;
use crate::MAX_EPOCHS;
use crate::MAX_LINE_BYTES;
use chrono::NaiveDateTime;
use std::io::BufRead;

/// The fields of one row split at `delimiter`, each trimmed of spaces and
/// unquoted (`"a","b,c"` is `a` and `b,c`; `""` inside quotes is one `"`).
/// `Err` when a quoted field is not closed (a row cut short).
pub(crate) fn split_fields(line: &str, delimiter: char) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.trim().is_empty() && !was_quoted {
            field.clear();
            in_quotes = true;
            was_quoted = true;
        } else if c == delimiter {
            fields.push(finish(&mut field, was_quoted));
            was_quoted = false;
        } else {
            field.push(c);
        }
    }
    if in_quotes {
        return Err("the row ends inside a quoted field");
    }
    fields.push(finish(&mut field, was_quoted));
    Ok(fields)
}

fn finish(field: &mut String, was_quoted: bool) -> String {
    let text = std::mem::take(field);
    if was_quoted {
        text
    } else {
        text.trim().to_string()
    }
}

/// The lines of a `BufRead` as text, at most [`MAX_LINE_BYTES`] each (line
/// ending removed), decoded as UTF-8 or, when a line is not UTF-8, as
/// Latin-1 (Tempatilumi exports are written in either).
pub(crate) struct TextLines<R> {
    input: R,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> TextLines<R> {
    pub(crate) fn new(input: R) -> Self {
        TextLines {
            input,
            buf: Vec::new(),
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for TextLines<R> {
    type Item = Result<String, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.buf.clear();
        let limit = MAX_LINE_BYTES as u64 + 2;
        let read = std::io::Read::take(&mut self.input, limit).read_until(b'\n', &mut self.buf);
        match read {
            Err(e) => {
                self.done = true;
                Some(Err(LineError::Io(e)))
            }
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(n) => {
                if self.buf.last() == Some(&b'\n') {
                    self.buf.pop();
                    if self.buf.last() == Some(&b'\r') {
                        self.buf.pop();
                    }
                }
                if n as u64 == limit && self.buf.len() > MAX_LINE_BYTES {
                    self.done = true;
                    return Some(Err(LineError::TooLong));
                }
                let bytes = std::mem::take(&mut self.buf);
                Some(Ok(String::from_utf8(bytes).unwrap_or_else(|e| {
                    e.into_bytes().iter().map(|b| char::from(*b)).collect()
                })))
            }
        }
    }
}

/// What the exporting programs write for "no value" (pandas' own missing
/// markers as well, since pyActigraphy reads these files with pandas).
const MISSING: [&str; 8] = ["", "NaN", "NAN", "nan", "NA", "N/A", "null", "NULL"];

/// Whether `text` (already trimmed) marks a missing value; `extra` adds the
/// file's own markers (German Actiware writes `kZ`, Daqtix `x`).
pub(crate) fn is_missing(text: &str, extra: &[&str]) -> bool {
    MISSING.contains(&text) || extra.contains(&text)
}

/// A number as the exporting software wrote it: `12`, `12.5`, `1.2E+02`,
/// or with a decimal comma (`184,13`, `2,35E+02`) when there is no point.
/// `None` for anything else, infinities and NaN included.
pub(crate) fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(value) = whole_number(text) {
        return Some(value);
    }
    if text.is_empty() || !text.bytes().all(|b| b"0123456789+-.,eE".contains(&b)) {
        return None;
    }
    let value: f64 = if text.contains(',') && !text.contains('.') {
        text.replacen(',', ".", 1).parse().ok()?
    } else {
        text.parse().ok()?
    };
    value.is_finite().then_some(value)
}

/// Digits only, at most 15 of them (most count cells): their value, which
/// is below 2^53 and so exactly what parsing them as a float gives, read
/// without the float parser. `None` for anything else.
fn whole_number(text: &str) -> Option<f64> {
    if !(1..=15).contains(&text.len()) {
        return None;
    }
    text.bytes()
        .try_fold(0u64, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
        })
        .map(|n| n as f64)
}

/// A count: a number of 0 or more; the message says what is wrong.
pub(crate) fn count(text: &str, what: &str) -> Result<f64, String> {
    match number(text) {
        Some(value) if value >= 0.0 => Ok(value),
        _ => Err(format!(
            "{what} {} is not a number of 0 or more",
            quoted(text)
        )),
    }
}

/// A count cell that may be empty or a missing marker (`None`).
pub(crate) fn optional_count(text: &str, what: &str) -> Result<Option<f64>, String> {
    if is_missing(text, &[]) {
        Ok(None)
    } else {
        count(text, what).map(Some)
    }
}

/// Checks that a row holds every column the header named (`columns`, the
/// optional ones as `None` when absent) on line `header_line`.
pub(crate) fn check_width(
    fields: usize,
    columns: &[Option<usize>],
    header_line: impl std::fmt::Display,
) -> Result<(), String> {
    let needed = columns.iter().flatten().max().copied().unwrap_or(0);
    if fields <= needed {
        return Err(format!(
            "the row has {fields} fields; the columns named on line {header_line} need {}",
            needed + 1
        ));
    }
    Ok(())
}

/// Rows laid on a regular grid of `epoch_millis` from the first row's time:
/// each row must come a whole number of epochs after the previous one;
/// epochs between rows are gaps (`None`), as pandas' `asfreq` makes them.
pub(crate) struct Grid {
    epoch_millis: i64,
    first: Option<NaiveDateTime>,
    last: Option<(i64, u64)>,
    /// Activity per epoch.
    pub counts: Vec<Option<f64>>,
    /// Light per epoch, when the file has a light column.
    pub light: Option<Vec<Option<f64>>>,
}

impl Grid {
    /// An empty grid of `epoch_seconds`, with a light channel or not.
    pub(crate) fn new(epoch_seconds: u32, with_light: bool) -> Self {
        Grid {
            epoch_millis: i64::from(epoch_seconds.max(1)) * 1000,
            first: None,
            last: None,
            counts: Vec::new(),
            light: with_light.then(Vec::new),
        }
    }

    /// An empty grid whose epoch is the step between its first two rows
    /// (at most a day, in whole seconds), as pandas infers a frequency.
    pub(crate) fn inferred(with_light: bool) -> Self {
        Grid {
            epoch_millis: 0,
            ..Grid::new(1, with_light)
        }
    }

    /// The epoch length in seconds (1 until an inferred grid has two rows).
    pub(crate) fn epoch_seconds(&self) -> u32 {
        (self.epoch_millis / 1000).max(1) as u32
    }

    /// Adds `count` and `light` to the last epoch (rows of one resampling
    /// bin are summed, as pandas' `resample().sum()` does; missing values
    /// count as nothing).
    pub(crate) fn add_to_last(&mut self, count: Option<f64>, light: Option<f64>) {
        let add = |slot: Option<&mut Option<f64>>, value: Option<f64>| {
            if let (Some(slot), Some(value)) = (slot, value) {
                *slot = Some(slot.unwrap_or(0.0) + value);
            }
        };
        add(self.counts.last_mut(), count);
        if let Some(channel) = &mut self.light {
            add(channel.last_mut(), light);
        }
    }

    /// The time of the first epoch, once a row was added.
    pub(crate) fn start(&self) -> Option<NaiveDateTime> {
        self.first
    }

    /// Adds the row of `line` at `at`; the message says why it does not fit.
    pub(crate) fn push(
        &mut self,
        line: u64,
        at: NaiveDateTime,
        count: Option<f64>,
        light: Option<f64>,
    ) -> Result<(), String> {
        let first = *self.first.get_or_insert(at);
        let offset = (at - first).num_milliseconds();
        if self.epoch_millis == 0 && offset != 0 {
            // The second row of an inferred grid gives the epoch.
            if offset < 0 {
                return Err(format!(
                    "time {at} does not come after the first row ({first})"
                ));
            }
            if offset > 86_400_000 || offset % 1000 != 0 {
                return Err(format!(
                    "time {at} is not a whole number of seconds, at most a day, after the first row ({first}); the first two rows give the epoch"
                ));
            }
            self.epoch_millis = offset;
        }
        if self.epoch_millis == 0 {
            if self.last.is_some() {
                return Err(format!("time {at} is the first row's time again"));
            }
            self.counts.push(count);
            if let Some(channel) = &mut self.light {
                channel.push(light);
            }
            self.last = Some((0, line));
            return Ok(());
        }
        if let Some((previous, previous_line)) = self.last {
            if offset <= previous {
                return Err(format!(
                    "time {at} does not come after line {previous_line}"
                ));
            }
        }
        if offset % self.epoch_millis != 0 {
            return Err(format!(
                "time {at} is not a whole number of {}-second epochs after the first row ({first})",
                self.epoch_millis / 1000
            ));
        }
        let slot = offset / self.epoch_millis;
        if slot as u64 >= MAX_EPOCHS {
            return Err(format!(
                "time {at} is more than {MAX_EPOCHS} epochs after the first row ({first}); a recording holds at most that many"
            ));
        }
        let slot = slot as usize;
        self.counts.resize(slot, None);
        self.counts.push(count);
        if let Some(channel) = &mut self.light {
            channel.resize(slot, None);
            channel.push(light);
        }
        self.last = Some((offset, line));
        Ok(())
    }

    /// Leaves out the epochs without activity at both ends, as pyActigraphy
    /// does for Respironics files (`drop_na`, then `asfreq`).
    pub(crate) fn trim_missing(&mut self) {
        let Some(first) = self.first else { return };
        let lead = self.counts.iter().take_while(|c| c.is_none()).count();
        let kept = self.counts.len() - self.counts.iter().rev().take_while(|c| c.is_none()).count();
        if lead >= kept {
            self.counts.clear();
            if let Some(light) = &mut self.light {
                light.clear();
            }
            return;
        }
        self.counts.truncate(kept);
        self.counts.drain(..lead);
        if let Some(light) = &mut self.light {
            light.truncate(kept);
            light.drain(..lead);
        }
        self.first = Some(first + chrono::Duration::milliseconds(lead as i64 * self.epoch_millis));
    }

    /// Whether the grid's first and last epochs lie in the plausible years.
    pub(crate) fn plausible(&self) -> bool {
        self.first
            .is_none_or(|start| plausible_span(start, self.counts.len(), self.epoch_seconds()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_split_and_unquoted() {
        assert_eq!(
            split_fields(r#""1","04/07/2015", 3 ,"184,13","a""b""#, ',').unwrap(),
            vec!["1", "04/07/2015", "3", "184,13", "a\"b"]
        );
        assert_eq!(split_fields("a; b;", ';').unwrap(), vec!["a", "b", ""]);
        assert!(split_fields(r#""1","04/07"#, ',').is_err());
    }

    #[test]
    fn text_lines_are_utf8_or_latin1_and_bounded() {
        let lines: Vec<String> = TextLines::new(&b"S\xc3\xa9rie\r\nS\xe9rie\nlast"[..])
            .map(|l| l.unwrap())
            .collect();
        assert_eq!(lines, vec!["Série", "Série", "last"]);
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut lines = TextLines::new(&long[..]);
        assert!(matches!(lines.next(), Some(Err(LineError::TooLong))));
        assert!(lines.next().is_none());
    }

    /// The shortcut for whole numbers gives the float parser's value for
    /// every length it takes, leading zeros included, and leaves the rest
    /// to it.
    #[test]
    fn whole_numbers_read_as_the_float_parser_reads_them() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = 1 + (state % 17) as usize;
            let digits: String = (0..len)
                .map(|i| char::from(b'0' + ((state >> (i % 60)) % 10) as u8))
                .collect();
            let parsed: f64 = digits.parse().expect("digits");
            assert_eq!(number(&digits), Some(parsed), "{digits}");
            match whole_number(&digits) {
                Some(value) => assert_eq!(value.to_bits(), parsed.to_bits(), "{digits}"),
                None => assert!(len > 15, "{digits}"),
            }
        }
        for text in ["0", "000", "040", "999999999999999", " 7 "] {
            assert_eq!(number(text), text.trim().parse().ok(), "{text:?}");
        }
        for text in ["", "+1", "-1", "1.5", "1,5", "1e3", "١٢", "1_000"] {
            assert_eq!(whole_number(text), None, "{text:?}");
        }
    }

    #[test]
    fn numbers_with_a_point_or_a_comma() {
        assert_eq!(number("184,13"), Some(184.13));
        assert_eq!(number("2,35E+02"), Some(235.0));
        assert_eq!(number("040.00"), Some(40.0));
        assert_eq!(number("1,234.5"), None);
        assert_eq!(number("inf"), None);
        assert_eq!(number("NaN"), None);
        assert_eq!(number("1e999"), None);
        assert!(count("-1", "activity").is_err());
    }

    #[test]
    fn rows_make_a_grid_with_gaps() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let mut grid = Grid::new(60, true);
        grid.push(1, at("2020-01-01 00:00:00"), None, Some(1.0))
            .unwrap();
        grid.push(2, at("2020-01-01 00:01:00"), Some(3.0), None)
            .unwrap();
        grid.push(3, at("2020-01-01 00:04:00"), Some(4.0), None)
            .unwrap();
        grid.push(4, at("2020-01-01 00:05:00"), None, None).unwrap();
        assert!(grid.push(5, at("2020-01-01 00:05:30"), None, None).is_err());
        assert!(grid.push(5, at("2020-01-01 00:05:00"), None, None).is_err());
        assert!(grid.push(5, at("2999-01-01 00:05:00"), None, None).is_err());
        assert_eq!(
            grid.counts,
            vec![None, Some(3.0), None, None, Some(4.0), None]
        );
        grid.trim_missing();
        assert_eq!(grid.counts, vec![Some(3.0), None, None, Some(4.0)]);
        assert_eq!(grid.start(), Some(at("2020-01-01 00:01:00")));
        assert_eq!(grid.light.as_ref().map(Vec::len), Some(4));
    }
}
