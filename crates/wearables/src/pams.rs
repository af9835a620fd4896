//! The Physical Activity Monitor Service client: a monitor keeps ended
//! sessions of records; a sync lists them (Enquire Sessions), fetches those
//! after the checkpoint, one data characteristic at a time (Get Ended
//! Session Data), checks that as many records arrived as the monitor said
//! it sent, and maps them to samples (`phr_ble_protocols::pams`).
//!
//! Checkpoint: the newest session fetched (id and start). A monitor no
//! longer holding it (reset, or its sessions deleted) is read whole again;
//! re-read records merge unchanged in the vault. The running session is
//! never fetched (its data is not "ended"); it comes with the next sync
//! after it ends. Session starts are the monitor's wall clock, read in the
//! wearer's zone: PAMS has no clock of its own to correct them by.

use crate::{Outcome, SyncError, SyncProgress, SyncRequest, WearableError};
use chrono::{NaiveDateTime, TimeZone};
use phr_ble::{BleError, Connection};
use phr_ble_protocols::pams::{
    decode_record, to_samples, Characteristic, ControlPointRequest, ControlPointResponse,
    CurrentSession, DataSelector, Reassembler, SessionDescriptor,
};
use phr_ble_protocols::standard::BatteryLevel;
use phr_ble_protocols::{DecodeError, GattValue};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The data fetched per session: what the model stores.
const SELECTORS: [DataSelector; 3] = [
    DataSelector::GeneralActivityInstantaneous,
    DataSelector::StepCounterSummary,
    DataSelector::SleepInstantaneous,
];

/// The newest session a sync stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    session: u16,
    start: NaiveDateTime,
}

/// What pairing tries: reading PAM Features.
pub(crate) async fn probe(connection: &Connection) -> Result<(), BleError> {
    connection
        .read_raw(Characteristic::Features.uuid())
        .await
        .map(|_| ())
}

/// One sync: the ended sessions after the checkpoint, all or nothing.
pub(crate) async fn sync(
    connection: &Connection,
    request: &SyncRequest<'_>,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<Outcome, WearableError> {
    let device = connection.label().to_string();
    let checkpoint: Option<Checkpoint> = request
        .checkpoint
        .map(serde_json::from_slice)
        .transpose()
        .map_err(|_| WearableError::Checkpoint(device.clone()))?;
    let started = Instant::now();
    let mut decode = Duration::ZERO;
    let decode_error = |characteristic: Characteristic, source: DecodeError| SyncError::Decode {
        device: device.clone(),
        characteristic: characteristic.name(),
        source,
    };

    let running = if connection.has(Characteristic::CurrentSession.uuid()) {
        let bytes = connection
            .read_raw(Characteristic::CurrentSession.uuid())
            .await?;
        let current = CurrentSession::decode(&bytes)
            .map_err(|e| decode_error(Characteristic::CurrentSession, e))?;
        (current.session_id != 0).then_some(current.session_id)
    } else {
        None
    };
    let (descriptors, mut bytes) = enquire_sessions(connection, &device).await?;
    let mut ended: Vec<(u16, NaiveDateTime)> = descriptors
        .iter()
        .filter(|d| Some(d.session_id) != running)
        .filter_map(|d| d.start.map(|start| (d.session_id, start)))
        .collect();
    ended.sort_by_key(|&(id, start)| (start, id));
    ended.dedup();
    let undated = descriptors.iter().filter(|d| d.start.is_none()).count();
    let device_reset = checkpoint
        .as_ref()
        .is_some_and(|c| !ended.contains(&(c.session, c.start)));
    let wanted: Vec<(u16, NaiveDateTime)> = match &checkpoint {
        Some(c) if !device_reset => ended.into_iter().filter(|s| s.1 > c.start).collect(),
        _ => ended,
    };

    let mut parts = Vec::new();
    let mut received = 0u64;
    for &(session_id, start) in &wanted {
        let start_utc = session_start_utc(start, request.zone);
        let mut records = Vec::new();
        for selector in SELECTORS {
            let Some(characteristic) = selector.characteristic() else {
                continue;
            };
            if !connection.has(characteristic.uuid()) {
                continue;
            }
            let (raw, n_bytes) =
                fetch_records(connection, &device, session_id, selector, characteristic).await?;
            bytes += n_bytes;
            let decoding = Instant::now();
            for record in raw {
                records.push(
                    decode_record(characteristic, &record)
                        .map_err(|e| decode_error(characteristic, e))?,
                );
            }
            decode += decoding.elapsed();
            received += records.len() as u64;
            progress(SyncProgress {
                records: received,
                expected: None,
            });
        }
        let decoding = Instant::now();
        parts.extend(to_samples(
            &records,
            start_utc,
            crate::stamper(request.zone),
        ));
        decode += decoding.elapsed();
    }
    let battery = if connection.has(BatteryLevel::CHARACTERISTIC) {
        connection.read::<BatteryLevel>().await.ok().map(|b| b.0)
    } else {
        None
    };
    let newest = wanted
        .last()
        .map(|&(session, start)| Checkpoint { session, start });
    let mut detail = format!(
        "{} sessions, {received} records, {bytes} bytes",
        wanted.len()
    );
    if let Some(id) = running {
        detail += &format!("; session {id} still running, it comes with a later sync");
    }
    if undated > 0 {
        detail += &format!("; {undated} session(s) without a start time skipped");
    }
    if device_reset {
        detail += "; the monitor no longer held the last synced session, every session it holds was read again";
    }
    Ok(Outcome {
        samples: crate::merge(parts),
        checkpoint: newest
            .map(|c| serde_json::to_vec(&c))
            .transpose()
            .map_err(|_| WearableError::Checkpoint(device.clone()))?,
        detail,
        battery,
        clock_offset_seconds: None,
        device_reset,
        timing: crate::FetchTiming {
            link: started.elapsed().saturating_sub(decode),
            decode,
        },
    })
}

/// A session's wall-clock start as an instant in `zone` (the earlier of a
/// repeated hour; a start inside a spring gap moves past it).
fn session_start_utc(start: NaiveDateTime, zone: chrono_tz::Tz) -> i64 {
    zone.from_local_datetime(&start)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(start + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| start.and_utc().timestamp(), |t| t.timestamp())
}

/// Enquire Sessions: every descriptor the monitor holds, and the bytes
/// received.
async fn enquire_sessions(
    connection: &Connection,
    device: &str,
) -> Result<(Vec<SessionDescriptor>, u64), WearableError> {
    let request = ControlPointRequest::EnquireSessions;
    let (values, response, bytes) =
        exchange(connection, request, Characteristic::SessionDescriptor).await?;
    let decode_error = |characteristic: Characteristic, source| SyncError::Decode {
        device: device.to_string(),
        characteristic: characteristic.name(),
        source,
    };
    let count = match response {
        ControlPointResponse::EnquireSessionsSuccess { count } => u64::from(count),
        other => return Err(refused(device, "Enquire Sessions", other)),
    };
    let descriptors = reassemble(Characteristic::SessionDescriptor, &values)
        .map_err(|e| decode_error(Characteristic::SessionDescriptor, e))?
        .iter()
        .map(|record| SessionDescriptor::decode(record))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| decode_error(Characteristic::SessionDescriptor, e))?;
    check_count(
        device,
        Characteristic::SessionDescriptor,
        count,
        descriptors.len(),
    )?;
    Ok((descriptors, bytes))
}

/// Get Ended Session Data for one session and characteristic: the
/// reassembled records and the bytes received.
async fn fetch_records(
    connection: &Connection,
    device: &str,
    session_id: u16,
    data: DataSelector,
    characteristic: Characteristic,
) -> Result<(Vec<Vec<u8>>, u64), WearableError> {
    let request = ControlPointRequest::GetEndedSessionData {
        session_id,
        sub_session_id: ControlPointRequest::ALL_SUB_SESSIONS,
        data,
    };
    let (values, response, bytes) = exchange(connection, request, characteristic).await?;
    let count = match response {
        ControlPointResponse::GetEndedSessionDataSuccess { records } => u64::from(records),
        other => return Err(refused(device, "Get Ended Session Data", other)),
    };
    let records = reassemble(characteristic, &values).map_err(|source| SyncError::Decode {
        device: device.to_string(),
        characteristic: characteristic.name(),
        source,
    })?;
    check_count(device, characteristic, count, records.len())?;
    Ok((records, bytes))
}

/// Writes a Control Point request and collects the values of `data` until
/// the Control Point's indication, which it decodes.
async fn exchange(
    connection: &Connection,
    request: ControlPointRequest,
    data: Characteristic,
) -> Result<(Vec<Vec<u8>>, ControlPointResponse, u64), WearableError> {
    let control_point = Characteristic::ControlPoint.uuid();
    let answer = connection
        .request(
            control_point,
            &request.encode(),
            &[data.uuid(), control_point],
            |uuid, _| uuid == control_point,
        )
        .await?;
    let bytes = answer.iter().map(|(_, v)| v.len() as u64).sum();
    let mut values = Vec::new();
    let mut response = None;
    for (uuid, value) in answer {
        if uuid == control_point {
            response =
                Some(
                    ControlPointResponse::decode(&value).map_err(|source| SyncError::Decode {
                        device: connection.label().to_string(),
                        characteristic: Characteristic::ControlPoint.name(),
                        source,
                    })?,
                );
        } else {
            values.push(value);
        }
    }
    // `request` returns once the Control Point answered, so it is there.
    let response = response.ok_or_else(|| SyncError::Incomplete {
        device: connection.label().to_string(),
        characteristic: Characteristic::ControlPoint.name(),
        expected: 1,
        received: 0,
    })?;
    Ok((values, response, bytes))
}

/// The records in a characteristic's values; the first damaged segment is
/// the error.
fn reassemble(
    characteristic: Characteristic,
    values: &[Vec<u8>],
) -> Result<Vec<Vec<u8>>, DecodeError> {
    let mut reassembler = Reassembler::new(characteristic);
    values
        .iter()
        .flat_map(|value| reassembler.push(value))
        .collect()
}

fn check_count(
    device: &str,
    characteristic: Characteristic,
    expected: u64,
    received: usize,
) -> Result<(), SyncError> {
    if expected == received as u64 {
        return Ok(());
    }
    Err(SyncError::Incomplete {
        device: device.to_string(),
        characteristic: characteristic.name(),
        expected,
        received: received as u64,
    })
}

fn refused(device: &str, request: &'static str, response: ControlPointResponse) -> WearableError {
    let code = match response {
        ControlPointResponse::Error { code, .. } => code,
        _ => 0,
    };
    SyncError::Refused {
        device: device.to_string(),
        characteristic: Characteristic::ControlPoint.name(),
        request,
        code,
    }
    .into()
}
