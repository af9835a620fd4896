//! UTC instants with the local offset in force, and local-day arithmetic.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Instants a sample may have: the years 1900 to 2199 (UTC, as Unix
/// seconds). A time outside is a wrong clock or a mistyped date, not a
/// measurement.
pub const PLAUSIBLE_UTC: Range<i64> = -2_208_988_800..7_258_118_400;

/// [`PLAUSIBLE_UTC`] in words, for messages.
pub const PLAUSIBLE_YEARS: &str = "1900-2199";

/// Errors turning wall-clock time into instants.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeError {
    /// The name is not an IANA time zone.
    #[error("unknown time zone {0:?} (expected an IANA name such as Asia/Tokyo)")]
    UnknownZone(String),
    /// The wall-clock time falls in a DST gap and never happened.
    #[error("local time {0} does not exist in {1} (skipped by a daylight-saving change)")]
    Nonexistent(NaiveDateTime, String),
    /// The offset or instant is outside what a stamp can hold.
    #[error("time out of range")]
    OutOfRange,
}

/// A moment: a UTC instant (Unix seconds) and the UTC offset in force at the
/// person's location then. Ordering and equality are by the instant first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Stamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub utc: i64,
    /// Offset of local time from UTC in seconds (e.g. +32400 in Japan).
    pub offset_seconds: i32,
}

impl Stamp {
    /// A stamp from an instant and an offset.
    pub fn new(utc: i64, offset_seconds: i32) -> Self {
        Stamp {
            utc,
            offset_seconds,
        }
    }

    /// The stamp for an instant, with the offset `zone` has at that instant.
    pub fn in_zone(utc: i64, zone: Tz) -> Result<Self, TimeError> {
        let instant = DateTime::from_timestamp(utc, 0).ok_or(TimeError::OutOfRange)?;
        let offset = zone
            .offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc();
        Ok(Stamp::new(utc, offset))
    }

    /// Resolves a wall-clock time in `zone`. In the repeated hour after a DST
    /// change, the earlier instant is taken unless it would not come after
    /// `after` (so a series that walks through the repeated hour twice maps to
    /// increasing instants).
    pub fn from_local(
        local: NaiveDateTime,
        zone: Tz,
        after: Option<Stamp>,
    ) -> Result<Self, TimeError> {
        use chrono::LocalResult;
        let pick =
            |dt: DateTime<Tz>| Stamp::new(dt.timestamp(), dt.offset().fix().local_minus_utc());
        match zone.from_local_datetime(&local) {
            LocalResult::Single(dt) => Ok(pick(dt)),
            LocalResult::Ambiguous(earlier, later) => {
                let earlier = pick(earlier);
                match after {
                    Some(previous) if earlier.utc <= previous.utc => Ok(pick(later)),
                    _ => Ok(earlier),
                }
            }
            LocalResult::None => Err(TimeError::Nonexistent(local, zone.name().to_string())),
        }
    }

    /// Wall-clock time at the person's location.
    pub fn local(&self) -> NaiveDateTime {
        self.fixed().naive_local()
    }

    /// Wall-clock time at the person's location as seconds since
    /// 1970-01-01T00:00:00 of that wall clock: exactly [`Stamp::local`]'s
    /// time (same fallbacks), for arithmetic on many stamps without
    /// calendar conversions.
    pub fn local_seconds(&self) -> i64 {
        let offset = if FixedOffset::east_opt(self.offset_seconds).is_some() {
            i64::from(self.offset_seconds)
        } else {
            0
        };
        // `DateTime::from_timestamp` succeeds exactly in this range.
        const UTC: std::ops::RangeInclusive<i64> = DateTime::<chrono::Utc>::MIN_UTC.timestamp()
            ..=DateTime::<chrono::Utc>::MAX_UTC.timestamp();
        let utc = if UTC.contains(&self.utc) { self.utc } else { 0 };
        utc + offset
    }

    /// The local calendar day this moment falls on.
    pub fn local_date(&self) -> NaiveDate {
        self.local().date()
    }

    /// As a chrono date-time with a fixed offset.
    pub fn fixed(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.offset_seconds)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"));
        let utc = DateTime::from_timestamp(self.utc, 0).unwrap_or_default();
        utc.with_timezone(&offset)
    }

    /// The stamp `seconds` later, keeping this offset.
    pub fn plus_seconds(&self, seconds: i64) -> Stamp {
        Stamp::new(self.utc + seconds, self.offset_seconds)
    }
}

/// [`Stamp::from_local`] for many wall-clock times in one zone, most of them
/// close together (the rows of a file): the offset of each local clock hour
/// is looked up once and kept while the times stay in that hour, instead of
/// searching the zone's table for every time. An hour is kept only when its
/// start and the next hour's start both exist, once each, with the same
/// offset: then no change of offset falls inside it (the table never holds
/// two changes within an hour), so every time in it has that one offset and
/// resolves exactly as [`Stamp::from_local`] resolves it. Hours with a
/// change (a skipped or repeated hour) take [`Stamp::from_local`] itself.
#[derive(Debug, Clone)]
pub struct LocalClock {
    zone: Tz,
    /// The kept hour: its start, as seconds of the wall clock since
    /// 1970-01-01T00:00:00, and the offset of every time in it.
    hour: Option<(i64, i32)>,
}

impl LocalClock {
    /// A clock for wall-clock times in `zone`.
    pub fn new(zone: Tz) -> Self {
        LocalClock { zone, hour: None }
    }

    /// [`Stamp::from_local`] of `local` in this clock's zone.
    pub fn stamp(
        &mut self,
        local: NaiveDateTime,
        after: Option<Stamp>,
    ) -> Result<Stamp, TimeError> {
        let seconds = local.and_utc().timestamp();
        if let Some(offset) = self.kept_offset(seconds) {
            return Ok(Stamp::new(seconds - i64::from(offset), offset));
        }
        self.hour = self.offset_of_hour(local, seconds - seconds.rem_euclid(3600));
        Stamp::from_local(local, self.zone, after)
    }

    /// The offset of a wall-clock time given as seconds since
    /// 1970-01-01T00:00:00 of the wall clock, when it lies in the hour kept
    /// (where [`LocalClock::stamp`] gives `seconds - offset` and `offset`);
    /// `None` otherwise, without looking anything up.
    #[inline]
    pub fn kept_offset(&self, seconds: i64) -> Option<i32> {
        let (kept, offset) = self.hour?;
        (seconds - seconds.rem_euclid(3600) == kept).then_some(offset)
    }

    /// The one offset of the hour starting at `hour` (wall-clock seconds)
    /// that holds `local`, or `None` when that hour may hold a change.
    fn offset_of_hour(&self, local: NaiveDateTime, hour: i64) -> Option<(i64, i32)> {
        let start = local - Duration::seconds(local.and_utc().timestamp() - hour);
        let end = start + Duration::hours(1);
        let offset = |at: NaiveDateTime| {
            self.zone
                .from_local_datetime(&at)
                .single()
                .map(|dt| dt.offset().fix().local_minus_utc())
        };
        let first = offset(start)?;
        (offset(end)? == first).then_some((hour, first))
    }
}

/// The offset a zone has at UTC instants, most of them close together (the
/// epochs of a recording): looked up once per UTC hour and kept while the
/// instants stay in it, instead of searching the zone's table for each. An
/// hour is kept only when its first and last second have the same offset:
/// then no change falls inside it (the table never holds two changes within
/// an hour), and every instant in it has that offset.
#[derive(Debug, Clone)]
pub struct ZoneOffsets {
    zone: Tz,
    /// The kept UTC hour (`utc.div_euclid(3600)`) and its offset.
    hour: std::cell::Cell<Option<(i64, i32)>>,
}

impl ZoneOffsets {
    /// Offsets of `zone`.
    pub fn new(zone: Tz) -> Self {
        ZoneOffsets {
            zone,
            hour: std::cell::Cell::new(None),
        }
    }

    /// The offset (local minus UTC, seconds) in force at `utc`, as
    /// `zone.timestamp_opt(utc, 0)` gives it; `None` where chrono holds no
    /// such instant.
    pub fn at(&self, utc: i64) -> Option<i32> {
        let hour = utc.div_euclid(3600);
        if let Some((kept, offset)) = self.hour.get() {
            if kept == hour {
                return Some(offset);
            }
        }
        let offset_at = |t: Option<i64>| {
            self.zone
                .timestamp_opt(t?, 0)
                .single()
                .map(|dt| dt.offset().fix().local_minus_utc())
        };
        let offset = offset_at(Some(utc))?;
        let first = hour.checked_mul(3600);
        let whole = offset_at(first) == Some(offset)
            && offset_at(first.and_then(|f| f.checked_add(3599))) == Some(offset);
        self.hour.set(whole.then_some((hour, offset)));
        Some(offset)
    }
}

/// Parses an IANA time-zone name.
pub fn parse_time_zone(name: &str) -> Result<Tz, TimeError> {
    name.parse::<Tz>()
        .map_err(|_| TimeError::UnknownZone(name.to_string()))
}

/// Length of a local calendar day in `zone` in seconds: 86,400 normally,
/// 82,800 or 90,000 on days with a DST change.
pub fn local_day_seconds(date: NaiveDate, zone: Tz) -> i64 {
    let start = local_midnight(date, zone);
    let next = date
        .succ_opt()
        .map(|next| local_midnight(next, zone))
        .unwrap_or(start + 86_400);
    next - start
}

/// The instant the local day starts (the first existing wall-clock time at or
/// after midnight, for zones that skip midnight).
pub fn local_midnight(date: NaiveDate, zone: Tz) -> i64 {
    let mut local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..48 {
        if let Some(dt) = zone.from_local_datetime(&local).earliest() {
            return dt.timestamp();
        }
        local += Duration::minutes(30);
    }
    local.and_utc().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zones with hour, half-hour and 30-minute changes, a skipped day
    /// (Apia, 2011-12-30), changes suspended for Ramadan (Casablanca), and
    /// none (Tokyo).
    const ZONES_WITH_CHANGES: [&str; 8] = [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "America/St_Johns",
        "Pacific/Apia",
        "Africa/Casablanca",
        "Asia/Tokyo",
        "Asia/Kathmandu",
    ];

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("test literal")
    }

    #[test]
    fn zone_offsets_are_the_zones_own_at_every_instant() {
        let mut kept = 0usize;
        for name in ZONES_WITH_CHANGES {
            let zone = parse_time_zone(name).expect("zone");
            let offsets = ZoneOffsets::new(zone);
            let expected = |utc: i64| {
                zone.timestamp_opt(utc, 0)
                    .single()
                    .map(|dt| dt.offset().fix().local_minus_utc())
            };
            // Every 37 minutes from 2005 to 2030, then every minute of two
            // months around changes, and the edges of chrono's range.
            let start = dt("2005-01-01 00:00:00").and_utc().timestamp();
            let walks = [
                (start, 37 * 60, 26 * 365 * 24 * 60 / 37),
                (
                    dt("2024-03-01 00:00:00").and_utc().timestamp(),
                    60,
                    61 * 1440,
                ),
                (
                    dt("2024-10-01 00:00:00").and_utc().timestamp(),
                    60,
                    61 * 1440,
                ),
                (
                    dt("2011-12-28 00:00:00").and_utc().timestamp(),
                    60,
                    4 * 1440,
                ),
            ];
            for (first, step, count) in walks {
                for i in 0..count {
                    let utc = first + step * i;
                    kept += usize::from(
                        offsets
                            .hour
                            .get()
                            .is_some_and(|(h, _)| h == utc.div_euclid(3600)),
                    );
                    assert_eq!(offsets.at(utc), expected(utc), "{utc} in {name}");
                }
            }
            for utc in [i64::MIN, i64::MAX, -1, 0] {
                assert_eq!(offsets.at(utc), expected(utc), "{utc} in {name}");
            }
        }
        assert!(kept > 1_000_000, "the kept hour was used {kept} times");
    }

    #[test]
    fn a_local_clock_resolves_every_time_as_from_local_does() {
        // Times walked forwards as a file's rows, each one after the last,
        // so repeated hours are walked twice.
        let mut kept = 0usize;
        for name in ZONES_WITH_CHANGES {
            let zone = parse_time_zone(name).expect("zone");
            // Every 37 minutes from 2005 to 2030 (all minutes of the hour
            // come round), then every minute of two months around changes.
            let walks = [
                (dt("2005-01-01 00:00:00"), 37, 26 * 365 * 24 * 60 / 37),
                (dt("2024-03-01 00:00:00"), 1, 61 * 24 * 60),
                (dt("2024-10-01 00:00:00"), 1, 61 * 24 * 60),
                (dt("2011-12-28 00:00:00"), 1, 4 * 24 * 60),
            ];
            for (start, step, count) in walks {
                let mut clock = LocalClock::new(zone);
                let mut after: Option<Stamp> = None;
                for i in 0..count {
                    let local = start + Duration::minutes(step * i);
                    let expected = Stamp::from_local(local, zone, after);
                    kept += usize::from(clock.hour.is_some());
                    let seconds = local.and_utc().timestamp();
                    if let Some(offset) = clock.kept_offset(seconds) {
                        let stamp = Stamp::new(seconds - i64::from(offset), offset);
                        assert_eq!(Ok(stamp), expected, "kept {local} in {name}");
                    }
                    assert_eq!(clock.stamp(local, after), expected, "{local} in {name}");
                    after = expected.ok().or(after);
                }
            }
            // A repeated hour walked twice, as a file holding both.
            let mut clock = LocalClock::new(zone);
            let mut after = None;
            for local in [
                "2024-10-27 01:59:00",
                "2024-10-27 02:30:00",
                "2024-10-27 02:30:00",
            ] {
                let expected = Stamp::from_local(dt(local), zone, after);
                assert_eq!(clock.stamp(dt(local), after), expected, "{local} in {name}");
                after = expected.ok().or(after);
            }
        }
        assert!(kept > 1_000_000, "the kept hour was used {kept} times");
    }

    #[test]
    fn local_seconds_are_the_local_time_including_its_fallbacks() {
        let max = DateTime::<chrono::Utc>::MAX_UTC.timestamp();
        let min = DateTime::<chrono::Utc>::MIN_UTC.timestamp();
        let utcs = [
            0,
            -1,
            1_772_323_200,
            -62_135_596_800,
            max,
            max + 1,
            min,
            min - 1,
        ];
        let offsets = [
            0,
            32_400,
            -34_200,
            86_399,
            -86_399,
            86_400,
            -86_400,
            i32::MAX,
        ];
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        let mut random = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut stamps: Vec<Stamp> = utcs
            .iter()
            .flat_map(|&u| offsets.iter().map(move |&o| Stamp::new(u, o)))
            .collect();
        for _ in 0..10_000 {
            let utc = (random() % 20_000_000_000) as i64 - 10_000_000_000;
            let offset = (random() % 100_000) as i32 - 50_000;
            stamps.push(Stamp::new(utc, offset));
        }
        // (`local` itself panics where the local time leaves chrono's range:
        // the offset pushing the latest instant past it.)
        let in_range = |s: &Stamp| (min..=max).contains(&s.local_seconds());
        for stamp in stamps.into_iter().filter(in_range) {
            assert_eq!(
                stamp.local_seconds(),
                stamp.local().and_utc().timestamp(),
                "{stamp:?}"
            );
        }
    }

    #[test]
    fn tokyo_local_time_round_trips() {
        let tokyo = parse_time_zone("Asia/Tokyo").expect("zone");
        let stamp = Stamp::from_local(dt("2026-03-01 07:30:00"), tokyo, None).expect("exists");
        assert_eq!(stamp.offset_seconds, 9 * 3600);
        assert_eq!(stamp.local(), dt("2026-03-01 07:30:00"));
        assert_eq!(stamp.fixed().to_rfc3339(), "2026-03-01T07:30:00+09:00");
    }

    #[test]
    fn dst_days_have_23_and_25_hours() {
        let berlin = parse_time_zone("Europe/Berlin").expect("zone");
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
        let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).expect("date");
        assert_eq!(local_day_seconds(spring, berlin), 23 * 3600);
        assert_eq!(local_day_seconds(autumn, berlin), 25 * 3600);
        let tokyo = parse_time_zone("Asia/Tokyo").expect("zone");
        assert_eq!(local_day_seconds(spring, tokyo), 24 * 3600);
    }

    #[test]
    fn repeated_hour_maps_to_increasing_instants() {
        let berlin = parse_time_zone("Europe/Berlin").expect("zone");
        let first = Stamp::from_local(dt("2026-10-25 02:30:00"), berlin, None).expect("first");
        let second =
            Stamp::from_local(dt("2026-10-25 02:30:00"), berlin, Some(first)).expect("second");
        assert_eq!(second.utc - first.utc, 3600);
        assert_eq!(first.offset_seconds, 7200);
        assert_eq!(second.offset_seconds, 3600);
        assert_eq!(first.local(), second.local());
    }

    #[test]
    fn skipped_hour_is_an_error() {
        let berlin = parse_time_zone("Europe/Berlin").expect("zone");
        let err = Stamp::from_local(dt("2026-03-29 02:30:00"), berlin, None).unwrap_err();
        assert!(matches!(err, TimeError::Nonexistent(..)));
    }

    #[test]
    fn unknown_zone_is_named() {
        assert_eq!(
            parse_time_zone("Mars/Olympus").unwrap_err().to_string(),
            "unknown time zone \"Mars/Olympus\" (expected an IANA name such as Asia/Tokyo)"
        );
    }
}
