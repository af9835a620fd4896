//! InfiniTime (PineTime) watches keep no history: a sync reads the watch's
//! clock (setting it when it is off, so its daily count resets at the
//! wearer's midnight), its cumulative step count and battery, and a
//! [`StepTracker`] whose state is the checkpoint turns the count into the
//! steps since the last sync, never counting twice across midnight,
//! reconnects or reboots.

use crate::{Outcome, SyncRequest, WearableError};
use chrono::TimeZone;
use phr_ble::{BleError, Connection};
use phr_ble_protocols::infinitime::{DailySteps, StepTracker, StepTrackerState};
use phr_ble_protocols::standard::{BatteryLevel, CurrentTime};
use phr_ble_protocols::GattValue;
use phr_model::Samples;
use std::time::Instant;

/// A watch clock further off than this is set at sync.
const CLOCK_TOLERANCE_SECONDS: i64 = 2;

/// What pairing tries: reading the step count.
pub(crate) async fn probe(connection: &Connection) -> Result<(), BleError> {
    connection.read::<DailySteps>().await.map(|_| ())
}

/// One sync: clock, step count, battery; the steps since the tracker's
/// last reading, stamped with the host's clock.
pub(crate) async fn sync(
    connection: &Connection,
    request: &SyncRequest<'_>,
) -> Result<Outcome, WearableError> {
    let state: Option<StepTrackerState> = request
        .checkpoint
        .map(serde_json::from_slice::<Option<StepTrackerState>>)
        .transpose()
        .map_err(|_| WearableError::Checkpoint(connection.label().to_string()))?
        .flatten();
    let started = Instant::now();
    let host_local = |millis: i64| {
        chrono::Utc
            .timestamp_millis_opt(millis)
            .single()
            .map(|t| t.with_timezone(&request.zone).naive_local())
    };
    let mut clock_offset_seconds = None;
    let mut clock_set = false;
    if connection.has(CurrentTime::CHARACTERISTIC) {
        let device: CurrentTime = connection.read().await?;
        let offset =
            host_local(request.clock.now_millis()).and_then(|host| device.offset_from_host(host));
        if let Some(offset) = offset {
            clock_offset_seconds = Some(offset);
            if offset.abs() > CLOCK_TOLERANCE_SECONDS {
                if let Some(now) = host_local(request.clock.now_millis()) {
                    let value =
                        CurrentTime::for_local(now, CurrentTime::EXTERNAL_REFERENCE).encode();
                    connection
                        .write_raw(CurrentTime::CHARACTERISTIC, &value)
                        .await?;
                    clock_set = true;
                }
            }
        }
    }
    let DailySteps(cumulative) = connection.read().await?;
    let battery = if connection.has(BatteryLevel::CHARACTERISTIC) {
        Some(connection.read::<BatteryLevel>().await?.0)
    } else {
        None
    };
    let link = started.elapsed();

    let mut tracker = state.map_or_else(StepTracker::new, StepTracker::resume);
    let at = crate::stamper(request.zone)(request.clock.now_seconds());
    let steps = tracker.observe(at, cumulative);
    let checkpoint = serde_json::to_vec(&tracker.state())
        .map_err(|_| WearableError::Checkpoint(connection.label().to_string()))?;
    let mut detail = format!("step count {cumulative} read");
    if let Some(s) = clock_offset_seconds {
        detail += &format!(", watch clock {s:+} s");
    }
    if clock_set {
        detail += ", watch clock set";
    }
    Ok(Outcome {
        samples: steps.iter().map(|s| Samples::Steps(vec![*s])).collect(),
        checkpoint: Some(checkpoint),
        detail,
        battery,
        clock_offset_seconds: clock_offset_seconds.map(|s| s as f64),
        device_reset: false,
        timing: crate::FetchTiming {
            link,
            decode: std::time::Duration::ZERO,
        },
    })
}
