//! Bluetooth SIG Physical Activity Monitor Service (PAMS 1.0, service 0x183E).
//!
//! **Verification status** (see `docs/ble.md`): the service and characteristic
//! UUIDs are the SIG assigned numbers. The adopted specification's text was
//! not readable from where this was written, so the record layouts were
//! cross-checked against two independent public implementations instead: a
//! vendor's PAMS server reference firmware (packed C structs of every record,
//! the control point handler) and a Python GATT library whose flag tables
//! cite the specification's table numbers (3.17, 3.18, 3.20, 3.22). Where
//! both give a field, they agree, and the tables below ([`layout`]) follow
//! them; where only one does, the table says so. The tables are kept in one
//! place so a correction is a one-line change. A flag bit not in a table makes
//! decoding fail with [`DecodeError::UnsupportedFlag`] rather than guess where
//! later fields are.
//!
//! Segmentation: every value of a segmented characteristic starts with a
//! header octet (bit 0 first segment, bit 1 last segment, bits 2–7 a rolling
//! 6-bit counter), then flags, Session ID, Sub-Session ID, Relative Timestamp
//! and Sequence Number, then the optional fields. [`to_samples`] maps
//! decoded records to model samples given the session's start.

pub use crate::pams_monitor::{MonitorSession, SimulatedMonitor, NO_SUCH_SESSION};
use crate::reader::Reader;
use crate::{batches, push_stage, sig_uuid, DecodeError};
use chrono::{NaiveDate, NaiveDateTime};
use phr_model::{ActivityEpoch, HeartRate, Samples, SleepEpisode, SleepStage, Stamp, StepCount};

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
    /// Width in bytes; 0 for a status bit that carries no field (such as
    /// "Device Worn").
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

const fn signed(bit: u32, name: &'static str, width: usize) -> FieldSpec {
    FieldSpec {
        bit,
        name,
        width,
        signed: true,
    }
}

const fn status(bit: u32, name: &'static str) -> FieldSpec {
    unsigned(bit, name, 0)
}

/// Record layouts: width of the flags field and the optional fields in
/// order (see the module docs for how they were checked).
pub mod layout {
    use super::{signed, status, unsigned, FieldSpec};

    /// General Activity Instantaneous Data: 3-octet flags. Both sources
    /// agree on the bits; widths from the reference firmware.
    pub const GENERAL_INSTANTANEOUS: (usize, &[FieldSpec]) = (
        3,
        &[
            unsigned(0, "Normal Walking Energy Expenditure per Hour", 2),
            unsigned(1, "Intensity Energy Expenditure per Hour", 2),
            unsigned(2, "Total Energy Expenditure per Hour", 2),
            unsigned(3, "Fat Burned per Hour", 2),
            unsigned(4, "Metabolic Equivalent", 1),
            unsigned(5, "Speed", 2),
            unsigned(6, "Motion Cadence", 2),
            signed(7, "Elevation", 3),
            unsigned(8, "Activity Count per Minute", 2),
            unsigned(9, "Activity Level", 2),
            unsigned(10, "Activity Type", 2),
            status(23, "Device Worn"),
        ],
    );

    /// General Activity Summary Data: 4-octet flags. Both sources agree on
    /// the bits; widths from the reference firmware.
    pub const GENERAL_SUMMARY: (usize, &[FieldSpec]) = (
        4,
        &[
            unsigned(0, "Normal Walking Energy Expenditure", 4),
            unsigned(1, "Intensity Energy Expenditure", 4),
            unsigned(2, "Total Energy Expenditure", 4),
            unsigned(3, "Fat Burned", 2),
            unsigned(4, "Minimum Metabolic Equivalent", 1),
            unsigned(5, "Maximum Metabolic Equivalent", 1),
            unsigned(6, "Average Metabolic Equivalent", 1),
            unsigned(7, "Distance", 3),
            unsigned(8, "Minimum Speed", 2),
            unsigned(9, "Maximum Speed", 2),
            unsigned(10, "Average Speed", 2),
            unsigned(11, "Duration of Normal Walking Episodes", 3),
            unsigned(12, "Duration of Intensity Walking Episodes", 3),
            unsigned(13, "Minimum Motion Cadence", 2),
            unsigned(14, "Maximum Motion Cadence", 2),
            unsigned(15, "Average Motion Cadence", 2),
            signed(16, "Floors", 1),
            unsigned(17, "Positive Elevation Gain", 3),
            unsigned(18, "Negative Elevation Gain", 3),
            unsigned(19, "Activity Count", 4),
            unsigned(20, "Minimum Activity Level", 2),
            unsigned(21, "Maximum Activity Level", 2),
            unsigned(22, "Average Activity Level", 2),
            unsigned(23, "Average Activity Type", 2),
            unsigned(24, "Worn Duration", 3),
        ],
    );

    /// Step Counter Activity Summary Data: 1-octet flags. Bits and widths
    /// agree in both sources.
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

    /// Sleep Activity Instantaneous Data: 2-octet flags (both sources).
    /// Sleep Stage is the 24-bit bit field of the specification's Table 3.18
    /// (the library; the older firmware draft has one octet).
    pub const SLEEP_INSTANTANEOUS: (usize, &[FieldSpec]) = (
        2,
        &[
            unsigned(0, "Visible Light Level", 3),
            unsigned(1, "UV Light Level", 3),
            unsigned(2, "IR Light Level", 3),
            unsigned(3, "Sleep Stage", 3),
            unsigned(4, "Sleeping Heart Rate", 1),
            status(15, "Device Worn"),
        ],
    );

    /// Sleep Activity Summary Data: 3-octet flags (both sources; Table
    /// 3.20). Widths from the reference firmware.
    pub const SLEEP_SUMMARY: (usize, &[FieldSpec]) = (
        3,
        &[
            unsigned(0, "Total Sleep Time", 3),
            unsigned(1, "Total Wake Time", 3),
            unsigned(2, "Total Bed Time", 3),
            unsigned(3, "Number of Awakenings", 2),
            unsigned(4, "Sleep Latency", 2),
            unsigned(5, "Sleep Efficiency", 1),
            unsigned(6, "Snooze Time", 2),
            unsigned(7, "Number of Toss and Turn Events", 2),
            unsigned(8, "Time of Awakening after Alarm", 3),
            unsigned(9, "Minimum Visible Light Level", 3),
            unsigned(10, "Maximum Visible Light Level", 3),
            unsigned(11, "Average Visible Light Level", 3),
            unsigned(12, "Minimum UV Light Level", 3),
            unsigned(13, "Maximum UV Light Level", 3),
            unsigned(14, "Average UV Light Level", 3),
            unsigned(15, "Minimum IR Light Level", 3),
            unsigned(16, "Maximum IR Light Level", 3),
            unsigned(17, "Average IR Light Level", 3),
            unsigned(18, "Average Sleeping Heart Rate", 1),
            unsigned(19, "Worn Duration", 3),
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

    /// The "Device Worn" status bit of an instantaneous record (`None` for
    /// characteristics that have none).
    pub fn device_worn(&self) -> Option<bool> {
        let bit = match self.characteristic {
            Characteristic::GeneralActivityInstantaneous => 23,
            Characteristic::SleepInstantaneous => 15,
            _ => return None,
        };
        Some(self.flags & (1 << bit) != 0)
    }
}

/// The flags width and field table of an activity data characteristic.
fn record_layout(
    characteristic: Characteristic,
) -> Result<(usize, &'static [FieldSpec]), DecodeError> {
    match characteristic {
        Characteristic::GeneralActivityInstantaneous => Ok(layout::GENERAL_INSTANTANEOUS),
        Characteristic::GeneralActivitySummary => Ok(layout::GENERAL_SUMMARY),
        Characteristic::StepCounterSummary => Ok(layout::STEP_COUNTER_SUMMARY),
        Characteristic::SleepInstantaneous => Ok(layout::SLEEP_INSTANTANEOUS),
        Characteristic::SleepSummary => Ok(layout::SLEEP_SUMMARY),
        other => Err(DecodeError::Invalid {
            what: other.name(),
            field: "characteristic",
            offset: 0,
            reason: "not an activity data characteristic".into(),
        }),
    }
}

/// The bytes of a record: the inverse of [`decode_record`], for simulated
/// monitors and tests. The flags are those of the fields present plus the
/// status bits (fields of width 0) set in `record.flags`; a field name
/// that is not in the characteristic's table is an error.
pub fn encode_record(record: &ActivityRecord) -> Result<Vec<u8>, DecodeError> {
    let (flags_width, fields) = record_layout(record.characteristic)?;
    let unknown = |name: &str| DecodeError::Invalid {
        what: record.characteristic.name(),
        field: "fields",
        offset: 0,
        reason: format!("{name:?} is not a field of this characteristic"),
    };
    let mut flags = 0u32;
    for spec in fields {
        let status_set = spec.width == 0 && record.flags & (1 << spec.bit) != 0;
        if status_set || (spec.width > 0 && record.field(spec.name).is_some()) {
            flags |= 1 << spec.bit;
        }
    }
    if let Some((name, _)) = record
        .fields
        .iter()
        .find(|(name, _)| !fields.iter().any(|f| f.width > 0 && f.name == *name))
    {
        return Err(unknown(name));
    }
    let mut out = flags.to_le_bytes()[..flags_width].to_vec();
    out.extend_from_slice(&record.session_id.to_le_bytes());
    out.extend_from_slice(&record.sub_session_id.to_le_bytes());
    out.extend_from_slice(&record.relative_timestamp.to_le_bytes());
    out.extend_from_slice(&record.sequence_number.to_le_bytes());
    for spec in fields.iter().filter(|f| f.width > 0) {
        if let Some(value) = record.field(spec.name) {
            out.extend_from_slice(&value.to_le_bytes()[..spec.width]);
        }
    }
    Ok(out)
}

/// Decodes one reassembled record of an activity data characteristic.
pub fn decode_record(
    characteristic: Characteristic,
    record: &[u8],
) -> Result<ActivityRecord, DecodeError> {
    let (flags_width, fields) = record_layout(characteristic)?;
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
    for spec in fields.iter().filter(|f| f.width > 0) {
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

/// Which activity data characteristic a Get Ended Session Data request asks
/// for (the request's last octet, in the reference firmware's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSelector {
    /// General Activity Instantaneous Data (0).
    GeneralActivityInstantaneous,
    /// General Activity Summary Data (1).
    GeneralActivitySummary,
    /// CardioRespiratory Activity Instantaneous Data (2).
    CardioRespiratoryInstantaneous,
    /// CardioRespiratory Activity Summary Data (3).
    CardioRespiratorySummary,
    /// Step Counter Activity Summary Data (4).
    StepCounterSummary,
    /// Sleep Activity Instantaneous Data (5).
    SleepInstantaneous,
    /// Sleep Activity Summary Data (6).
    SleepSummary,
}

impl DataSelector {
    /// The selector of an octet sent.
    pub fn from_code(code: u8) -> Option<Self> {
        [
            DataSelector::GeneralActivityInstantaneous,
            DataSelector::GeneralActivitySummary,
            DataSelector::CardioRespiratoryInstantaneous,
            DataSelector::CardioRespiratorySummary,
            DataSelector::StepCounterSummary,
            DataSelector::SleepInstantaneous,
            DataSelector::SleepSummary,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// The characteristic its records arrive on (none for the
    /// CardioRespiratory data, which is not handled here).
    pub fn characteristic(self) -> Option<Characteristic> {
        match self {
            DataSelector::GeneralActivityInstantaneous => {
                Some(Characteristic::GeneralActivityInstantaneous)
            }
            DataSelector::GeneralActivitySummary => Some(Characteristic::GeneralActivitySummary),
            DataSelector::StepCounterSummary => Some(Characteristic::StepCounterSummary),
            DataSelector::SleepInstantaneous => Some(Characteristic::SleepInstantaneous),
            DataSelector::SleepSummary => Some(Characteristic::SleepSummary),
            DataSelector::CardioRespiratoryInstantaneous
            | DataSelector::CardioRespiratorySummary => None,
        }
    }

    /// The octet sent.
    pub fn code(self) -> u8 {
        match self {
            DataSelector::GeneralActivityInstantaneous => 0,
            DataSelector::GeneralActivitySummary => 1,
            DataSelector::CardioRespiratoryInstantaneous => 2,
            DataSelector::CardioRespiratorySummary => 3,
            DataSelector::StepCounterSummary => 4,
            DataSelector::SleepInstantaneous => 5,
            DataSelector::SleepSummary => 6,
        }
    }
}

/// PAM Control Point requests (op codes: Table 3.22, in both sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlPointRequest {
    /// Enquire Sessions (0x01): the server indicates a Session Descriptor
    /// per session, then a success response with their count.
    EnquireSessions,
    /// Enquire Sub-Sessions of a session (0x02).
    EnquireSubSessions {
        /// Session to enquire.
        session_id: u16,
    },
    /// Get Ended Session Data (0x03): the server sends the selected
    /// characteristic's records of an ended (sub-)session, then a success
    /// response with their count.
    GetEndedSessionData {
        /// Session.
        session_id: u16,
        /// Sub-session; [`ControlPointRequest::ALL_SUB_SESSIONS`] for all.
        sub_session_id: u16,
        /// Which records.
        data: DataSelector,
    },
    /// Start Session (0x04 0x00) or a new Sub-Session of the running
    /// session (0x04 0x01).
    StartSession {
        /// Start a sub-session rather than a session.
        sub_session: bool,
    },
    /// Stop Session (0x05).
    StopSession,
    /// Delete Ended Session (0x06).
    DeleteEndedSession {
        /// Session to delete.
        session_id: u16,
    },
}

impl ControlPointRequest {
    /// Sub-Session ID meaning "every sub-session of the session".
    pub const ALL_SUB_SESSIONS: u16 = 0xFFFF;

    /// The op code.
    pub fn opcode(self) -> u8 {
        match self {
            ControlPointRequest::EnquireSessions => 0x01,
            ControlPointRequest::EnquireSubSessions { .. } => 0x02,
            ControlPointRequest::GetEndedSessionData { .. } => 0x03,
            ControlPointRequest::StartSession { .. } => 0x04,
            ControlPointRequest::StopSession => 0x05,
            ControlPointRequest::DeleteEndedSession { .. } => 0x06,
        }
    }

    /// Decodes a written request (the server's side: simulated monitors).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Characteristic::ControlPoint.name(), bytes);
        let request = match reader.u8("Op Code")? {
            0x01 => ControlPointRequest::EnquireSessions,
            0x02 => ControlPointRequest::EnquireSubSessions {
                session_id: reader.u16("Session ID")?,
            },
            0x03 => {
                let session_id = reader.u16("Session ID")?;
                let sub_session_id = reader.u16("Sub-Session ID")?;
                let at = reader.offset();
                let code = reader.u8("Data Selector")?;
                let data = DataSelector::from_code(code).ok_or_else(|| {
                    reader.invalid("Data Selector", at, format!("{code} is not 0 to 6"))
                })?;
                ControlPointRequest::GetEndedSessionData {
                    session_id,
                    sub_session_id,
                    data,
                }
            }
            0x04 => ControlPointRequest::StartSession {
                sub_session: reader.u8("Session Type")? != 0,
            },
            0x05 => ControlPointRequest::StopSession,
            0x06 => ControlPointRequest::DeleteEndedSession {
                session_id: reader.u16("Session ID")?,
            },
            other => {
                return Err(reader.invalid(
                    "Op Code",
                    0,
                    format!("0x{other:02X} is not a request op code (0x01 to 0x06)"),
                ))
            }
        };
        reader.finish()?;
        Ok(request)
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
                data,
            } => {
                out.extend_from_slice(&session_id.to_le_bytes());
                out.extend_from_slice(&sub_session_id.to_le_bytes());
                out.push(data.code());
            }
            ControlPointRequest::StartSession { sub_session } => out.push(u8::from(sub_session)),
            ControlPointRequest::EnquireSessions | ControlPointRequest::StopSession => {}
        }
        out
    }
}

/// A control point indication answering Enquire Sessions, Enquire
/// Sub-Sessions or Get Ended Session Data (op codes 0xFA–0xFF). Other
/// requests are answered by the write response itself; their failures
/// arrive as ATT application errors (0x80–0x90 in the reference firmware),
/// which the Bluetooth stack reports, not this decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlPointResponse {
    /// 0xFA: the records of an ended session were sent; how many (u24).
    GetEndedSessionDataSuccess {
        /// Records sent.
        records: u32,
    },
    /// 0xFB: sub-session descriptors were sent; how many.
    EnquireSubSessionsSuccess {
        /// Descriptors sent.
        count: u16,
    },
    /// 0xFC: session descriptors were sent; how many.
    EnquireSessionsSuccess {
        /// Descriptors sent.
        count: u16,
    },
    /// 0xFD, 0xFE, 0xFF: the request (op code 0x03, 0x02, 0x01) failed.
    Error {
        /// Op code of the request that failed.
        request_opcode: u8,
        /// The error parameter as sent.
        code: u8,
    },
}

impl ControlPointResponse {
    /// The indication's bytes (the server's side: simulated monitors).
    pub fn encode(self) -> Vec<u8> {
        match self {
            ControlPointResponse::GetEndedSessionDataSuccess { records } => {
                let mut out = vec![0xFA];
                out.extend_from_slice(&records.to_le_bytes()[..3]);
                out
            }
            ControlPointResponse::EnquireSubSessionsSuccess { count } => {
                let mut out = vec![0xFB];
                out.extend_from_slice(&count.to_le_bytes());
                out
            }
            ControlPointResponse::EnquireSessionsSuccess { count } => {
                let mut out = vec![0xFC];
                out.extend_from_slice(&count.to_le_bytes());
                out
            }
            ControlPointResponse::Error {
                request_opcode,
                code,
            } => vec![0u8.wrapping_sub(request_opcode), code],
        }
    }

    /// Decodes an indication.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(Characteristic::ControlPoint.name(), bytes);
        let opcode = reader.u8("Op Code")?;
        let response = match opcode {
            0xFA => ControlPointResponse::GetEndedSessionDataSuccess {
                records: reader.uint("Number of Records", 3)? as u32,
            },
            0xFB => ControlPointResponse::EnquireSubSessionsSuccess {
                count: reader.u16("Number of Sub-Sessions")?,
            },
            0xFC => ControlPointResponse::EnquireSessionsSuccess {
                count: reader.u16("Number of Sessions")?,
            },
            0xFD..=0xFF => ControlPointResponse::Error {
                // 0xFF answers 0x01, 0xFE 0x02, 0xFD 0x03.
                request_opcode: (0x100 - u16::from(opcode)) as u8,
                code: reader.u8("Error Parameter")?,
            },
            other => {
                return Err(reader.invalid(
                    "Op Code",
                    0,
                    format!("0x{other:02X} is not a response op code (0xFA to 0xFF)"),
                ))
            }
        };
        reader.finish()?;
        Ok(response)
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
    /// The value's bytes (the server's side: simulated monitors).
    pub fn encode(self) -> Vec<u8> {
        let mut out = vec![self.flags];
        out.extend_from_slice(&self.session_id.to_le_bytes());
        out.extend_from_slice(&self.sub_session_id.to_le_bytes());
        out.extend_from_slice(&self.relative_timestamp.to_le_bytes());
        out
    }

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
    /// The record's bytes before segmentation (the server's side:
    /// simulated monitors); an unknown start is sent as zeros.
    pub fn encode(&self) -> Vec<u8> {
        use chrono::{Datelike, Timelike};
        let mut out = vec![self.flags];
        out.extend_from_slice(&self.session_id.to_le_bytes());
        out.extend_from_slice(&self.sub_session_id.to_le_bytes());
        match self.start {
            Some(start) => {
                let year = u16::try_from(start.year()).unwrap_or(0);
                out.extend_from_slice(&year.to_le_bytes());
                for part in [
                    start.month(),
                    start.day(),
                    start.hour(),
                    start.minute(),
                    start.second(),
                ] {
                    out.push(part as u8);
                }
            }
            None => out.extend_from_slice(&[0; 7]),
        }
        out.extend_from_slice(&self.rest);
        out
    }

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

/// Longest time one Sleep Activity Instantaneous reading is taken to last
/// when the next reading is later (or there is none).
const MAX_READING_SECONDS: i64 = 600;

/// Longest wake (or missing) stretch inside one sleep episode.
const MAX_EPISODE_GAP_SECONDS: i64 = 1800;

/// The model stage for a Sleep Stage bit field (Table 3.18: bit 0 wake,
/// 1 sleep, 2 REM, 3 non-REM, 4 light, 5 deep, 6–9 N1–N4, 10 active sleep,
/// 11 quiet sleep, 12 intermediate sleep, 13 arousal, 23 unknown). The most
/// specific bit wins; `None` when no bit says anything.
pub fn sleep_stage(bits: u32) -> Option<SleepStage> {
    let has = |bit: u32| bits & (1 << bit) != 0;
    if has(2) || has(10) {
        Some(SleepStage::Rem)
    } else if has(5) || has(8) || has(9) || has(11) {
        Some(SleepStage::Deep)
    } else if has(4) || has(6) || has(7) || has(12) {
        Some(SleepStage::Light)
    } else if has(1) || has(3) {
        Some(SleepStage::Asleep)
    } else if has(0) || has(13) {
        Some(SleepStage::Awake)
    } else {
        None
    }
}

/// Maps the decoded records of **one session** to model samples.
///
/// `session_start_utc` is the session's start as a Unix instant (the
/// caller turns the Session Descriptor's device wall-clock start into one,
/// with the device's clock offset); each record's Relative Timestamp counts
/// seconds from it. `stamp` gives a Unix instant the wearer's offset.
///
/// * General Activity Instantaneous → an [`ActivityEpoch`] of 60 s per
///   record carrying "Activity Count per Minute".
/// * Step Counter Activity Summary → a [`StepCount`] of its total steps
///   over the time since the previous summary of the session (or the
///   session start): our reading of "summary", unconfirmed by the sources.
/// * Sleep Activity Instantaneous → a [`HeartRate`] for each "Sleeping Heart
///   Rate", and sleep stages: each reading lasts until the next (at most
///   10 min); stretches of sleep separated by at most 30 min of wake form one
///   device-scored [`SleepEpisode`], the longest one marked main.
/// * Summary records of other kinds carry totals we compute ourselves from
///   the minute data, so they are not stored.
///
/// Records repeated by a re-fetch (same characteristic and Relative
/// Timestamp) count once; the last one wins.
pub fn to_samples(
    records: &[ActivityRecord],
    session_start_utc: i64,
    stamp: impl Fn(i64) -> Stamp,
) -> Vec<Samples> {
    let mut sorted: Vec<&ActivityRecord> = records.iter().collect();
    sorted.sort_by_key(|r| (r.characteristic.short_uuid(), r.relative_timestamp));
    sorted.reverse();
    sorted.dedup_by_key(|r| (r.characteristic.short_uuid(), r.relative_timestamp));
    sorted.reverse();
    let at = |r: &ActivityRecord| session_start_utc + i64::from(r.relative_timestamp);

    let mut activity = Vec::new();
    let mut steps = Vec::new();
    let mut heart = Vec::new();
    let mut readings: Vec<(i64, SleepStage)> = Vec::new();
    let mut last_step_summary = session_start_utc;
    for record in sorted {
        let t = at(record);
        match record.characteristic {
            Characteristic::GeneralActivityInstantaneous => {
                if let Some(count) = record.field("Activity Count per Minute") {
                    activity.push(ActivityEpoch {
                        at: stamp(t),
                        epoch_seconds: 60,
                        count: count as u32,
                    });
                }
            }
            Characteristic::StepCounterSummary => {
                if let Some(total) = record.total_steps().filter(|n| *n > 0) {
                    let start = last_step_summary.min(t - 1);
                    steps.push(StepCount {
                        start: stamp(start),
                        duration_seconds: u32::try_from(t - start).unwrap_or(u32::MAX),
                        steps: u32::try_from(total).unwrap_or(u32::MAX),
                    });
                }
                last_step_summary = t;
            }
            Characteristic::SleepInstantaneous => {
                if let Some(bpm) = record.field("Sleeping Heart Rate").filter(|b| *b > 0) {
                    heart.push(HeartRate {
                        at: stamp(t),
                        bpm: bpm as u16,
                    });
                }
                if let Some(stage) = record
                    .field("Sleep Stage")
                    .and_then(|b| sleep_stage(b as u32))
                {
                    readings.push((t, stage));
                }
            }
            _ => {}
        }
    }
    batches(steps, heart, activity, sleep_episodes(&readings, &stamp))
}

/// Sleep episodes from time-ordered stage readings (see [`to_samples`]).
fn sleep_episodes(
    readings: &[(i64, SleepStage)],
    stamp: &impl Fn(i64) -> Stamp,
) -> Vec<SleepEpisode> {
    let mut episodes: Vec<SleepEpisode> = Vec::new();
    // Wake spans after the last sleep of the open episode: kept only if
    // sleep follows within the gap.
    let mut pending: Vec<(i64, i64)> = Vec::new();
    let mut open_until: Option<i64> = None;
    for (i, &(start, stage)) in readings.iter().enumerate() {
        let next = readings.get(i + 1).map(|r| r.0);
        let length = next.map_or(60, |n| n - start).clamp(1, MAX_READING_SECONDS);
        let end = start + length;
        if stage == SleepStage::Awake {
            if open_until.is_some() {
                pending.push((start, end));
            }
            continue;
        }
        let continues = open_until.is_some_and(|until| start - until <= MAX_EPISODE_GAP_SECONDS);
        match episodes.last_mut() {
            Some(episode) if continues => {
                for (wake_start, wake_end) in pending.drain(..) {
                    let offset = u32::try_from(wake_start - episode.start.utc).unwrap_or(u32::MAX);
                    push_stage(
                        episode,
                        offset,
                        (wake_end - wake_start) as u32,
                        SleepStage::Awake,
                    );
                }
                let offset = u32::try_from(start - episode.start.utc).unwrap_or(u32::MAX);
                push_stage(episode, offset, length as u32, stage);
                episode.end = stamp(end);
            }
            _ => {
                pending.clear();
                let mut episode = SleepEpisode {
                    start: stamp(start),
                    end: stamp(end),
                    is_main: false,
                    method: "device".into(),
                    stages: Vec::new(),
                };
                push_stage(&mut episode, 0, length as u32, stage);
                episodes.push(episode);
            }
        }
        open_until = Some(end);
    }
    episodes
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
        // 3-octet flags 0x000021: Total Sleep Time (u24) and Sleep
        // Efficiency (u8); then bit 18, Average Sleeping Heart Rate (u8).
        let mut record = vec![0x21, 0x00, 0x04, 0x05, 0x00, 0x00, 0x00];
        record.extend_from_slice(&0u32.to_le_bytes());
        record.extend_from_slice(&1u32.to_le_bytes());
        record.extend_from_slice(&[0x80, 0x70, 0x00, 91, 52]);
        let decoded = decode_record(Characteristic::SleepSummary, &record).unwrap();
        assert_eq!(decoded.session_id, 5);
        assert_eq!(decoded.field("Total Sleep Time"), Some(28_800));
        assert_eq!(decoded.field("Sleep Efficiency"), Some(91));
        assert_eq!(decoded.field("Average Sleeping Heart Rate"), Some(52));
    }

    /// A General Activity Instantaneous record: flags (3 octets) with
    /// Activity Count per Minute (bit 8), Elevation (bit 7, signed) and
    /// Device Worn (bit 23, no field).
    fn general_instantaneous(relative: u32, count: u16, worn: bool) -> Vec<u8> {
        let flags: u32 = (1 << 8) | (1 << 7) | (u32::from(worn) << 23);
        let mut record = flags.to_le_bytes()[..3].to_vec();
        record.extend_from_slice(&1u16.to_le_bytes());
        record.extend_from_slice(&1u16.to_le_bytes());
        record.extend_from_slice(&relative.to_le_bytes());
        record.extend_from_slice(&relative.to_le_bytes());
        record.extend_from_slice(&[0xF6, 0xFF, 0xFF]); // elevation -10
        record.extend_from_slice(&count.to_le_bytes());
        record
    }

    #[test]
    fn general_instantaneous_fields_and_worn_bit() {
        let decoded = decode_record(
            Characteristic::GeneralActivityInstantaneous,
            &general_instantaneous(60, 312, true),
        )
        .unwrap();
        assert_eq!(decoded.field("Elevation"), Some(-10));
        assert_eq!(decoded.field("Activity Count per Minute"), Some(312));
        assert_eq!(decoded.device_worn(), Some(true));
        let off = decode_record(
            Characteristic::GeneralActivityInstantaneous,
            &general_instantaneous(60, 0, false),
        )
        .unwrap();
        assert_eq!(off.device_worn(), Some(false));
    }

    #[test]
    fn control_point() {
        assert_eq!(
            ControlPointRequest::GetEndedSessionData {
                session_id: 0x0102,
                sub_session_id: ControlPointRequest::ALL_SUB_SESSIONS,
                data: DataSelector::StepCounterSummary,
            }
            .encode(),
            vec![0x03, 0x02, 0x01, 0xFF, 0xFF, 0x04]
        );
        assert_eq!(ControlPointRequest::EnquireSessions.encode(), vec![0x01]);
        assert_eq!(
            ControlPointRequest::StartSession { sub_session: true }.encode(),
            vec![0x04, 0x01]
        );
        assert_eq!(
            ControlPointResponse::decode(&[0xFC, 0x02, 0x00]).unwrap(),
            ControlPointResponse::EnquireSessionsSuccess { count: 2 }
        );
        assert_eq!(
            ControlPointResponse::decode(&[0xFA, 0x40, 0x0B, 0x00]).unwrap(),
            ControlPointResponse::GetEndedSessionDataSuccess { records: 2880 }
        );
        assert_eq!(
            ControlPointResponse::decode(&[0xFD, 0x81]).unwrap(),
            ControlPointResponse::Error {
                request_opcode: 0x03,
                code: 0x81
            }
        );
        assert_eq!(
            ControlPointResponse::decode(&[0xF0, 0x01, 0x01]).unwrap_err().to_string(),
            "PAM Control Point: invalid Op Code at byte 0: 0xF0 is not a response op code (0xFA to 0xFF)"
        );
        assert!(ControlPointResponse::decode(&[0xFC, 0x01]).is_err());
        assert!(ControlPointResponse::decode(&[0xFC, 0x01, 0x00, 0x00]).is_err());
    }

    #[test]
    fn sleep_stage_bits() {
        assert_eq!(sleep_stage(1 << 0), Some(SleepStage::Awake));
        assert_eq!(sleep_stage(1 << 1), Some(SleepStage::Asleep));
        assert_eq!(sleep_stage((1 << 1) | (1 << 2)), Some(SleepStage::Rem));
        assert_eq!(sleep_stage((1 << 3) | (1 << 8)), Some(SleepStage::Deep));
        assert_eq!(sleep_stage((1 << 3) | (1 << 7)), Some(SleepStage::Light));
        assert_eq!(sleep_stage(1 << 23), None);
        assert_eq!(sleep_stage(0), None);
    }

    fn sleep_reading(relative: u32, stage_bit: u32, heart: u8) -> ActivityRecord {
        let mut record = vec![0x18, 0x00]; // Sleep Stage + Sleeping Heart Rate
        record.extend_from_slice(&1u16.to_le_bytes());
        record.extend_from_slice(&0u16.to_le_bytes());
        record.extend_from_slice(&relative.to_le_bytes());
        record.extend_from_slice(&relative.to_le_bytes());
        record.extend_from_slice(&(1u32 << stage_bit).to_le_bytes()[..3]);
        record.push(heart);
        decode_record(Characteristic::SleepInstantaneous, &record).unwrap()
    }

    #[test]
    fn session_records_map_to_samples() {
        let start = 1_772_316_000; // 2026-02-28 22:00 UTC
        let stamp = |utc| Stamp::new(utc, 9 * 3600);
        let mut records = Vec::new();
        // Minute activity, one record repeated by a re-fetch.
        for minute in 0..3u32 {
            let bytes = general_instantaneous(minute * 60, 100 + minute as u16, true);
            records
                .push(decode_record(Characteristic::GeneralActivityInstantaneous, &bytes).unwrap());
        }
        records.push(records[1].clone());
        // Two step summaries, an hour apart.
        for (hour, steps) in [(1u32, 1200u32), (2, 300)] {
            let mut bytes = vec![0x01, 0x01, 0x00, 0x00, 0x00];
            bytes.extend_from_slice(&(hour * 3600).to_le_bytes());
            bytes.extend_from_slice(&hour.to_le_bytes());
            bytes.extend_from_slice(&steps.to_le_bytes()[..3]);
            records.push(decode_record(Characteristic::StepCounterSummary, &bytes).unwrap());
        }
        // A night read every 5 min: wake, light, deep, 10 min awake, REM,
        // wake at the end; then an hour later a separate nap.
        let night = [
            (0, 0),
            (300, 4),
            (600, 5),
            (900, 0),
            (1200, 0),
            (1500, 2),
            (1800, 0),
        ];
        for (offset, bit) in night {
            records.push(sleep_reading(7200 + offset, bit, 55));
        }
        records.push(sleep_reading(7200 + 1800 + 3600, 1, 0));

        let samples = to_samples(&records, start, stamp);
        let activity = samples.iter().find_map(|s| match s {
            Samples::Activity(a) => Some(a),
            _ => None,
        });
        let activity = activity.unwrap();
        assert_eq!(activity.len(), 3, "the repeated record counts once");
        assert_eq!(activity[2].at.utc, start + 120);
        assert_eq!(activity[2].count, 102);

        let Some(Samples::Steps(steps)) = samples.iter().find(|s| matches!(s, Samples::Steps(_)))
        else {
            panic!("no steps");
        };
        assert_eq!(
            steps
                .iter()
                .map(|s| (s.start.utc - start, s.duration_seconds, s.steps))
                .collect::<Vec<_>>(),
            vec![(0, 3600, 1200), (3600, 3600, 300)]
        );

        let Some(Samples::Sleep(episodes)) =
            samples.iter().find(|s| matches!(s, Samples::Sleep(_)))
        else {
            panic!("no sleep");
        };
        assert_eq!(episodes.len(), 2);
        let main = &episodes[0];
        assert!(main.is_main && !episodes[1].is_main);
        assert_eq!(
            main.start.utc,
            start + 7200 + 300,
            "leading wake is not sleep"
        );
        assert_eq!(
            main.end.utc,
            start + 7200 + 1800,
            "trailing wake is trimmed"
        );
        assert_eq!(
            main.stages
                .iter()
                .map(|s| (s.offset_seconds, s.duration_seconds, s.stage))
                .collect::<Vec<_>>(),
            vec![
                (0, 300, SleepStage::Light),
                (300, 300, SleepStage::Deep),
                (600, 600, SleepStage::Awake),
                (1200, 300, SleepStage::Rem),
            ]
        );
        let Some(Samples::HeartRate(heart)) =
            samples.iter().find(|s| matches!(s, Samples::HeartRate(_)))
        else {
            panic!("no heart rate");
        };
        assert_eq!(heart.len(), 7, "a zero heart rate means none");
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
