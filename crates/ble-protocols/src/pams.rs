//! Bluetooth SIG Physical Activity Monitor Service (PAMS 1.0, service 0x183E).
//!
//! **Verification status** (see `docs/ble.md`): the service and characteristic
//! UUIDs are the SIG assigned numbers. The segmentation scheme (one header
//! octet per characteristic value: bit 0 first segment, bit 1 last segment,
//! bits 2–7 a rolling 6-bit segment counter) and the record preamble (flags,
//! Session ID, Sub-Session ID, Relative Timestamp, Sequence Number) follow our
//! reading of PAMS 1.0 §3, which we could not re-check against the adopted
//! text while writing this; the optional-field tables ([`layout`]) are
//! **unverified** and kept in one place so they can be corrected line by
//! line. A flag bit not in a table makes decoding fail with
//! [`DecodeError::UnsupportedFlag`] rather than guess where later fields are.

use crate::reader::Reader;
use crate::{sig_uuid, DecodeError};
use chrono::{NaiveDate, NaiveDateTime};

/// Physical Activity Monitor Service.
pub const SERVICE: u128 = sig_uuid(0x183E);

/// The PAMS characteristics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Characteristic {
    /// PAM Features (0x2B3B).
    Features,
    /// General Activity Instantaneous Data (0x2B3C).
    GeneralActivityInstantaneous,
    /// General Activity Summary Data (0x2B3D).
    GeneralActivitySummary,
    /// Step Counter Activity Summary Data (0x2B40).
    StepCounterSummary,
    /// Sleep Activity Instantaneous Data (0x2B41).
    SleepInstantaneous,
    /// Sleep Activity Summary Data (0x2B42).
    SleepSummary,
    /// PAM Control Point (0x2B43).
    ControlPoint,
    /// Physical Activity Current Session (0x2B44).
    CurrentSession,
    /// Physical Activity Session Descriptor (0x2B45).
    SessionDescriptor,
}

impl Characteristic {
    /// Every characteristic handled here.
    pub const ALL: [Characteristic; 9] = [
        Characteristic::Features,
        Characteristic::GeneralActivityInstantaneous,
        Characteristic::GeneralActivitySummary,
        Characteristic::StepCounterSummary,
        Characteristic::SleepInstantaneous,
        Characteristic::SleepSummary,
        Characteristic::ControlPoint,
        Characteristic::CurrentSession,
        Characteristic::SessionDescriptor,
    ];

    /// The 16-bit assigned number.
    pub const fn short_uuid(self) -> u16 {
        match self {
            Characteristic::Features => 0x2B3B,
            Characteristic::GeneralActivityInstantaneous => 0x2B3C,
            Characteristic::GeneralActivitySummary => 0x2B3D,
            Characteristic::StepCounterSummary => 0x2B40,
            Characteristic::SleepInstantaneous => 0x2B41,
            Characteristic::SleepSummary => 0x2B42,
            Characteristic::ControlPoint => 0x2B43,
            Characteristic::CurrentSession => 0x2B44,
            Characteristic::SessionDescriptor => 0x2B45,
        }
    }

    /// The 128-bit UUID.
    pub const fn uuid(self) -> u128 {
        sig_uuid(self.short_uuid())
    }

    /// The characteristic for a UUID.
    pub fn from_uuid(uuid: u128) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.uuid() == uuid)
    }

    /// Name used in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Characteristic::Features => "PAM Features",
            Characteristic::GeneralActivityInstantaneous => "General Activity Instantaneous Data",
            Characteristic::GeneralActivitySummary => "General Activity Summary Data",
            Characteristic::StepCounterSummary => "Step Counter Activity Summary Data",
            Characteristic::SleepInstantaneous => "Sleep Activity Instantaneous Data",
            Characteristic::SleepSummary => "Sleep Activity Summary Data",
            Characteristic::ControlPoint => "PAM Control Point",
            Characteristic::CurrentSession => "Physical Activity Current Session",
            Characteristic::SessionDescriptor => "Physical Activity Session Descriptor",
        }
    }

    /// True for characteristics whose values carry a segmentation header.
    pub const fn is_segmented(self) -> bool {
        matches!(
            self,
            Characteristic::GeneralActivityInstantaneous
                | Characteristic::GeneralActivitySummary
                | Characteristic::StepCounterSummary
                | Characteristic::SleepInstantaneous
                | Characteristic::SleepSummary
                | Characteristic::SessionDescriptor
        )
    }
}

/// The header octet that starts every value of a segmented characteristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// First segment of a record.
    pub first: bool,
    /// Last segment of a record (both set: an unsegmented record).
    pub last: bool,
    /// Rolling segment counter, 0..=63.
    pub counter: u8,
}

impl SegmentHeader {
    /// Parses the header octet.
    pub fn from_byte(byte: u8) -> Self {
        SegmentHeader {
            first: byte & 0x01 != 0,
            last: byte & 0x02 != 0,
            counter: byte >> 2,
        }
    }

    /// The header octet.
    pub fn to_byte(self) -> u8 {
        u8::from(self.first) | (u8::from(self.last) << 1) | ((self.counter & 0x3F) << 2)
    }
}

/// Splits a record into characteristic values of at most `max_value` bytes
/// (ATT MTU − 3), each with a header; `counter` is the rolling counter,
/// advanced per segment. The inverse of [`Reassembler`].
pub fn segment(record: &[u8], max_value: usize, counter: &mut u8) -> Vec<Vec<u8>> {
    let payload = max_value.saturating_sub(1).max(1);
    let pieces: Vec<&[u8]> = if record.is_empty() {
        vec![&[][..]]
    } else {
        record.chunks(payload).collect()
    };
    let n_pieces = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(idx, piece)| {
            let header = SegmentHeader {
                first: idx == 0,
                last: idx + 1 == n_pieces,
                counter: *counter,
            };
            *counter = (*counter + 1) & 0x3F;
            let mut value = Vec::with_capacity(piece.len() + 1);
            value.push(header.to_byte());
            value.extend_from_slice(piece);
            value
        })
        .collect()
}

/// Reassembles segmented values into records, detecting lost, repeated and
/// out-of-order segments by the rolling counter. On any error the partial
/// record is discarded (never half-decoded); a first segment that interrupts
/// a record is kept as the start of the next one.
#[derive(Debug, Clone)]
pub struct Reassembler {
    what: &'static str,
    limit: usize,
    buffer: Vec<u8>,
    in_progress: bool,
    next_counter: u8,
}

impl Reassembler {
    /// Largest record accepted by default.
    pub const DEFAULT_LIMIT: usize = 4096;

    /// A reassembler for one characteristic.
    pub fn new(characteristic: Characteristic) -> Self {
        Reassembler {
            what: characteristic.name(),
            limit: Self::DEFAULT_LIMIT,
            buffer: Vec::new(),
            in_progress: false,
            next_counter: 0,
        }
    }

    /// Feeds one characteristic value. Returns what it produced, in order:
    /// nothing (a middle segment), a complete record, an error (the partial
    /// record was discarded), or — when a first segment interrupts an
    /// unfinished record — the error for the lost record followed by the new
    /// record if that segment was also the last.
    pub fn push(&mut self, value: &[u8]) -> Vec<Result<Vec<u8>, DecodeError>> {
        let Some((&header_byte, payload)) = value.split_first() else {
            return vec![Err(DecodeError::Truncated {
                what: self.what,
                field: "segmentation header",
                offset: 0,
                needed: 1,
                len: 0,
            })];
        };
        let header = SegmentHeader::from_byte(header_byte);
        let mut out = Vec::new();
        if header.first {
            if self.in_progress {
                out.push(Err(DecodeError::SegmentInterrupted {
                    what: self.what,
                    discarded: self.buffer.len(),
                }));
            }
            self.buffer.clear();
            self.in_progress = true;
        } else if !self.in_progress {
            out.push(Err(DecodeError::SegmentWithoutFirst {
                what: self.what,
                counter: header.counter,
            }));
            return out;
        } else if header.counter != self.next_counter {
            out.push(Err(DecodeError::SegmentSequence {
                what: self.what,
                expected: self.next_counter,
                got: header.counter,
                discarded: self.buffer.len(),
            }));
            self.reset();
            return out;
        }
        self.next_counter = (header.counter + 1) & 0x3F;
        if self.buffer.len() + payload.len() > self.limit {
            self.reset();
            out.push(Err(DecodeError::TooLarge {
                what: self.what,
                limit: self.limit,
            }));
            return out;
        }
        self.buffer.extend_from_slice(payload);
        if header.last {
            self.in_progress = false;
            out.push(Ok(std::mem::take(&mut self.buffer)));
        }
        out
    }

    fn reset(&mut self) {
        self.buffer.clear();
        self.in_progress = false;
    }
}

/// One optional field of a record: present when flag `bit` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Flag bit announcing the field.
    pub bit: u32,
    /// Field name (as in the specification).
    pub name: &'static str,
    /// Width in bytes.
    pub width: usize,
    /// Two's complement signed.
    pub signed: bool,
}

const fn unsigned(bit: u32, name: &'static str, width: usize) -> FieldSpec {
    FieldSpec {
        bit,
        name,
        width,
        signed: false,
    }
}

/// Record layouts: width of the flags field and the optional fields in
/// order. **Unverified against the adopted PAMS 1.0 tables** (see module
/// docs); each table lists only the fields we are fairly sure of.
pub mod layout {
    use super::{unsigned, FieldSpec};

    /// General Activity Instantaneous Data: 3-octet flags.
    pub const GENERAL_INSTANTANEOUS: (usize, &[FieldSpec]) = (
        3,
        &[
            unsigned(0, "Normal Walking Energy Expenditure per Hour", 2),
            unsigned(1, "Intensity Energy Expenditure per Hour", 2),
            unsigned(2, "Total Energy Expenditure per Hour", 2),
            unsigned(3, "Fat Burned per Hour", 2),
            unsigned(4, "Minimum Activity Level", 1),
            unsigned(5, "Maximum Activity Level", 1),
            unsigned(6, "Average Activity Level", 1),
        ],
    );

    /// General Activity Summary Data: 4-octet flags.
    pub const GENERAL_SUMMARY: (usize, &[FieldSpec]) = (
        4,
        &[
            unsigned(0, "Normal Walking Energy Expenditure", 2),
            unsigned(1, "Intensity Energy Expenditure", 2),
            unsigned(2, "Total Energy Expenditure", 2),
            unsigned(3, "Fat Burned", 2),
            unsigned(4, "Minimum Activity Level", 1),
            unsigned(5, "Maximum Activity Level", 1),
            unsigned(6, "Average Activity Level", 1),
        ],
    );

    /// Step Counter Activity Summary Data: 1-octet flags.
    pub const STEP_COUNTER_SUMMARY: (usize, &[FieldSpec]) = (
        1,
        &[
            unsigned(0, "Normal Walking Steps", 3),
            unsigned(1, "Intensity Steps", 3),
            unsigned(2, "Floor Steps", 3),
            unsigned(3, "Distance", 3),
            unsigned(4, "Worn Duration", 3),
        ],
    );

    /// Sleep Activity Instantaneous Data: 1-octet flags.
    pub const SLEEP_INSTANTANEOUS: (usize, &[FieldSpec]) = (
        1,
        &[
            unsigned(0, "Visible Light Level", 3),
            unsigned(1, "UV Light Level", 3),
            unsigned(2, "IR Light Level", 3),
            unsigned(3, "Sleep Stage", 1),
            unsigned(4, "Sleeping Heart Rate", 1),
        ],
    );

    /// Sleep Activity Summary Data: 2-octet flags.
    pub const SLEEP_SUMMARY: (usize, &[FieldSpec]) = (
        2,
        &[
            unsigned(0, "Total Sleep Time", 3),
            unsigned(1, "Total Wake Time", 3),
            unsigned(2, "Total Bed Time", 3),
            unsigned(3, "Number of Awakenings", 2),
            unsigned(4, "Sleep Latency", 3),
            unsigned(5, "Sleep Efficiency", 1),
            unsigned(6, "Snooze Time", 3),
            unsigned(7, "Number of Toss and Turn Events", 2),
            unsigned(8, "Time of Awakening after Alarm", 3),
            unsigned(9, "Visible Light Level", 3),
            unsigned(10, "UV Light Level", 3),
            unsigned(11, "IR Light Level", 3),
            unsigned(12, "Average Sleeping Heart Rate", 1),
            unsigned(13, "Worn Duration", 3),
        ],
    );
}

/// A reassembled activity data record (instantaneous or summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    /// Which characteristic it came from.
    pub characteristic: Characteristic,
    /// The flags field as sent.
    pub flags: u32,
    /// Session ID.
    pub session_id: u16,
    /// Sub-Session ID.
    pub sub_session_id: u16,
    /// Seconds since the start of the session (Relative Timestamp).
    pub relative_timestamp: u32,
    /// Sequence Number.
    pub sequence_number: u32,
    /// Optional fields present, in order: (name, value).
    pub fields: Vec<(&'static str, i64)>,
}

impl ActivityRecord {
    /// The value of a field by its specification name.
    pub fn field(&self, name: &str) -> Option<i64> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// Steps of a Step Counter summary: normal walking + intensity + floor.
    pub fn total_steps(&self) -> Option<u64> {
        let parts = ["Normal Walking Steps", "Intensity Steps", "Floor Steps"];
        let present: Vec<i64> = parts.iter().filter_map(|p| self.field(p)).collect();
        (!present.is_empty()).then(|| present.iter().map(|v| *v as u64).sum())
    }
}

/// Decodes one reassembled record of an activity data characteristic.
pub fn decode_record(
    characteristic: Characteristic,
    record: &[u8],
) -> Result<ActivityRecord, DecodeError> {
    let (flags_width, fields) = match characteristic {
        Characteristic::GeneralActivityInstantaneous => layout::GENERAL_INSTANTANEOUS,
        Characteristic::GeneralActivitySummary => layout::GENERAL_SUMMARY,
        Characteristic::StepCounterSummary => layout::STEP_COUNTER_SUMMARY,
        Characteristic::SleepInstantaneous => layout::SLEEP_INSTANTANEOUS,
        Characteristic::SleepSummary => layout::SLEEP_SUMMARY,
        other => {
            return Err(DecodeError::Invalid {
                what: other.name(),
                field: "characteristic",
                offset: 0,
                reason: "not an activity data characteristic".into(),
            })
        }
    };
    let mut reader = Reader::new(characteristic.name(), record);
    let flags = reader.uint("Flags", flags_width)? as u32;
    let session_id = reader.u16("Session ID")?;
    let sub_session_id = reader.u16("Sub-Session ID")?;
    let relative_timestamp = reader.u32("Relative Timestamp")?;
    let sequence_number = reader.u32("Sequence Number")?;
    let mut values = Vec::new();
    let known: u32 = fields.iter().fold(0, |acc, f| acc | (1 << f.bit));
    if let Some(bit) = (0..(flags_width as u32 * 8)).find(|b| flags & (1 << b) & !known != 0) {
        return Err(DecodeError::UnsupportedFlag {
            what: reader.what(),
            bit,
            offset: reader.offset(),
        });
    }
    for spec in fields {
        if flags & (1 << spec.bit) != 0 {
            let value = if spec.signed {
                reader.sint(spec.name, spec.width)?
            } else {
                reader.uint(spec.name, spec.width)? as i64
            };
            values.push((spec.name, value));
        }
    }
    reader.finish()?;
    Ok(ActivityRecord {
        characteristic,
        flags,
        session_id,
        sub_session_id,
        relative_timestamp,
        sequence_number,
        fields: values,
    })
}

/// PAM Features (0x2B3B): a little-endian bit field of 1 to 8 octets (the
/// feature bits themselves are not named here: unverified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features(pub u64);

impl Features {
    /// Decodes the bit field.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Characteristic::Features.name(), bytes);
        if bytes.is_empty() || bytes.len() > 8 {
            return Err(reader.invalid(
                "Features",
                0,
                format!("{} byte(s), expected 1 to 8", bytes.len()),
            ));
        }
        Ok(Features(reader.uint("Features", bytes.len())?))
    }

    /// Whether feature bit `bit` is set.
    pub fn has(self, bit: u32) -> bool {
        bit < 64 && self.0 & (1 << bit) != 0
    }
}

/// PAM Control Point requests (op codes: our reading of PAMS §3.9;
/// unverified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlPointRequest {
    /// Enquire Sessions (0x01).
    EnquireSessions,
    /// Enquire Sub-Sessions of a session (0x02).
    EnquireSubSessions {
        /// Session to enquire.
        session_id: u16,
    },
    /// Get Ended Session Data (0x03).
    GetEndedSessionData {
        /// Session.
        session_id: u16,
        /// Sub-session.
        sub_session_id: u16,
    },
    /// Start Session or Sub-Session (0x04).
    StartSession,
    /// Stop Session (0x05).
    StopSession,
    /// Delete Ended Session (0x06).
    DeleteEndedSession {
        /// Session to delete.
        session_id: u16,
    },
}

impl ControlPointRequest {
    /// Response Code op code.
    pub const RESPONSE_OPCODE: u8 = 0xF0;

    /// The op code.
    pub fn opcode(self) -> u8 {
        match self {
            ControlPointRequest::EnquireSessions => 0x01,
            ControlPointRequest::EnquireSubSessions { .. } => 0x02,
            ControlPointRequest::GetEndedSessionData { .. } => 0x03,
            ControlPointRequest::StartSession => 0x04,
            ControlPointRequest::StopSession => 0x05,
            ControlPointRequest::DeleteEndedSession { .. } => 0x06,
        }
    }

    /// The bytes to write.
    pub fn encode(self) -> Vec<u8> {
        let mut out = vec![self.opcode()];
        match self {
            ControlPointRequest::EnquireSubSessions { session_id }
            | ControlPointRequest::DeleteEndedSession { session_id } => {
                out.extend_from_slice(&session_id.to_le_bytes())
            }
            ControlPointRequest::GetEndedSessionData {
                session_id,
                sub_session_id,
            } => {
                out.extend_from_slice(&session_id.to_le_bytes());
                out.extend_from_slice(&sub_session_id.to_le_bytes());
            }
            _ => {}
        }
        out
    }
}

/// Result of a control point request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultCode {
    /// 0x01.
    Success,
    /// 0x02.
    OpCodeNotSupported,
    /// 0x03.
    InvalidParameter,
    /// 0x04.
    OperationFailed,
    /// Any other value.
    Other(u8),
}

impl ResultCode {
    fn from_byte(byte: u8) -> Self {
        match byte {
            0x01 => ResultCode::Success,
            0x02 => ResultCode::OpCodeNotSupported,
            0x03 => ResultCode::InvalidParameter,
            0x04 => ResultCode::OperationFailed,
            other => ResultCode::Other(other),
        }
    }
}

/// A control point indication: `0xF0, request op code, result, parameter…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPointResponse {
    /// Op code of the request answered.
    pub request_opcode: u8,
    /// Outcome.
    pub result: ResultCode,
    /// Response parameter bytes, if any.
    pub parameter: Vec<u8>,
}

impl ControlPointResponse {
    /// Decodes an indication.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Characteristic::ControlPoint.name(), bytes);
        let opcode = reader.u8("Op Code")?;
        if opcode != ControlPointRequest::RESPONSE_OPCODE {
            return Err(reader.invalid(
                "Op Code",
                0,
                format!("0x{opcode:02X} is not Response Code (0xF0)"),
            ));
        }
        let request_opcode = reader.u8("Request Op Code")?;
        let result = ResultCode::from_byte(reader.u8("Result Code")?);
        let parameter = reader
            .take("Response Parameter", reader.remaining())?
            .to_vec();
        Ok(ControlPointResponse {
            request_opcode,
            result,
            parameter,
        })
    }
}

/// Physical Activity Current Session (0x2B44): which session and
/// sub-session is running (layout unverified: Flags u8, Session ID u16,
/// Sub-Session ID u16, Relative Timestamp u32 of the sub-session start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentSession {
    /// Flags as sent.
    pub flags: u8,
    /// Session ID.
    pub session_id: u16,
    /// Sub-Session ID.
    pub sub_session_id: u16,
    /// Relative Timestamp of the sub-session start.
    pub relative_timestamp: u32,
}

impl CurrentSession {
    /// Decodes the value.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Characteristic::CurrentSession.name(), bytes);
        let session = CurrentSession {
            flags: reader.u8("Flags")?,
            session_id: reader.u16("Session ID")?,
            sub_session_id: reader.u16("Sub-Session ID")?,
            relative_timestamp: reader.u32("Relative Timestamp")?,
        };
        reader.finish()?;
        Ok(session)
    }
}

/// Physical Activity Session Descriptor (0x2B45), reassembled: session
/// identity and its start as a Date Time (layout unverified beyond these
/// fields; the rest is kept raw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescriptor {
    /// Flags as sent.
    pub flags: u8,
    /// Session ID.
    pub session_id: u16,
    /// Sub-Session ID.
    pub sub_session_id: u16,
    /// Session start (device wall-clock time); `None` if "unknown" (zeros).
    pub start: Option<NaiveDateTime>,
    /// Remaining fields, undecoded.
    pub rest: Vec<u8>,
}

impl SessionDescriptor {
    /// Decodes a reassembled record.
    pub fn decode(record: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Characteristic::SessionDescriptor.name(), record);
        let flags = reader.u8("Flags")?;
        let session_id = reader.u16("Session ID")?;
        let sub_session_id = reader.u16("Sub-Session ID")?;
        let at = reader.offset();
        let year = reader.u16("Session Start Time (year)")?;
        let date = reader.take("Session Start Time", 5)?;
        let (month, day, hour, minute, second) = (date[0], date[1], date[2], date[3], date[4]);
        let start = if year == 0 || month == 0 || day == 0 {
            None
        } else {
            Some(
                NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))
                    .and_then(|d| {
                        d.and_hms_opt(u32::from(hour), u32::from(minute), u32::from(second))
                    })
                    .ok_or_else(|| {
                        reader.invalid(
                            "Session Start Time",
                            at,
                            format!(
                                "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} is not a date-time"
                            ),
                        )
                    })?,
            )
        };
        let rest = reader.take("rest", reader.remaining())?.to_vec();
        Ok(SessionDescriptor {
            flags,
            session_id,
            sub_session_id,
            start,
            rest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step_record() -> Vec<u8> {
        // Layout per `layout::STEP_COUNTER_SUMMARY` (unverified): flags 0x0B
        // (normal walking, intensity, distance), session 1, sub-session 2,
        // relative timestamp 3600 s, sequence 7, 1000 + 200 steps, 850 m.
        let mut record = vec![0x0B, 0x01, 0x00, 0x02, 0x00];
        record.extend_from_slice(&3600u32.to_le_bytes());
        record.extend_from_slice(&7u32.to_le_bytes());
        record.extend_from_slice(&[0xE8, 0x03, 0x00, 0xC8, 0x00, 0x00, 0x52, 0x03, 0x00]);
        record
    }

    #[test]
    fn header_bits() {
        let header = SegmentHeader::from_byte(0b0001_0111);
        assert_eq!(
            header,
            SegmentHeader {
                first: true,
                last: true,
                counter: 5
            }
        );
        assert_eq!(header.to_byte(), 0b0001_0111);
    }

    #[test]
    fn segments_round_trip_through_reassembler() {
        let record = step_record();
        let mut counter = 62;
        let values = segment(&record, 8, &mut counter);
        assert_eq!(values.len(), 4);
        assert_eq!(counter, 2, "counter wraps at 64");
        let mut reassembler = Reassembler::new(Characteristic::StepCounterSummary);
        let mut out = Vec::new();
        for value in &values {
            out.extend(reassembler.push(value));
        }
        assert_eq!(out.len(), 1);
        let decoded =
            decode_record(Characteristic::StepCounterSummary, out[0].as_ref().unwrap()).unwrap();
        assert_eq!(decoded.session_id, 1);
        assert_eq!(decoded.sub_session_id, 2);
        assert_eq!(decoded.relative_timestamp, 3600);
        assert_eq!(decoded.sequence_number, 7);
        assert_eq!(decoded.total_steps(), Some(1200));
        assert_eq!(decoded.field("Distance"), Some(850));
    }

    #[test]
    fn lost_segment_discards_the_record() {
        let mut counter = 0;
        let values = segment(&step_record(), 8, &mut counter);
        let mut reassembler = Reassembler::new(Characteristic::StepCounterSummary);
        assert!(reassembler.push(&values[0]).is_empty());
        let out = reassembler.push(&values[2]);
        assert!(matches!(
            out[..],
            [Err(DecodeError::SegmentSequence {
                expected: 1,
                got: 2,
                discarded: 7,
                ..
            })]
        ));
        // The rest of the broken record is orphaned.
        assert!(matches!(
            reassembler.push(&values[3])[..],
            [Err(DecodeError::SegmentWithoutFirst { counter: 3, .. })]
        ));
        // The next record reassembles normally.
        let again = segment(&step_record(), 100, &mut counter);
        assert!(matches!(reassembler.push(&again[0])[..], [Ok(_)]));
    }

    #[test]
    fn interrupting_first_segment_reports_loss_then_record() {
        let mut counter = 0;
        let long = segment(&step_record(), 8, &mut counter);
        let short = segment(&[1, 2, 3], 20, &mut counter);
        let mut reassembler = Reassembler::new(Characteristic::SleepSummary);
        assert!(reassembler.push(&long[0]).is_empty());
        let out = reassembler.push(&short[0]);
        assert!(matches!(
            out[0],
            Err(DecodeError::SegmentInterrupted { discarded: 7, .. })
        ));
        assert_eq!(out[1].as_deref().unwrap(), &[1, 2, 3]);
        assert!(matches!(
            reassembler.push(&[])[..],
            [Err(DecodeError::Truncated { .. })]
        ));
    }

    #[test]
    fn unknown_flag_and_truncation_are_precise() {
        let mut record = step_record();
        record[0] |= 0x80;
        assert_eq!(
            decode_record(Characteristic::StepCounterSummary, &record).unwrap_err().to_string(),
            "Step Counter Activity Summary Data: flag bit 7 is set but its field is not supported (byte 13)"
        );
        let record = step_record();
        assert_eq!(
            decode_record(Characteristic::StepCounterSummary, &record[..20]).unwrap_err().to_string(),
            "Step Counter Activity Summary Data: truncated at byte 19 reading Distance (3 byte(s) needed, payload is 20 byte(s))"
        );
        assert!(decode_record(Characteristic::ControlPoint, &record).is_err());
    }

    #[test]
    fn sleep_summary_fields() {
        // flags 0x0021: Total Sleep Time (u24) and Sleep Efficiency (u8).
        let mut record = vec![0x21, 0x00, 0x05, 0x00, 0x00, 0x00];
        record.extend_from_slice(&0u32.to_le_bytes());
        record.extend_from_slice(&1u32.to_le_bytes());
        record.extend_from_slice(&[0x80, 0x70, 0x00, 91]);
        let decoded = decode_record(Characteristic::SleepSummary, &record).unwrap();
        assert_eq!(decoded.field("Total Sleep Time"), Some(28_800));
        assert_eq!(decoded.field("Sleep Efficiency"), Some(91));
    }

    #[test]
    fn control_point() {
        assert_eq!(
            ControlPointRequest::GetEndedSessionData {
                session_id: 0x0102,
                sub_session_id: 3
            }
            .encode(),
            vec![0x03, 0x02, 0x01, 0x03, 0x00]
        );
        assert_eq!(ControlPointRequest::EnquireSessions.encode(), vec![0x01]);
        let response = ControlPointResponse::decode(&[0xF0, 0x01, 0x01, 0x02, 0x00]).unwrap();
        assert_eq!(response.result, ResultCode::Success);
        assert_eq!(response.parameter, vec![2, 0]);
        assert!(ControlPointResponse::decode(&[0x01, 0x01, 0x01]).is_err());
        assert!(ControlPointResponse::decode(&[0xF0, 0x01]).is_err());
    }

    #[test]
    fn features_current_session_descriptor() {
        assert!(Features::decode(&[0x05, 0x00, 0x01]).unwrap().has(16));
        assert!(Features::decode(&[]).is_err());
        assert!(Features::decode(&[0; 9]).is_err());
        let current = CurrentSession::decode(&[0, 1, 0, 2, 0, 0x10, 0, 0, 0]).unwrap();
        assert_eq!(
            (
                current.session_id,
                current.sub_session_id,
                current.relative_timestamp
            ),
            (1, 2, 16)
        );
        let descriptor =
            SessionDescriptor::decode(&[0, 1, 0, 0, 0, 0xEA, 0x07, 3, 1, 6, 30, 0, 0xAA]).unwrap();
        assert_eq!(descriptor.start.unwrap().to_string(), "2026-03-01 06:30:00");
        assert_eq!(descriptor.rest, vec![0xAA]);
        assert!(SessionDescriptor::decode(&[0, 1, 0, 0, 0, 0xEA, 0x07, 2, 30, 6, 30, 0]).is_err());
    }
}
