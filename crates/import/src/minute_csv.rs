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

use crate::lines::{quoted, BoundedLines, LineRef};
use crate::{ImportError, MAX_EPOCHS};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use phr_model::{ActivityEpoch, LocalClock, Stamp, PLAUSIBLE_UTC, PLAUSIBLE_YEARS};
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
        let first = self.listed.unwrap_or_default().0.utc;
        let mut grid = Grid(Vec::with_capacity(self.epochs.len()));
        for e in &self.epochs {
            grid.counted(e.at, e.count, first, Some(i64::from(epoch_seconds)));
        }
        grid.into_recording(self.listed, epoch_seconds)
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

/// How timestamps are read: by hand for the fixed layouts most files use,
/// falling back to chrono's format strings for everything else; or by
/// chrono's format strings alone (the general path, kept so tests can show
/// both give the same results and errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeParsing {
    /// [`parse_fixed_time`] first, then the general path.
    Fast,
    /// [`FORMATS`] through chrono only.
    #[cfg_attr(not(test), allow(dead_code))]
    General,
}

impl TimeParsing {
    fn parse(self, text: &str) -> Option<NaiveDateTime> {
        if self == TimeParsing::Fast {
            if let Some(time) = parse_fixed_time(text) {
                return Some(time);
            }
        }
        FORMATS
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    }
}

/// `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM` (either with `T` for the
/// space), every field exactly its digits, read by hand: the time chrono
/// gives for the first of [`FORMATS`] that parses it (the only one that
/// can). `None` for anything else, whether chrono would accept it (one-digit
/// fields, spaces, a leap second, `/` in the date) or refuse it (month 13):
/// the general path then decides, with its errors.
fn parse_fixed_time(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let with_seconds = match b.len() {
        19 => true,
        16 => false,
        _ => return None,
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' {
        return None;
    }
    let digit = |i: usize| {
        let d = b[i].wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let year = two(0)? * 100 + two(2)?;
    let second = if with_seconds {
        if b[16] != b':' {
            return None;
        }
        two(17)?
    } else {
        0
    };
    if second > 59 {
        return None; // a leap second: chrono's own rules
    }
    NaiveDate::from_ymd_opt(year as i32, two(5)?, two(8)?)?.and_hms_opt(two(11)?, two(14)?, second)
}

/// The two fields of a row the reader needs, found without allocating:
/// each as split at commas and trimmed (`raw`), and then with its quotes
/// trimmed too.
struct RowFields<'a> {
    /// How many fields the row has.
    count: usize,
    /// The timestamp field, `(raw, unquoted)`.
    time: Option<(&'a str, &'a str)>,
    /// The count field, `(raw, unquoted)`.
    value: Option<(&'a str, &'a str)>,
}

impl<'a> RowFields<'a> {
    fn of(text: &'a str, (time_col, count_col): (usize, usize)) -> Self {
        let mut row = RowFields {
            count: 0,
            time: None,
            value: None,
        };
        for (idx, field) in text.split(',').enumerate() {
            row.count = idx + 1;
            if idx == time_col || idx == count_col {
                let raw = field.trim();
                let field = Some((raw, raw.trim_matches('"')));
                if idx == time_col {
                    row.time = field;
                }
                if idx == count_col {
                    row.value = field;
                }
            }
        }
        row
    }
}

/// Parses a minute CSV read from `input`. `file` names it in errors; `zone`
/// resolves its wall-clock times; `progress` is called with the bytes read so
/// far every few thousand lines.
///
/// Rows in the common fixed layout (`2026-03-01 00:00:00,12` and a line
/// ending, timestamp first and count second) are read straight from the
/// input's buffer, field by field at known offsets; any other row, and any
/// row a fast read would not take exactly as the general one does, goes
/// through the general path. Both give the same epochs and the same errors.
pub fn parse_minute_csv(
    input: impl BufRead,
    file: &str,
    zone: Tz,
    progress: impl FnMut(u64),
) -> Result<MinuteCsv, ImportError> {
    parse_minute_csv_with(input, file, zone, progress, TimeParsing::Fast, None)
}

/// [`parse_minute_csv`] of an input of `size` bytes (a file's length), so
/// the epochs are stored in one allocation of about the right size instead
/// of a vector doubling its way up (a year of minutes: 12 MB copied and
/// 12 MB more memory touched). The size only sizes that allocation: a wrong
/// one changes nothing else.
pub fn parse_minute_csv_sized(
    input: impl BufRead,
    file: &str,
    zone: Tz,
    progress: impl FnMut(u64),
    size: u64,
) -> Result<MinuteCsv, ImportError> {
    parse_minute_csv_with(input, file, zone, progress, TimeParsing::Fast, Some(size))
}

/// Room for the epochs of a minute CSV of `size` bytes: as many as rows of
/// the common fixed layout fit, each at least [`MIN_ROW_BYTES`]
/// (`2026-03-01 00:00:00,` and a line ending), and never more than a
/// recording holds ([`MAX_EPOCHS`]). Files of shorter rows (no seconds)
/// grow the vector past it as before.
fn epochs_capacity(size: u64) -> usize {
    usize::try_from((size / MIN_ROW_BYTES).min(MAX_EPOCHS)).unwrap_or(0)
}

/// [`parse_minute_csv_sized`] then [`MinuteCsv::into_recording`], in one
/// pass: the counts go straight onto the grid, without the list of epochs
/// in between (a year of minutes: 12 MB less memory and a pass less). The
/// same recording and the same errors.
pub fn read_minute_csv_recording(
    input: impl BufRead,
    file: &str,
    zone: Tz,
    progress: impl FnMut(u64),
    size: u64,
) -> Result<crate::ActivityRecording, ImportError> {
    let grid = Grid(Vec::with_capacity(epochs_capacity(size)));
    let (csv, epoch, grid) = parse_into(input, file, zone, progress, TimeParsing::Fast, grid)?;
    Ok(grid.into_recording(csv.listed, epoch))
}

/// The shortest row of the common fixed layout: a 19-byte timestamp, a
/// comma and the line ending (rows with a count take a digit or more).
const MIN_ROW_BYTES: u64 = 21;

/// Where the reader keeps the epochs that have a count: a list, as
/// [`MinuteCsv::epochs`] (what an import stores), or a [`Grid`].
trait Sink {
    /// Keeps the count of the epoch at `at`; `first` is the first row's
    /// instant and `epoch` the epoch length once two rows have given it.
    fn counted(&mut self, at: Stamp, count: u32, first: i64, epoch: Option<i64>);
}

impl Sink for Vec<ActivityEpoch> {
    fn counted(&mut self, at: Stamp, count: u32, _first: i64, _epoch: Option<i64>) {
        self.push(ActivityEpoch {
            at,
            epoch_seconds: 0, // set at the end once the epoch is known
            count,
        });
    }
}

/// The counts straight on the wall-clock grid [`MinuteCsv::into_recording`]
/// lays them on (what the analysis of a file takes), without the list.
struct Grid(Vec<Option<f64>>);

impl Grid {
    /// The recording of the rows listed from `first` to `last`, one slot
    /// per `epoch` seconds (the gaps listed after the last count included).
    fn into_recording(
        self,
        listed: Option<(Stamp, Stamp)>,
        epoch: u32,
    ) -> crate::ActivityRecording {
        let (first, last) = listed.unwrap_or_default();
        let mut counts = self.0;
        counts.resize(
            ((last.utc - first.utc) / i64::from(epoch)) as usize + 1,
            None,
        );
        crate::ActivityRecording::on_grid(crate::FileFormat::Csv, first.local(), epoch, counts)
    }
}

impl Sink for Grid {
    fn counted(&mut self, at: Stamp, count: u32, first: i64, epoch: Option<i64>) {
        let counts = &mut self.0;
        // Every row listed so far is a whole number of epochs after the
        // first (`Rows::list` checked it); before the second row there is no
        // epoch yet and this is the first row, slot 0.
        let slot = match epoch {
            // The slot right after the last one stored (most rows), found
            // without a division.
            Some(epoch) if at.utc == first + counts.len() as i64 * epoch => {
                counts.push(Some(f64::from(count)));
                return;
            }
            Some(epoch) => ((at.utc - first) / epoch) as usize,
            None => 0,
        };
        if counts.len() <= slot {
            counts.resize(slot + 1, None);
        }
        counts[slot] = Some(f64::from(count));
    }
}

/// What the reader has seen so far, and the checks every row goes through.
struct Rows<'a, S> {
    file: &'a str,
    zone: Tz,
    result: MinuteCsv,
    sink: S,
    /// Whether some row had a count.
    counted_any: bool,
    previous: Option<(Stamp, u64)>,
    epoch_seconds: Option<i64>,
    /// Whether UTC stamps are computed without the zone's table, and other
    /// zones' through `clock` (the fast path; the general one asks
    /// [`Stamp::from_local`] for every row).
    utc_shortcut: bool,
    /// The zone's offsets, kept an hour at a time.
    clock: LocalClock,
}

impl<S: Sink> Rows<'_, S> {
    fn error(&self, line: u64, message: String) -> ImportError {
        ImportError::Line {
            file: self.file.to_string(),
            line,
            message,
        }
    }

    /// The stamp of `local`; in UTC without asking the zone's table (the
    /// same result: UTC has one offset and no gaps or repeats), in another
    /// zone on the fast path through [`LocalClock`] (the same result too).
    fn stamp(&mut self, local: NaiveDateTime) -> Result<Stamp, phr_model::TimeError> {
        let after = self.previous.map(|p| p.0);
        if !self.utc_shortcut {
            return Stamp::from_local(local, self.zone, after);
        }
        if self.zone == Tz::UTC {
            return Ok(Stamp::new(local.and_utc().timestamp(), 0));
        }
        self.clock.stamp(local, after)
    }

    /// Takes one data row: its wall-clock time and its count field.
    fn row(
        &mut self,
        line_no: u64,
        local: NaiveDateTime,
        count_text: &str,
    ) -> Result<(), ImportError> {
        let stamp = self.listed(line_no, local)?;
        if count_text.is_empty()
            || count_text.eq_ignore_ascii_case("nan")
            || count_text.eq_ignore_ascii_case("na")
        {
            self.result.missing += 1;
            return Ok(());
        }
        let count = parse_count(count_text).ok_or_else(|| {
            self.error(
                line_no,
                format!(
                    "count {} is not a whole number of 0 or more",
                    quoted(count_text)
                ),
            )
        })?;
        self.counted(stamp, count);
        Ok(())
    }

    /// Keeps an epoch with a count.
    fn counted(&mut self, at: Stamp, count: u32) {
        self.counted_any = true;
        let first = self.result.listed.map_or(at.utc, |(first, _)| first.utc);
        self.sink.counted(at, count, first, self.epoch_seconds);
    }

    /// Checks a row's time against the rows before and lists it; its stamp.
    fn listed(&mut self, line_no: u64, local: NaiveDateTime) -> Result<Stamp, ImportError> {
        let stamp = self
            .stamp(local)
            .map_err(|e| self.error(line_no, e.to_string()))?;
        self.list(line_no, || local, stamp)
    }

    /// What [`Rows::list`] does with the common row, the stamp `utc` with
    /// `offset`: one epoch after the row before, inside the recording's span
    /// and [`PLAUSIBLE_UTC`]; without its other checks. `None` (nothing
    /// done) for any other row.
    #[inline]
    fn next_epoch(&mut self, line_no: u64, utc: i64, offset: i32) -> Option<Stamp> {
        let ((prev, _), epoch, (first, _)) =
            (self.previous?, self.epoch_seconds?, self.result.listed?);
        if utc - prev.utc != epoch
            || utc - first.utc >= MAX_EPOCHS as i64 * epoch
            || !PLAUSIBLE_UTC.contains(&utc)
        {
            return None;
        }
        let stamp = Stamp::new(utc, offset);
        self.previous = Some((stamp, line_no));
        self.result.listed = Some((first, stamp));
        Some(stamp)
    }

    /// [`Rows::listed`] of a time in UTC read on the fast path, given as
    /// its seconds (its stamp, as [`Rows::stamp`] gives it; the wall-clock
    /// time is made from them only for an error).
    fn listed_utc(&mut self, line_no: u64, seconds: i64) -> Result<Stamp, ImportError> {
        debug_assert!(self.utc_shortcut && self.zone == Tz::UTC);
        let stamp = Stamp::new(seconds, 0);
        self.list(line_no, || stamp.local(), stamp)
    }

    /// The checks of [`Rows::listed`] after the stamp; `local` gives the
    /// row's wall-clock time for an error (only then is it made).
    fn list(
        &mut self,
        line_no: u64,
        local: impl Fn() -> NaiveDateTime,
        stamp: Stamp,
    ) -> Result<Stamp, ImportError> {
        if !PLAUSIBLE_UTC.contains(&stamp.utc) {
            return Err(self.error(
                line_no,
                format!(
                    "time {} is outside the years {PLAUSIBLE_YEARS}; is the date right?",
                    local()
                ),
            ));
        }
        if let Some((prev, prev_line)) = self.previous {
            let step = stamp.utc - prev.utc;
            if step <= 0 {
                return Err(self.error(
                    line_no,
                    format!(
                        "time {} does not come after line {prev_line} ({})",
                        local(),
                        prev.local()
                    ),
                ));
            }
            if self.epoch_seconds.is_none() && step > MAX_EPOCH_SECONDS {
                return Err(self.error(
                    line_no,
                    format!(
                        "time {} is {step} seconds after line {prev_line}; the first two rows give the epoch, which is at most a day",
                        local()
                    ),
                ));
            }
            let epoch = *self.epoch_seconds.get_or_insert(step);
            if step != epoch && step % epoch != 0 {
                return Err(self.error(
                    line_no,
                    format!(
                        "time {} is not a whole number of {epoch}-second epochs after line {prev_line}",
                        local()
                    ),
                ));
            }
        }
        if let (Some((first, _)), Some(epoch)) = (self.result.listed, self.epoch_seconds) {
            // `(stamp - first) / epoch >= MAX_EPOCHS`, both sides positive.
            if stamp.utc - first.utc >= MAX_EPOCHS as i64 * epoch {
                return Err(self.error(
                    line_no,
                    format!(
                        "time {} is {} days after the first row ({}); a recording spans at most {MAX_EPOCHS} epochs ({} days of {epoch}-second epochs); is the date right?",
                        local(),
                        (stamp.utc - first.utc) / 86_400,
                        first.local(),
                        MAX_EPOCHS as i64 * epoch / 86_400,
                    ),
                ));
            }
        }
        self.previous = Some((stamp, line_no));
        self.result.listed = Some((self.result.listed.map_or(stamp, |(first, _)| first), stamp));
        Ok(stamp)
    }
}

/// One row of the fixed layout, read from the start of `bytes`: exactly
/// `YYYY-MM-DD HH:MM:SS` (or with `T`), a comma, nothing or up to nine
/// digits, and `\n` or `\r\n`. Such a row has no BOM, blank, quote or other
/// comma, so the general path would split it into these two fields as they
/// stand. `None` when the row is anything else.
struct FixedRow<'a> {
    /// The line's length without its line ending.
    text_len: usize,
    /// With the line ending.
    len: usize,
    /// The timestamp's 19 bytes.
    time: &'a [u8],
    /// The count, `None` for a gap (no digits).
    count: Option<u32>,
}

impl<'a> FixedRow<'a> {
    fn at(bytes: &'a [u8]) -> Option<Self> {
        if bytes.len() < 21 || bytes[19] != b',' {
            return None;
        }
        let mut count = 0u32;
        let mut digits = 0;
        for b in bytes[20..].iter().take(10) {
            let d = b.wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            count = count.wrapping_mul(10).wrapping_add(u32::from(d)); // kept if <= 9 digits
            digits += 1;
        }
        if digits > 9 {
            return None; // may not fit: the general path decides
        }
        let text_len = 20 + digits;
        let len = match bytes.get(text_len..text_len + 2) {
            Some([b'\n', _]) => text_len + 1,
            Some(b"\r\n") => text_len + 2,
            None if bytes.get(text_len) == Some(&b'\n') => text_len + 1,
            _ => return None,
        };
        Some(FixedRow {
            text_len,
            len,
            time: &bytes[..19],
            count: (digits > 0).then_some(count),
        })
    }
}

/// A fast-path row's time as the reader needs it.
enum RowTime {
    /// A common row, already listed ([`Rows::next_epoch`]).
    Listed(Stamp),
    /// Read in UTC: its seconds, which are its stamp.
    UtcSeconds(i64),
    /// Read in another zone: the wall-clock time the zone resolves.
    Local(NaiveDateTime),
}

/// The date of the previous fixed-layout row, so a day's 1,440 rows read
/// their date once.
#[derive(Default)]
struct DateCache {
    bytes: [u8; 10],
    date: Option<NaiveDate>,
    /// The date's midnight in seconds, as if UTC.
    midnight: i64,
}

/// The hour, minute and second of ` HH:MM:SS` (or with `T`), the part of a
/// fixed-layout timestamp after its date; `None` unless every field is its
/// two digits. Their ranges are the caller's to check.
#[inline]
fn clock(b: &[u8]) -> Option<(u32, u32, u32)> {
    let b: &[u8; 9] = b.get(..9)?.try_into().ok()?;
    let d = |i: usize| b[i].wrapping_sub(b'0');
    // Every check at once, without a branch each (this runs once a row).
    let shape = matches!(b[0], b' ' | b'T') & (b[3] == b':') & (b[6] == b':');
    let digits = (d(1) < 10) & (d(2) < 10) & (d(4) < 10) & (d(5) < 10) & (d(7) < 10) & (d(8) < 10);
    if !(shape & digits) {
        return None;
    }
    let two = |i: usize| u32::from(d(i)) * 10 + u32::from(d(i + 1));
    Some((two(1), two(4), two(7)))
}

impl DateCache {
    /// Whether `text` starts with the cached date.
    #[inline]
    fn is_cached(&self, text: &[u8]) -> bool {
        self.date.is_some() && text.get(..10).is_some_and(|t| t == self.bytes)
    }

    /// The seconds (as if UTC) of a 19-byte timestamp on the cached date;
    /// `None` for another date, and for a time [`DateCache::seconds`] would
    /// refuse (`and_hms_opt`'s range, a leap second excluded as in
    /// [`DateCache::time`]).
    #[inline]
    fn same_day_seconds(&self, text: &[u8]) -> Option<i64> {
        if !self.is_cached(text) {
            return None;
        }
        let (hour, minute, second) = clock(&text[10..])?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(self.midnight + i64::from(hour * 3600 + minute * 60 + second))
    }

    /// [`DateCache::time`] as seconds as if UTC (what
    /// `time.and_utc().timestamp()` gives): on a cached date, the same
    /// checks without making the time.
    fn seconds(&mut self, text: &[u8]) -> Option<i64> {
        if self.is_cached(text) {
            return self.same_day_seconds(text);
        }
        let time = self.time(text)?;
        Some(self.midnight + i64::from(chrono::Timelike::num_seconds_from_midnight(&time.time())))
    }

    /// [`parse_fixed_time`] of a 19-byte timestamp, its date taken from the
    /// cache when the previous row had the same one.
    fn time(&mut self, text: &[u8]) -> Option<NaiveDateTime> {
        if let (Some(date), true) = (self.date, self.is_cached(text)) {
            let (hour, minute, second) = clock(&text[10..])?;
            if second > 59 {
                return None;
            }
            return date.and_hms_opt(hour, minute, second);
        }
        let time = parse_fixed_time(std::str::from_utf8(text).ok()?)?;
        self.bytes.copy_from_slice(&text[..10]);
        self.date = Some(time.date());
        self.midnight = time
            .date()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp();
        Some(time)
    }
}

/// [`parse_minute_csv`] with timestamps read as `time_parsing` says
/// ([`TimeParsing::General`] also reads every row on the general path).
pub(crate) fn parse_minute_csv_with(
    input: impl BufRead,
    file: &str,
    zone: Tz,
    progress: impl FnMut(u64),
    time_parsing: TimeParsing,
    size: Option<u64>,
) -> Result<MinuteCsv, ImportError> {
    let epochs = Vec::with_capacity(size.map_or(0, epochs_capacity));
    let (mut result, epoch, epochs) =
        parse_into(input, file, zone, progress, time_parsing, epochs)?;
    result.epochs = epochs;
    for e in &mut result.epochs {
        e.epoch_seconds = epoch;
    }
    Ok(result)
}

/// The reader itself: the rows' summary (without the epochs), the epoch
/// length and the sink holding them.
fn parse_into<S: Sink>(
    input: impl BufRead,
    file: &str,
    zone: Tz,
    mut progress: impl FnMut(u64),
    time_parsing: TimeParsing,
    sink: S,
) -> Result<(MinuteCsv, u32, S), ImportError> {
    let parse_time = |text: &str| time_parsing.parse(text);
    let mut rows = Rows {
        file,
        zone,
        counted_any: false,
        result: MinuteCsv {
            epochs: Vec::new(),
            missing: 0,
            lines: 0,
            listed: None,
        },
        sink,
        previous: None,
        epoch_seconds: None,
        utc_shortcut: time_parsing == TimeParsing::Fast,
        clock: LocalClock::new(zone),
    };
    let mut columns: Option<(usize, usize)> = None;
    let mut bytes_read = 0u64;
    let mut cut_short: Option<(u64, &str)> = None;
    let mut lines = BoundedLines::new(input);
    let mut line_no = 0u64;
    let mut dates = DateCache::default();
    loop {
        if time_parsing == TimeParsing::Fast && columns == Some((0, 1)) {
            // As many fixed-layout rows as the buffer holds, in place; the
            // first other row (or one the buffer cuts) goes the general way.
            let buffered = lines.buffered();
            let mut used = 0;
            let in_utc = rows.utc_shortcut && rows.zone == Tz::UTC;
            while let Some(fixed) = FixedRow::at(&buffered[used..]) {
                // The common row (the date of the row before, one epoch
                // after it, in UTC or in an hour whose offset the clock
                // keeps) is listed at once; otherwise, in UTC the seconds are
                // the stamp, elsewhere the zone needs the wall-clock time.
                let seconds = || dates.same_day_seconds(fixed.time);
                let common = if in_utc {
                    seconds().and_then(|utc| rows.next_epoch(line_no + 1, utc, 0))
                } else if rows.utc_shortcut {
                    seconds().and_then(|local| {
                        let offset = rows.clock.kept_offset(local)?;
                        rows.next_epoch(line_no + 1, local - i64::from(offset), offset)
                    })
                } else {
                    None
                };
                let time = match common {
                    Some(stamp) => Some(RowTime::Listed(stamp)),
                    None if in_utc => dates.seconds(fixed.time).map(RowTime::UtcSeconds),
                    None => dates.time(fixed.time).map(RowTime::Local),
                };
                let Some(time) = time else {
                    break;
                };
                line_no += 1;
                rows.result.lines = line_no;
                bytes_read += fixed.text_len as u64 + 1;
                if line_no.is_multiple_of(4096) {
                    progress(bytes_read);
                }
                cut_short = None;
                let stamp = match time {
                    RowTime::Listed(stamp) => stamp,
                    RowTime::UtcSeconds(seconds) => rows.listed_utc(line_no, seconds)?,
                    RowTime::Local(local) => rows.listed(line_no, local)?,
                };
                match fixed.count {
                    Some(count) => rows.counted(stamp, count),
                    None => rows.result.missing += 1,
                }
                used += fixed.len;
            }
            lines.consume(used);
        }
        let Some(line) = lines.next_line() else {
            break;
        };
        line_no += 1;
        rows.result.lines = line_no;
        let LineRef {
            text: line,
            terminated,
        } = line.map_err(|e| {
            rows.error(
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
        let (time_col, count_col) = match columns {
            Some(cols) => cols,
            None => {
                let fields: Vec<&str> = text
                    .split(',')
                    .map(|f| f.trim().trim_matches('"'))
                    .collect();
                let cols = if parse_time(fields[0]).is_some() {
                    (0, 1)
                } else {
                    header_columns(&fields).ok_or_else(|| {
                        rows.error(
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
        let row = RowFields::of(text, (time_col, count_col));
        let (_, time_text) = row
            .time
            .ok_or_else(|| rows.error(line_no, "missing timestamp column".into()))?;
        let local = parse_time(time_text).ok_or_else(|| {
            rows.error(
                line_no,
                format!(
                    "{} is not a timestamp like 2026-03-01 00:00:00",
                    quoted(time_text)
                ),
            )
        })?;
        let count_text = row.value.map_or("", |(_, field)| field);
        // Whether this row looks cut short, which is an error if it is the
        // last (a row of the file's middle keeps its documented meaning).
        let unclosed =
            |field: Option<(&str, &str)>| field.is_some_and(|(raw, _)| unclosed_quote(raw));
        cut_short = if count_col >= row.count {
            Some((line_no, "the row has no count field"))
        } else if !terminated && count_text.is_empty() {
            Some((line_no, "the last row ends before its count"))
        } else if !terminated && (unclosed(row.time) || unclosed(row.value)) {
            Some((line_no, "the last row ends inside a quoted field"))
        } else {
            None
        };
        rows.row(line_no, local, count_text)?;
    }
    if let Some((line, why)) = cut_short {
        return Err(rows.error(line, format!("{why}; is the file cut short?")));
    }
    if !rows.counted_any {
        return Err(ImportError::File {
            file: file.to_string(),
            message: "no activity rows found".into(),
        });
    }
    let epoch = rows.epoch_seconds.unwrap_or(60) as u32;
    progress(bytes_read);
    Ok((rows.result, epoch, rows.sink))
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

    /// The hand-written timestamp reader and chrono's format strings agree
    /// on every string near the fixed layouts: same time, or both refuse.
    #[test]
    fn fixed_layout_times_agree_with_chrono_on_every_day_and_near_misses() {
        let check = |text: &str| {
            assert_eq!(
                TimeParsing::Fast.parse(text),
                TimeParsing::General.parse(text),
                "{text:?}"
            );
        };
        let mut day = NaiveDate::from_ymd_opt(1899, 12, 25).expect("date");
        let last = NaiveDate::from_ymd_opt(2200, 1, 5).expect("date");
        let mut n_fast = 0;
        while day <= last {
            let d = day.format("%Y-%m-%d").to_string();
            for text in [
                format!("{d} 00:00:00"),
                format!("{d}T23:59:59"),
                format!("{d} 12:34"),
                format!("{d}T07:05"),
            ] {
                assert!(parse_fixed_time(&text).is_some(), "{text:?}");
                n_fast += 1;
                check(&text);
            }
            day = day.succ_opt().expect("next day");
        }
        assert!(n_fast > 400_000);
        // Out of range, leap seconds, other widths and separators.
        for text in [
            "2026-02-29 00:00:00",
            "2024-02-29 00:00:00",
            "2026-13-01 00:00:00",
            "2026-00-01 00:00",
            "2026-04-31 00:00",
            "2026-01-32 00:00",
            "2026-01-00 00:00",
            "2026-01-01 24:00:00",
            "2026-01-01 23:60:00",
            "2026-01-01 23:59:60",
            "2026-01-01 23:59:61",
            "2026-01-01 23:59:99",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2026-1-01 00:00:00",
            "2026-01-1 00:00:00",
            "2026-01-01 0:00:00",
            "2026-01-01 00:0:00",
            "2026-01-01 00:00:0",
            "2026-01-01  00:00:00",
            "2026-01-01 00:00 ",
            " 2026-01-01 00:00",
            "2026-01-0100:00:00",
            "2026-01-01t00:00:00",
            "2026-01-01_00:00:00",
            "2026/01/01 00:00:00",
            "2026/01/01 00:00",
            "2026-01/01 00:00",
            "+2026-01-01 00:00",
            "-026-01-01 00:00:00",
            "2026-01-01 00:00:00.5",
            "2026-01-01 00:00:",
            "2026-01-01 00-00-00",
            "2026:01:01 00:00:00",
            "20260-01-01 00:00",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00+01:00",
            "2026-01-01 0a:00:00",
            "2026-01-01 00:00:0a",
            "a026-01-01 00:00",
            "2026-01-01 00:00:00\u{0}",
            "2026-01-01 ٠٠:00",
            "",
            "2026-01-01",
        ] {
            check(text);
        }
    }

    proptest::proptest! {
        /// Random strings over the layouts' alphabet: the fast path and
        /// the general one read the same time or both refuse.
        #[test]
        fn fixed_layout_times_agree_with_chrono_on_random_strings(
            text in "[0-9]{4}[-/ ][0-9]{1,2}[-/ ][0-9]{1,3}[ T:]{1,2}[0-9]{1,2}[: ][0-9]{2}(:[0-9]{2})?",
            noise in "[0-9 :T/-]{0,20}",
        ) {
            proptest::prop_assert_eq!(
                TimeParsing::Fast.parse(&text),
                TimeParsing::General.parse(&text)
            );
            proptest::prop_assert_eq!(
                TimeParsing::Fast.parse(&noise),
                TimeParsing::General.parse(&noise)
            );
        }
    }

    fn reference_recordings() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/reference/recordings");
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .expect("tests/reference/recordings")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "csv"))
            .map(|path| {
                let text = std::fs::read_to_string(&path).expect("readable");
                (path.display().to_string(), text)
            })
            .collect();
        files.sort();
        files
    }

    /// Both paths, in zones with and without daylight saving; also checks
    /// that reading straight onto the grid gives what the fast path's
    /// epochs laid on it give (or the same error).
    fn both_paths(text: &str, zone: Tz) -> [Result<MinuteCsv, ImportError>; 2] {
        let paths = [TimeParsing::Fast, TimeParsing::General]
            .map(|how| parse_minute_csv_with(text.as_bytes(), "in.csv", zone, |_| {}, how, None));
        let grid = read_minute_csv_recording(text.as_bytes(), "in.csv", zone, |_| {}, 0);
        match (&grid, &paths[0]) {
            (Ok(grid), Ok(csv)) => assert_eq!(grid, &csv.clone().into_recording(), "{zone}"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{zone}"),
            (grid, fast) => panic!("grid {grid:?} but epochs {fast:?} in {zone}"),
        }
        paths
    }

    #[test]
    fn fast_and_general_paths_read_the_reference_recordings_alike() {
        let files = reference_recordings();
        assert!(files.len() >= 10, "{} files", files.len());
        for zone in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"] {
            let zone = phr_model::parse_time_zone(zone).expect("zone");
            for (name, text) in &files {
                let [fast, general] = both_paths(text, zone);
                assert_eq!(fast, general, "{name} in {zone}");
                // Also with `T` and without seconds where that keeps the file
                // regular (minute epochs): the other fixed layouts.
                let t_layout = text.replace(' ', "T");
                let [fast, general] = both_paths(&t_layout, zone);
                assert_eq!(fast, general, "{name} with T in {zone}");
                let short = text.replace(":00,", ",");
                let [fast, general] = both_paths(&short, zone);
                assert_eq!(fast, general, "{name} without seconds in {zone}");
            }
        }
        let [fast, _] = both_paths(&files[0].1, chrono_tz::UTC);
        assert!(fast.expect("parses").epochs.len() > 1000);
    }

    /// The size given only sizes the epochs' allocation: too small, right,
    /// too large or absurd, the same result, and a right one is one
    /// allocation that never grows.
    #[test]
    fn a_size_hint_changes_nothing_but_the_allocation() {
        let (name, text) = &reference_recordings()[0];
        let plain = parse_minute_csv(text.as_bytes(), "in.csv", chrono_tz::UTC, |_| {});
        let plain = plain.expect("parses");
        for size in [0, 1, 100, text.len() as u64, u64::MAX] {
            let sized =
                parse_minute_csv_sized(text.as_bytes(), "in.csv", chrono_tz::UTC, |_| {}, size)
                    .expect("parses");
            assert_eq!(sized, plain, "{name}, size {size}");
        }
        let sized = parse_minute_csv_sized(
            text.as_bytes(),
            "in.csv",
            chrono_tz::UTC,
            |_| {},
            text.len() as u64,
        )
        .expect("parses");
        assert!(
            sized.epochs.capacity() <= text.len() / MIN_ROW_BYTES as usize,
            "{} epochs reserved for {} bytes",
            sized.epochs.capacity(),
            text.len()
        );
        // An error keeps its file and line whatever the size.
        let bad = format!("{text}2020-01-01 00:00:00,1\n");
        let err = parse_minute_csv_sized(bad.as_bytes(), "in.csv", chrono_tz::UTC, |_| {}, 7)
            .expect_err("goes back in time");
        assert_eq!(
            err.to_string(),
            parse_minute_csv(bad.as_bytes(), "in.csv", chrono_tz::UTC, |_| {})
                .expect_err("goes back in time")
                .to_string()
        );
    }

    /// Malformed rows after good ones: the same error, on the same line,
    /// from both paths (and good rows in other layouts read alike).
    #[test]
    fn fast_and_general_paths_give_the_same_errors() {
        let rows = "timestamp,count\n2026-03-01 00:00:00,1\n2026-03-01 00:01:00,2\n";
        let mut n_errors = 0;
        for bad in [
            "2026-02-29 00:02:00,3",
            "2026-13-01 00:02:00,3",
            "2026-03-01 24:02:00,3",
            "2026-03-01 00:60:00,3",
            "2026-03-01 00:01:60,3",
            "2026-03-01 00:02:61,3",
            "2026-3-01 00:02:00,3",
            "2026-03-01 0:02:00,3",
            "2026-03-01  00:02:00,3",
            "2026/03/01 00:02:00,3",
            "2026/03/01 00:02,3",
            "2026-03-01T00:02,3",
            "\"2026-03-01 00:02:00\",\"3\"",
            "2026-03-01 00:02:00, 3 ",
            "2026-03-01 00:02:30,3",
            "2026-03-01 00:01:00,3",
            "2026-02-28 23:59:00,3",
            "2626-03-01 00:02:00,3",
            "2026-03-01 00:02:00,-3",
            "2026-03-01 00:02:00,3.5",
            "2026-03-01 00:02:00,3.0",
            "2026-03-01 00:02:00,NaN",
            "2026-03-01 00:02:00,99999999999",
            "2026-03-01 00:02:00",
            "2026-03-01 00:02:00,",
            "2026-03-01 00:02:00,\"3",
            "2026-03-01 00:02:00 ,3",
            "2026-03-01 00:02:00x,3",
            "x,3",
            ",3",
            "2026-03-29 02:30:00,3",
            "2026-03-01 00:02:00,3,extra",
            "2026-03-01 00:02:00.000,3",
            "2026-03-01\t00:02:00,3",
        ] {
            for tail in ["\n", ""] {
                let text = format!("{rows}{bad}{tail}");
                for zone in ["UTC", "Europe/Berlin"] {
                    let zone = phr_model::parse_time_zone(zone).expect("zone");
                    let [fast, general] = both_paths(&text, zone);
                    assert_eq!(fast, general, "{text:?} in {zone}");
                    if let Err(ImportError::Line { line, .. }) = fast {
                        assert_eq!(line, 4, "{text:?}");
                        n_errors += 1;
                    }
                }
            }
        }
        assert!(n_errors > 40, "{n_errors} errors");
    }

    #[test]
    fn rows_at_the_edges_of_the_plausible_years_read_alike_on_both_paths() {
        // The common-row step checks each instant against the plausible
        // years itself; the rows around both ends of them, and a day that
        // runs out of them, must read (or fail) as the general path reads
        // them.
        for rows in [
            "2199-12-31 23:57:00,1\n2199-12-31 23:58:00,2\n2199-12-31 23:59:00,3\n2200-01-01 00:00:00,4\n",
            "2199-12-31 23:57:00,1\n2199-12-31 23:58:00,2\n2199-12-31 23:59:00,3\n",
            "1899-12-31 23:58:00,1\n1899-12-31 23:59:00,2\n1900-01-01 00:00:00,3\n1900-01-01 00:01:00,4\n",
            "1900-01-01 00:00:00,1\n1900-01-01 00:01:00,2\n1900-01-01 00:02:00,3\n",
        ] {
            for zone in ["UTC", "Asia/Tokyo", "Asia/Kathmandu", "America/St_Johns"] {
                let zone = phr_model::parse_time_zone(zone).expect("zone");
                let [fast, general] = both_paths(rows, zone);
                assert_eq!(fast, general, "{rows:?} in {zone}");
            }
        }
        // St John's is 3:30 behind in winter: 20:30 on the last plausible
        // day is the first implausible instant, in the same clock hour as
        // the rows before it (whose offset the fast path keeps).
        let st_johns = phr_model::parse_time_zone("America/St_Johns").expect("zone");
        let edge = both_paths(
            "2199-12-31 20:28:00,1\n2199-12-31 20:29:00,2\n2199-12-31 20:30:00,3\n",
            st_johns,
        );
        assert!(
            matches!(&edge[0], Err(ImportError::Line { line: 3, .. })),
            "{:?}",
            edge[0]
        );
        assert_eq!(edge[0], edge[1]);
        let utc = both_paths(
            "2199-12-31 23:58:00,2\n2199-12-31 23:59:00,3\n2200-01-01 00:00:00,4\n",
            Tz::UTC,
        );
        assert!(
            matches!(&utc[0], Err(ImportError::Line { line: 3, .. })),
            "{:?}",
            utc[0]
        );
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
