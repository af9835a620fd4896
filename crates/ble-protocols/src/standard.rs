//! Standard GATT characteristics every watch exposes: Device Information
//! strings, Battery Level, Current Time and Heart Rate Measurement.
//!
//! Layouts follow the Bluetooth SIG *GATT Specification Supplement* (GSS) and
//! the service specifications named beside each type.

use crate::reader::Reader;
use crate::{sig_uuid, DecodeError, GattValue};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// Device Information Service (0x180A).
pub const DEVICE_INFORMATION_SERVICE: u128 = sig_uuid(0x180A);
/// Battery Service (0x180F).
pub const BATTERY_SERVICE: u128 = sig_uuid(0x180F);
/// Current Time Service (0x1805).
pub const CURRENT_TIME_SERVICE: u128 = sig_uuid(0x1805);
/// Heart Rate Service (0x180D).
pub const HEART_RATE_SERVICE: u128 = sig_uuid(0x180D);

/// Which Device Information string a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceInfoField {
    /// Manufacturer Name String (0x2A29).
    Manufacturer,
    /// Model Number String (0x2A24).
    Model,
    /// Serial Number String (0x2A25).
    Serial,
    /// Hardware Revision String (0x2A27).
    Hardware,
    /// Firmware Revision String (0x2A26).
    Firmware,
    /// Software Revision String (0x2A28).
    Software,
}

impl DeviceInfoField {
    /// Every field, in the order a client usually reads them.
    pub const ALL: [DeviceInfoField; 6] = [
        DeviceInfoField::Manufacturer,
        DeviceInfoField::Model,
        DeviceInfoField::Serial,
        DeviceInfoField::Hardware,
        DeviceInfoField::Firmware,
        DeviceInfoField::Software,
    ];

    /// The characteristic UUID of this field.
    pub const fn uuid(self) -> u128 {
        sig_uuid(match self {
            DeviceInfoField::Manufacturer => 0x2A29,
            DeviceInfoField::Model => 0x2A24,
            DeviceInfoField::Serial => 0x2A25,
            DeviceInfoField::Hardware => 0x2A27,
            DeviceInfoField::Firmware => 0x2A26,
            DeviceInfoField::Software => 0x2A28,
        })
    }

    /// Name used in messages.
    pub const fn name(self) -> &'static str {
        match self {
            DeviceInfoField::Manufacturer => "Manufacturer Name String",
            DeviceInfoField::Model => "Model Number String",
            DeviceInfoField::Serial => "Serial Number String",
            DeviceInfoField::Hardware => "Hardware Revision String",
            DeviceInfoField::Firmware => "Firmware Revision String",
            DeviceInfoField::Software => "Software Revision String",
        }
    }
}

/// Decodes a Device Information string (GSS: `utf8s`, no terminator; some
/// devices pad with NULs, which are trimmed).
pub fn decode_device_string(field: DeviceInfoField, bytes: &[u8]) -> Result<String, DecodeError> {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let text = std::str::from_utf8(&bytes[..end]).map_err(|error| DecodeError::Invalid {
        what: field.name(),
        field: "utf8s",
        offset: error.valid_up_to(),
        reason: "not valid UTF-8".into(),
    })?;
    Ok(text.trim().to_string())
}

/// Battery Level (0x2A19): percentage 0..=100 (GSS §3.27).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatteryLevel(pub u8);

impl GattValue for BatteryLevel {
    const CHARACTERISTIC: u128 = sig_uuid(0x2A19);
    const NAME: &'static str = "Battery Level";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Self::NAME, bytes);
        let level = reader.u8("level")?;
        if level > 100 {
            return Err(reader.invalid("level", 0, format!("{level} > 100 %")));
        }
        reader.finish()?;
        Ok(BatteryLevel(level))
    }
}

/// Current Time (0x2A2B): Exact Time 256 plus Adjust Reason (CTS 1.1 §3.1;
/// GSS §3.62). 10 bytes: Date Time (year u16, month, day, hours, minutes,
/// seconds), Day of Week (0 unknown, 1 = Monday … 7), Fractions256, Adjust
/// Reason bit field. The time is the device's **local** wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentTime {
    /// Wall-clock date and time on the device; `None` when the device reports
    /// year/month/day 0 ("not known").
    pub local: Option<NaiveDateTime>,
    /// Day of week as sent (0 = unknown, 1 = Monday … 7 = Sunday).
    pub day_of_week: u8,
    /// 1/256 fractions of a second.
    pub fractions256: u8,
    /// Adjust Reason bits: 0 manual, 1 external reference, 2 time zone change,
    /// 3 DST change.
    pub adjust_reason: u8,
}

impl CurrentTime {
    /// Adjust Reason bit: manual time update.
    pub const MANUAL: u8 = 0x01;
    /// Adjust Reason bit: external reference time update.
    pub const EXTERNAL_REFERENCE: u8 = 0x02;

    /// The value a client writes to set the device clock to `local`.
    pub fn for_local(local: NaiveDateTime, adjust_reason: u8) -> Self {
        CurrentTime {
            local: Some(local),
            day_of_week: local.weekday().number_from_monday() as u8,
            fractions256: (u64::from(local.nanosecond() % 1_000_000_000) * 256 / 1_000_000_000)
                as u8,
            adjust_reason,
        }
    }

    /// Encodes the 10-byte value. A date outside 1582..=9999 is written as
    /// year 0 ("unknown"), as the GSS requires.
    pub fn encode(&self) -> [u8; 10] {
        let mut out = [0u8; 10];
        if let Some(local) = self.local {
            let year = u16::try_from(local.year())
                .ok()
                .filter(|y| (1582..=9999).contains(y))
                .unwrap_or(0);
            out[0..2].copy_from_slice(&year.to_le_bytes());
            out[2] = local.month() as u8;
            out[3] = local.day() as u8;
            out[4] = local.hour() as u8;
            out[5] = local.minute() as u8;
            out[6] = local.second().min(59) as u8;
        }
        out[7] = self.day_of_week;
        out[8] = self.fractions256;
        out[9] = self.adjust_reason;
        out
    }

    /// Device clock minus host clock, in whole seconds, both as local wall
    /// time (positive: the device is ahead). `host_local` is the host's
    /// wall-clock time for the wearer's zone when the value was read.
    pub fn offset_from_host(&self, host_local: NaiveDateTime) -> Option<i64> {
        self.local
            .map(|device| device.signed_duration_since(host_local).num_seconds())
    }
}

impl GattValue for CurrentTime {
    const CHARACTERISTIC: u128 = sig_uuid(0x2A2B);
    const NAME: &'static str = "Current Time";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Self::NAME, bytes);
        let year = reader.u16("year")?;
        let month = reader.u8("month")?;
        let day = reader.u8("day")?;
        let hours = reader.u8("hours")?;
        let minutes = reader.u8("minutes")?;
        let seconds = reader.u8("seconds")?;
        let day_of_week = reader.u8("day of week")?;
        let fractions256 = reader.u8("fractions256")?;
        let adjust_reason = reader.u8("adjust reason")?;
        reader.finish()?;
        if day_of_week > 7 {
            return Err(reader.invalid("day of week", 7, format!("{day_of_week} > 7")));
        }
        if hours > 23 || minutes > 59 || seconds > 59 {
            return Err(reader.invalid(
                "time",
                4,
                format!("{hours:02}:{minutes:02}:{seconds:02} is not a time of day"),
            ));
        }
        if year != 0 && !(1582..=9999).contains(&year) {
            return Err(reader.invalid("year", 0, format!("{year} outside 1582..=9999")));
        }
        let local = if year == 0 || month == 0 || day == 0 {
            None
        } else {
            let date = NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))
                .ok_or_else(|| {
                reader.invalid(
                    "date",
                    0,
                    format!("{year:04}-{month:02}-{day:02} is not a date"),
                )
            })?;
            date.and_hms_opt(u32::from(hours), u32::from(minutes), u32::from(seconds))
        };
        Ok(CurrentTime {
            local,
            day_of_week,
            fractions256,
            adjust_reason,
        })
    }
}

/// Heart Rate Measurement (0x2A37), HRS 1.0 §3.1 / GSS §3.113.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartRateMeasurement {
    /// Beats per minute.
    pub bpm: u16,
    /// Skin contact: `None` when the sensor does not support detection.
    pub contact: Option<bool>,
    /// Energy expended in kJ since the last reset, when present.
    pub energy_kj: Option<u16>,
    /// RR intervals in 1/1024 s, oldest first.
    pub rr_intervals: Vec<u16>,
}

impl HeartRateMeasurement {
    /// RR intervals in milliseconds.
    pub fn rr_millis(&self) -> impl Iterator<Item = f64> + '_ {
        self.rr_intervals
            .iter()
            .map(|rr| f64::from(*rr) * 1000.0 / 1024.0)
    }
}

impl GattValue for HeartRateMeasurement {
    const CHARACTERISTIC: u128 = sig_uuid(0x2A37);
    const NAME: &'static str = "Heart Rate Measurement";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Self::NAME, bytes);
        let flags = reader.u8("flags")?;
        let bpm = if flags & 0x01 != 0 {
            reader.u16("heart rate (uint16)")?
        } else {
            u16::from(reader.u8("heart rate (uint8)")?)
        };
        // Bit 2: contact feature supported; bit 1: contact detected.
        let contact = (flags & 0x04 != 0).then_some(flags & 0x02 != 0);
        let energy_kj = if flags & 0x08 != 0 {
            Some(reader.u16("energy expended")?)
        } else {
            None
        };
        let mut rr_intervals = Vec::new();
        if flags & 0x10 != 0 {
            if reader.remaining() == 0 || !reader.remaining().is_multiple_of(2) {
                return Err(reader.invalid(
                    "RR-interval",
                    reader.offset(),
                    format!(
                        "{} byte(s) left, expected a non-zero even number",
                        reader.remaining()
                    ),
                ));
            }
            while reader.remaining() > 0 {
                rr_intervals.push(reader.u16("RR-interval")?);
            }
        }
        reader.finish()?;
        Ok(HeartRateMeasurement {
            bpm,
            contact,
            energy_kj,
            rr_intervals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datetime(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap()
    }

    #[test]
    fn device_strings_trim_nul_padding_and_reject_bad_utf8() {
        let model = decode_device_string(DeviceInfoField::Model, b"PineTime\0\0").unwrap();
        assert_eq!(model, "PineTime");
        let error = decode_device_string(DeviceInfoField::Serial, &[b'A', 0xFF]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Serial Number String: invalid utf8s at byte 1: not valid UTF-8"
        );
    }

    #[test]
    fn battery_level() {
        // GSS 3.27: uint8, percentage; 0x64 = 100 %.
        assert_eq!(BatteryLevel::decode(&[0x64]).unwrap(), BatteryLevel(100));
        assert!(BatteryLevel::decode(&[101]).is_err());
        assert!(BatteryLevel::decode(&[]).is_err());
        assert!(BatteryLevel::decode(&[50, 0]).is_err());
    }

    #[test]
    fn current_time_round_trips() {
        // CTS 1.1 §3.1: 2024-02-29 23:59:58, Thursday (4), 128/256 s, manual.
        let fixture = [0xE8, 0x07, 0x02, 0x1D, 0x17, 0x3B, 0x3A, 0x04, 0x80, 0x01];
        let time = CurrentTime::decode(&fixture).unwrap();
        assert_eq!(time.local, Some(datetime(2024, 2, 29, 23, 59, 58)));
        assert_eq!(time.day_of_week, 4);
        assert_eq!(time.fractions256, 0x80);
        assert_eq!(time.encode(), fixture);
        let fresh = CurrentTime::for_local(datetime(2024, 2, 29, 23, 59, 58), 1);
        assert_eq!(fresh.encode()[..8], fixture[..8]);
    }

    #[test]
    fn current_time_unknown_date_and_errors() {
        let unknown = CurrentTime::decode(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(unknown.local, None);
        let error = CurrentTime::decode(&[0xE8, 0x07, 2, 30, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Current Time: invalid date at byte 0: 2024-02-30 is not a date"
        );
        assert!(CurrentTime::decode(&[0xE8, 0x07, 2, 1, 24, 0, 0, 0, 0, 0]).is_err());
        assert!(CurrentTime::decode(&[0xE8, 0x07, 2]).is_err());
        // Found by the `standard` fuzz target: year 1 was re-encoded as 0.
        assert!(CurrentTime::decode(&[1, 0, 1, 1, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn clock_offset_sign() {
        let time = CurrentTime::for_local(datetime(2024, 1, 1, 12, 0, 30), 0);
        assert_eq!(
            time.offset_from_host(datetime(2024, 1, 1, 12, 0, 0)),
            Some(30)
        );
    }

    #[test]
    fn heart_rate_variants() {
        // HRS §3.1.1: flags 0x00, uint8 bpm 72.
        assert_eq!(
            HeartRateMeasurement::decode(&[0x00, 72]).unwrap(),
            HeartRateMeasurement {
                bpm: 72,
                contact: None,
                energy_kj: None,
                rr_intervals: vec![]
            }
        );
        // flags 0x1F: uint16 bpm, contact supported+detected, energy, RR.
        let full =
            HeartRateMeasurement::decode(&[0x1F, 0x2C, 0x01, 0x10, 0x00, 0x00, 0x04, 0x00, 0x02])
                .unwrap();
        assert_eq!(full.bpm, 300);
        assert_eq!(full.contact, Some(true));
        assert_eq!(full.energy_kj, Some(16));
        assert_eq!(full.rr_intervals, vec![1024, 512]);
        assert_eq!(full.rr_millis().next(), Some(1000.0));
        // contact supported, not detected.
        assert_eq!(
            HeartRateMeasurement::decode(&[0x04, 60]).unwrap().contact,
            Some(false)
        );
        // odd RR bytes
        assert!(HeartRateMeasurement::decode(&[0x10, 60, 1]).is_err());
        assert!(HeartRateMeasurement::decode(&[0x01, 60]).is_err());
    }
}
