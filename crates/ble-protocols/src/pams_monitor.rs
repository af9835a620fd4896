//! The server side of the Physical Activity Monitor Service, as a pure
//! state machine: what a simulated monitor answers to Control Point
//! requests. The simulated BlueZ serves it behind the PAMS GATT table, so
//! our client's requests, segmentation and decoding are exercised end to
//! end without hardware.

use crate::pams::{
    encode_record, segment, ActivityRecord, Characteristic, ControlPointRequest,
    ControlPointResponse, CurrentSession, SessionDescriptor,
};

/// Error parameter sent when a request names a session the monitor does
/// not hold, or one still running (our choice; the sources name none).
pub const NO_SUCH_SESSION: u8 = 0x01;

/// One stored session: its descriptor and its records, of any activity
/// data characteristic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorSession {
    /// Identity and start.
    pub descriptor: SessionDescriptor,
    /// Records, in the order the monitor sends them.
    pub records: Vec<ActivityRecord>,
}

/// A monitor holding ended sessions and, optionally, a running one.
#[derive(Debug, Clone)]
pub struct SimulatedMonitor {
    sessions: Vec<MonitorSession>,
    running: Option<u16>,
    max_value: usize,
    counter: u8,
}

impl SimulatedMonitor {
    /// A monitor holding `sessions`, sending values of at most `max_value`
    /// bytes (the ATT MTU less 3; 20 for the default MTU).
    pub fn new(sessions: Vec<MonitorSession>, max_value: usize) -> Self {
        SimulatedMonitor {
            sessions,
            running: None,
            max_value,
            counter: 0,
        }
    }

    /// Marks session `id` as the running one: it is listed but its data
    /// cannot be fetched as an ended session.
    pub fn with_running_session(mut self, id: u16) -> Self {
        self.running = Some(id);
        self
    }

    /// Sets the running session (`None`: the last one ended).
    pub fn set_running(&mut self, id: Option<u16>) {
        self.running = id;
    }

    /// Replaces the stored sessions (the monitor recorded more, or was
    /// reset).
    pub fn set_sessions(&mut self, sessions: Vec<MonitorSession>) {
        self.sessions = sessions;
    }

    /// The Physical Activity Current Session value: the running session,
    /// or session 0 when none runs.
    pub fn current_session(&self) -> CurrentSession {
        CurrentSession {
            flags: 0,
            session_id: self.running.unwrap_or(0),
            sub_session_id: 0,
            relative_timestamp: 0,
        }
    }

    /// Answers a Control Point write: the values to send, in order, each
    /// with the characteristic it is sent on (records first, then the
    /// Control Point indication). A request it does not handle gets no
    /// answer, as a real server would refuse it at the ATT level.
    pub fn control_point(&mut self, request: &[u8]) -> Vec<(Characteristic, Vec<u8>)> {
        let Ok(request) = ControlPointRequest::decode(request) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match request {
            ControlPointRequest::EnquireSessions => {
                let descriptors: Vec<Vec<u8>> = self
                    .sessions
                    .iter()
                    .map(|s| s.descriptor.encode())
                    .collect();
                for descriptor in &descriptors {
                    self.send(&mut out, Characteristic::SessionDescriptor, descriptor);
                }
                let count = u16::try_from(descriptors.len()).unwrap_or(u16::MAX);
                out.push(indication(ControlPointResponse::EnquireSessionsSuccess {
                    count,
                }));
            }
            ControlPointRequest::GetEndedSessionData {
                session_id,
                sub_session_id,
                data,
            } => {
                let session = self
                    .sessions
                    .iter()
                    .find(|s| s.descriptor.session_id == session_id)
                    .filter(|_| self.running != Some(session_id))
                    .cloned();
                let (Some(session), Some(characteristic)) = (session, data.characteristic()) else {
                    out.push(indication(ControlPointResponse::Error {
                        request_opcode: request.opcode(),
                        code: NO_SUCH_SESSION,
                    }));
                    return out;
                };
                let mut sent = 0u32;
                for record in session.records.iter().filter(|r| {
                    r.characteristic == characteristic
                        && (sub_session_id == ControlPointRequest::ALL_SUB_SESSIONS
                            || r.sub_session_id == sub_session_id)
                }) {
                    if let Ok(bytes) = encode_record(record) {
                        self.send(&mut out, characteristic, &bytes);
                        sent += 1;
                    }
                }
                out.push(indication(
                    ControlPointResponse::GetEndedSessionDataSuccess { records: sent },
                ));
            }
            _ => {}
        }
        out
    }

    /// Appends the segments of one record.
    fn send(
        &mut self,
        out: &mut Vec<(Characteristic, Vec<u8>)>,
        characteristic: Characteristic,
        record: &[u8],
    ) {
        for value in segment(record, self.max_value, &mut self.counter) {
            out.push((characteristic, value));
        }
    }
}

fn indication(response: ControlPointResponse) -> (Characteristic, Vec<u8>) {
    (Characteristic::ControlPoint, response.encode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pams::{decode_record, DataSelector, Reassembler};
    use chrono::NaiveDate;

    fn minute(relative_timestamp: u32, count: i64) -> ActivityRecord {
        ActivityRecord {
            characteristic: Characteristic::GeneralActivityInstantaneous,
            // Device Worn (status bit 23) and Activity Count per Minute (bit 8).
            flags: 1 << 23 | 1 << 8,
            session_id: 7,
            sub_session_id: 0,
            relative_timestamp,
            sequence_number: relative_timestamp / 60,
            fields: vec![("Activity Count per Minute", count)],
        }
    }

    fn monitor() -> SimulatedMonitor {
        let start = NaiveDate::from_ymd_opt(2026, 3, 1)
            .and_then(|d| d.and_hms_opt(22, 0, 0))
            .expect("date");
        SimulatedMonitor::new(
            vec![MonitorSession {
                descriptor: SessionDescriptor {
                    flags: 0,
                    session_id: 7,
                    sub_session_id: 0,
                    start: Some(start),
                    rest: Vec::new(),
                },
                records: vec![minute(0, 12), minute(60, 0), minute(120, 300)],
            }],
            12,
        )
    }

    #[test]
    fn records_round_trip_through_encode_and_decode() {
        let record = minute(3600, 4321);
        let bytes = encode_record(&record).expect("encode");
        assert_eq!(
            decode_record(record.characteristic, &bytes).expect("decode"),
            record
        );
        let mut bad = record;
        bad.fields.push(("Sleep Stage", 1));
        assert!(encode_record(&bad).is_err(), "a field of another table");
    }

    #[test]
    fn enquiry_lists_sessions_then_counts_them() {
        let mut monitor = monitor();
        let out = monitor.control_point(&ControlPointRequest::EnquireSessions.encode());
        let (last, values) = out.split_last().expect("answer");
        assert_eq!(
            ControlPointResponse::decode(&last.1).expect("indication"),
            ControlPointResponse::EnquireSessionsSuccess { count: 1 }
        );
        let mut reassembler = Reassembler::new(Characteristic::SessionDescriptor);
        let records: Vec<_> = values
            .iter()
            .flat_map(|(_, v)| reassembler.push(v))
            .collect::<Result<_, _>>()
            .expect("segments");
        assert_eq!(records.len(), 1);
        let descriptor = SessionDescriptor::decode(&records[0]).expect("descriptor");
        assert_eq!(descriptor.session_id, 7);
        assert_eq!(
            descriptor.start.map(|s| s.to_string()).as_deref(),
            Some("2026-03-01 22:00:00")
        );
    }

    #[test]
    fn ended_session_data_is_sent_and_counted_and_a_running_one_refused() {
        let request = ControlPointRequest::GetEndedSessionData {
            session_id: 7,
            sub_session_id: ControlPointRequest::ALL_SUB_SESSIONS,
            data: DataSelector::GeneralActivityInstantaneous,
        };
        let mut monitor = monitor();
        let out = monitor.control_point(&request.encode());
        let (last, values) = out.split_last().expect("answer");
        assert_eq!(
            ControlPointResponse::decode(&last.1).expect("indication"),
            ControlPointResponse::GetEndedSessionDataSuccess { records: 3 }
        );
        let mut reassembler = Reassembler::new(Characteristic::GeneralActivityInstantaneous);
        let counts: Vec<i64> = values
            .iter()
            .flat_map(|(_, v)| reassembler.push(v))
            .map(|r| {
                let r = r.expect("segment");
                decode_record(Characteristic::GeneralActivityInstantaneous, &r)
                    .expect("record")
                    .field("Activity Count per Minute")
                    .expect("count")
            })
            .collect();
        assert_eq!(counts, vec![12, 0, 300]);

        let mut running = self::monitor().with_running_session(7);
        let out = running.control_point(&request.encode());
        assert_eq!(
            ControlPointResponse::decode(&out[0].1).expect("indication"),
            ControlPointResponse::Error {
                request_opcode: 0x03,
                code: NO_SUCH_SESSION
            }
        );
        assert_eq!(
            ControlPointRequest::decode(&request.encode()).expect("request"),
            request
        );
    }
}
