//! The wearables over Bluetooth LE (btleplug through `phr-ble`): scan,
//! pair (bonding when a watch insists), sync each paired wearable with its
//! protocol, and read live heart rate. Each call runs its own small tokio
//! runtime, so callers stay synchronous.

use crate::{
    Clock, Outcome, Protocol, SyncProgress, SyncRequest, WearableError, LINK_TIMEOUT,
    PAIRING_TIMEOUT,
};
use phr_ble::{BleClient, BleError, DeviceInformation};
use phr_ble_protocols::standard::{BatteryLevel, HeartRateMeasurement, HEART_RATE_SERVICE};
use phr_ble_protocols::{uuid_string, DecodeError, GattValue};
use std::time::Duration;

/// The name scans give wearables with the standard Heart Rate service
/// (live readings, no sync).
pub const HEART_RATE: &str = "heart_rate";

/// A wearable found by a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Advertised name.
    pub name: Option<String>,
    /// Bluetooth address.
    pub address: String,
    /// Signal strength (dBm), if reported.
    pub rssi: Option<i16>,
    /// What it advertises that we speak: [`Protocol::name`]s, and
    /// [`HEART_RATE`].
    pub protocols: Vec<String>,
}

/// A paired wearable to sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Bluetooth address.
    pub address: String,
    /// The protocol it is synced with.
    pub protocol: Protocol,
    /// Its stored checkpoint, if any.
    pub checkpoint: Option<Vec<u8>>,
}

/// One live heart-rate reading.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveReading {
    /// When it arrived, Unix seconds.
    pub utc: i64,
    /// What the sensor said.
    pub measurement: HeartRateMeasurement,
}

/// What a live heart-rate session read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSession {
    /// The wearable's name.
    pub label: String,
    /// Its Device Information, where it has the service.
    pub info: DeviceInformation,
    /// Its battery charge, where it reports one.
    pub battery: Option<u8>,
    /// Every reading, in order of arrival.
    pub readings: Vec<LiveReading>,
}

/// The runtime btleplug needs (it spawns tasks on a multi-threaded tokio).
fn runtime() -> Result<tokio::runtime::Runtime, WearableError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| WearableError::Runtime(e.to_string()))
}

/// The services a scan looks for: every protocol's and Heart Rate, in the
/// order scans list a wearable's protocols (stable since the first
/// release, not the order of preference).
fn services() -> Vec<(u128, &'static str)> {
    [Protocol::BangleJs, Protocol::InfiniTime, Protocol::Pams]
        .iter()
        .map(|p| (p.service(), p.name()))
        .chain([(HEART_RATE_SERVICE, HEART_RATE)])
        .collect()
}

/// The device at `address` among those a scan found.
fn scanned<'a>(
    found: &'a [phr_ble::FoundDevice],
    address: &str,
) -> Result<&'a phr_ble::FoundDevice, WearableError> {
    found
        .iter()
        .find(|d| d.address.eq_ignore_ascii_case(address))
        .ok_or_else(|| WearableError::NotFound(address.to_string()))
}

/// Scans for `seconds` for wearables advertising a service we speak.
pub fn scan(seconds: u64) -> Result<Vec<Found>, WearableError> {
    let known = services();
    let found = runtime()?.block_on(async {
        let client = BleClient::new(LINK_TIMEOUT).await?;
        let uuids: Vec<u128> = known.iter().map(|(uuid, _)| *uuid).collect();
        client
            .scan(&uuids, Duration::from_secs(seconds.max(1)))
            .await
    })?;
    Ok(found
        .into_iter()
        .map(|d| Found {
            protocols: known
                .iter()
                .filter(|(uuid, _)| d.services.contains(uuid))
                .map(|(_, name)| name.to_string())
                .collect(),
            name: d.name,
            address: d.address,
            rssi: d.rssi,
        })
        .collect())
}

/// Connects to the wearable at `address` and tries what a sync with
/// `protocol` does first; if it refuses until bonded (ATT Insufficient
/// Authentication or Encryption), bonds through BlueZ and tries again.
/// Returns whether it bonded.
pub fn pair(address: &str, protocol: Protocol) -> Result<bool, WearableError> {
    runtime()?.block_on(async {
        let client = BleClient::new(LINK_TIMEOUT).await?;
        let found = client
            .scan(&[protocol.service()], Duration::from_secs(1))
            .await?;
        let connection = client.connect(scanned(&found, address)?).await?;
        let result = async {
            match protocol.probe(&connection).await {
                Ok(()) => Ok(false),
                Err(e) if e.needs_bonding() => {
                    phr_ble::bond(address, PAIRING_TIMEOUT).await?;
                    protocol.probe(&connection).await?;
                    Ok(true)
                }
                Err(e) => Err(WearableError::from(e)),
            }
        }
        .await;
        let _ = connection.disconnect().await;
        result
    })
}

/// Syncs each target in turn after one scan of `scan_seconds`; one failing
/// does not stop the others, and each gets its result (in order).
/// `progress` hears each target's address and progress.
pub fn sync(
    targets: &[Target],
    scan_seconds: u64,
    zone: chrono_tz::Tz,
    clock: &dyn Clock,
    mut progress: impl FnMut(&str, SyncProgress),
) -> Vec<Result<Outcome, WearableError>> {
    let all_fail = |e: &dyn Fn() -> WearableError| targets.iter().map(|_| Err(e())).collect();
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            let message = e.to_string();
            return all_fail(&|| WearableError::Runtime(message.clone()));
        }
    };
    runtime.block_on(async {
        let uuids: Vec<u128> = Protocol::ALL.iter().map(|p| p.service()).collect();
        let scan = async {
            let client = BleClient::new(LINK_TIMEOUT).await?;
            let found = client
                .scan(&uuids, Duration::from_secs(scan_seconds.max(1)))
                .await?;
            Ok::<_, BleError>((client, found))
        };
        let (client, found) = match scan.await {
            Ok(scanned) => scanned,
            Err(e) => {
                let message = e.to_string();
                return all_fail(&|| WearableError::Adapter(message.clone()));
            }
        };
        let mut out = Vec::new();
        for target in targets {
            let result = async {
                let connection = client.connect(scanned(&found, &target.address)?).await?;
                let request = SyncRequest {
                    checkpoint: target.checkpoint.as_deref(),
                    zone,
                    clock,
                };
                let mut report = |p| progress(&target.address, p);
                let outcome = target
                    .protocol
                    .sync(&connection, &request, &mut report)
                    .await;
                let _ = connection.disconnect().await;
                outcome.map_err(|e| pairing_hint(e, &target.address))
            }
            .await;
            out.push(result);
        }
        out
    })
}

/// A refusal that bonding would cure says so.
fn pairing_hint(error: WearableError, address: &str) -> WearableError {
    match error {
        WearableError::Ble(source) if source.needs_bonding() => WearableError::NeedsPairing {
            address: address.to_string(),
            source,
        },
        other => other,
    }
}

/// Reads live heart rate from the wearable at `address` (Heart Rate
/// service 0x180D) for `seconds`, handing each reading that decodes to
/// `on_reading` as it arrives. A notification that does not decode is the
/// error, naming device and characteristic.
pub fn live_heart_rate(
    address: &str,
    seconds: u64,
    clock: &dyn Clock,
    mut on_reading: impl FnMut(&LiveReading),
) -> Result<LiveSession, WearableError> {
    let (label, info, battery, raw) = runtime()?.block_on(async {
        let client = BleClient::new(LINK_TIMEOUT).await?;
        let found = client.scan(&[], Duration::from_secs(2)).await?;
        let connection = client.connect(scanned(&found, address)?).await?;
        let result = async {
            if !connection.has(HeartRateMeasurement::CHARACTERISTIC) {
                return Err(WearableError::Ble(BleError::MissingCharacteristic {
                    device: connection.label().to_string(),
                    characteristic: format!(
                        "{} (no Heart Rate service {} to read live)",
                        uuid_string(HeartRateMeasurement::CHARACTERISTIC),
                        uuid_string(HEART_RATE_SERVICE)
                    ),
                }));
            }
            let info = connection.device_information().await.unwrap_or_default();
            // The battery while we are connected anyway; a watch that will
            // not say is no reason to miss its heart rate.
            let battery = if connection.has(BatteryLevel::CHARACTERISTIC) {
                connection.read::<BatteryLevel>().await.ok().map(|b| b.0)
            } else {
                None
            };
            let mut raw: Vec<Result<LiveReading, DecodeError>> = Vec::new();
            connection
                .listen(
                    HeartRateMeasurement::CHARACTERISTIC,
                    Duration::from_secs(seconds.max(1)),
                    |value| {
                        let reading =
                            HeartRateMeasurement::decode(&value).map(|measurement| LiveReading {
                                utc: clock.now_seconds(),
                                measurement,
                            });
                        if let Ok(reading) = &reading {
                            on_reading(reading);
                        }
                        raw.push(reading);
                    },
                )
                .await?;
            Ok((connection.label().to_string(), info, battery, raw))
        }
        .await;
        let _ = connection.disconnect().await;
        result
    })?;
    let readings = raw
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| {
            WearableError::Ble(BleError::Decode {
                device: label.clone(),
                source,
            })
        })?;
    Ok(LiveSession {
        label,
        info,
        battery,
        readings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_looks_for_every_protocol_and_heart_rate() {
        let names: Vec<&str> = services().iter().map(|(_, name)| *name).collect();
        for protocol in Protocol::ALL {
            assert!(names.contains(&protocol.name()), "{names:?}");
        }
        assert_eq!(names.last(), Some(&HEART_RATE));
        assert_eq!(names.len(), Protocol::ALL.len() + 1);
    }
}
