//! The Bluetooth client side: scan for wearables, connect, read the standard
//! characteristics, subscribe to notifications and talk to a Bangle.js over
//! the Nordic UART, through `btleplug` (BlueZ over D-Bus on Linux).
//!
//! Key design choice: this crate only moves bytes. Every value is decoded by
//! `phr-ble-protocols` (pure, fuzzed), and every await has a timeout, so a
//! silent or vanished peripheral becomes an error naming the device and the
//! characteristic instead of a hang. Reconnecting is explicit
//! ([`Connection::reconnect`]); the caller decides what to resume (e.g. a
//! `StepTracker` whose state survives the reconnect).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod link;

pub use link::{LinkError, UartLink};

use btleplug::api::{
    Central, Characteristic, Manager as _, Peripheral as _, ScanFilter, WriteType,
};
use btleplug::platform::{Adapter, Manager, Peripheral};
use futures::StreamExt;
use phr_ble_protocols::banglejs::{self, LineAssembler};
use phr_ble_protocols::standard::{self, DeviceInfoField};
use phr_ble_protocols::{uuid_string, DecodeError, GattValue};
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;

/// Errors of the BLE client; each names the device and, where it applies,
/// the characteristic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BleError {
    /// No Bluetooth adapter (is BlueZ running, is the system bus reachable?).
    #[error("no Bluetooth adapter found")]
    NoAdapter,
    /// A Bluetooth operation failed.
    #[error("{device}: {operation} failed: {source}")]
    Bluetooth {
        /// Device name or address (`adapter` for adapter-level operations).
        device: String,
        /// What we were doing, with the characteristic where relevant.
        operation: String,
        /// The btleplug error.
        source: btleplug::Error,
    },
    /// An operation did not finish in time.
    #[error("{device}: {operation} timed out after {timeout:?}")]
    Timeout {
        /// Device name or address.
        device: String,
        /// What we were doing.
        operation: String,
        /// The limit.
        timeout: Duration,
    },
    /// The device lacks a characteristic we need.
    #[error("{device}: characteristic {characteristic} not found")]
    MissingCharacteristic {
        /// Device name or address.
        device: String,
        /// UUID.
        characteristic: String,
    },
    /// A value could not be decoded.
    #[error("{device}: {source}")]
    Decode {
        /// Device name or address.
        device: String,
        /// The decoder's error (names the characteristic and field).
        source: DecodeError,
    },
    /// Bonding with the device failed.
    #[error("{device}: pairing failed: {reason}")]
    Pairing {
        /// Device address.
        device: String,
        /// What BlueZ said.
        reason: String,
    },
    /// The link dropped while waiting for notifications.
    #[error("{device}: disconnected while waiting for {characteristic} ({received} notification(s) received)")]
    Disconnected {
        /// Device name or address.
        device: String,
        /// UUID.
        characteristic: String,
        /// Notifications received before the drop.
        received: usize,
    },
}

impl BleError {
    /// Whether the device refused an operation until it is bonded (ATT
    /// Insufficient Authentication 0x05 or Insufficient Encryption 0x0F, as
    /// BlueZ reports them): pairing with [`bond`] and retrying should help.
    pub fn needs_bonding(&self) -> bool {
        let text = self.to_string().to_ascii_lowercase();
        [
            "att error: 0x05",
            "att error: 0x0f",
            "insufficient authentication",
            "insufficient encryption",
            "org.bluez.error.notpaired",
        ]
        .iter()
        .any(|marker| text.contains(marker))
    }
}

/// Pairs and bonds with the device at `address` through BlueZ
/// (`org.bluez.Device1.Pair` on the system bus, then `Trusted`), unless it
/// is bonded already. Returns whether a new bond was made. btleplug has no
/// pairing API; devices using "Just Works" pairing need no agent, passkey
/// devices need the desktop's Bluetooth agent to answer.
///
/// Linux only: Android, iOS, macOS and Windows pair by themselves when an
/// encrypted characteristic is first used (the system asks the person);
/// there this is a [`BleError::Pairing`] that says to pair the device in
/// the system's Bluetooth settings.
#[cfg(not(target_os = "linux"))]
pub async fn bond(address: &str, _timeout: Duration) -> Result<bool, BleError> {
    Err(BleError::Pairing {
        device: address.to_string(),
        reason: "the device asks to be paired: pair it in the system's Bluetooth settings, then sync again".into(),
    })
}

/// Pairs and bonds with the device at `address` through BlueZ (see the
/// other platforms' `bond` for what it does elsewhere).
#[cfg(target_os = "linux")]
pub async fn bond(address: &str, timeout: Duration) -> Result<bool, BleError> {
    let failed = |reason: String| BleError::Pairing {
        device: address.to_string(),
        reason,
    };
    let work = async {
        let bus = zbus::Connection::system()
            .await
            .map_err(|e| failed(format!("cannot reach BlueZ on the system bus: {e}")))?;
        let manager = zbus::fdo::ObjectManagerProxy::builder(&bus)
            .destination("org.bluez")
            .and_then(|b| b.path("/"))
            .map_err(|e| failed(e.to_string()))?
            .build()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let objects = manager
            .get_managed_objects()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let path = objects
            .into_iter()
            .find_map(|(path, interfaces)| {
                let device = interfaces
                    .iter()
                    .find(|(name, _)| name.as_str() == "org.bluez.Device1")?
                    .1;
                let known = device
                    .get("Address")
                    .and_then(|v| String::try_from(v.clone()).ok())?;
                known.eq_ignore_ascii_case(address).then_some(path)
            })
            .ok_or_else(|| failed("BlueZ does not know this device; scan first".into()))?;
        let device = zbus::Proxy::new(&bus, "org.bluez", path, "org.bluez.Device1")
            .await
            .map_err(|e| failed(e.to_string()))?;
        let paired: bool = device
            .get_property("Paired")
            .await
            .map_err(|e| failed(e.to_string()))?;
        if paired {
            return Ok(false);
        }
        device
            .call_method("Pair", &())
            .await
            .map_err(|e| failed(e.to_string()))?;
        // Trusted lets BlueZ reconnect it without asking; not every stack
        // allows setting it, and the bond stands without it.
        let _ = device.set_property("Trusted", true).await;
        Ok(true)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| BleError::Timeout {
            device: address.to_string(),
            operation: "pairing".into(),
            timeout,
        })?
}

async fn timed<T>(
    device: &str,
    operation: &str,
    timeout: Duration,
    future: impl Future<Output = Result<T, btleplug::Error>>,
) -> Result<T, BleError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(BleError::Bluetooth {
            device: device.to_string(),
            operation: operation.to_string(),
            source,
        }),
        Err(_) => Err(BleError::Timeout {
            device: device.to_string(),
            operation: operation.to_string(),
            timeout,
        }),
    }
}

/// A peripheral seen during a scan.
#[derive(Debug, Clone)]
pub struct FoundDevice {
    /// Advertised name, if any.
    pub name: Option<String>,
    /// Bluetooth address.
    pub address: String,
    /// Advertised service UUIDs.
    pub services: Vec<u128>,
    /// Signal strength, if known.
    pub rssi: Option<i16>,
    peripheral: Peripheral,
}

impl FoundDevice {
    /// Name for messages: the advertised name or the address.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.address.clone())
    }
}

/// Device Information strings read from a device (absent ones are `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInformation {
    /// Manufacturer Name String.
    pub manufacturer: Option<String>,
    /// Model Number String.
    pub model: Option<String>,
    /// Serial Number String.
    pub serial: Option<String>,
    /// Firmware Revision String.
    pub firmware: Option<String>,
}

/// The Bluetooth client: one adapter, one timeout for every operation.
#[derive(Debug)]
pub struct BleClient {
    adapter: Adapter,
    timeout: Duration,
}

impl BleClient {
    /// Opens the first adapter. On Linux this connects to BlueZ on the
    /// system bus (libdbus honours `DBUS_SYSTEM_BUS_ADDRESS`).
    pub async fn new(timeout: Duration) -> Result<Self, BleError> {
        let manager = timed("adapter", "open Bluetooth manager", timeout, Manager::new()).await?;
        let adapters = timed("adapter", "list adapters", timeout, manager.adapters()).await?;
        let adapter = adapters.into_iter().next().ok_or(BleError::NoAdapter)?;
        Ok(BleClient { adapter, timeout })
    }

    /// Scans for `duration` for devices advertising any of `services`.
    pub async fn scan(
        &self,
        services: &[u128],
        duration: Duration,
    ) -> Result<Vec<FoundDevice>, BleError> {
        let filter = ScanFilter {
            services: services.iter().map(|u| Uuid::from_u128(*u)).collect(),
        };
        let mut events = timed(
            "adapter",
            "subscribe to adapter events",
            self.timeout,
            self.adapter.events(),
        )
        .await?;
        timed(
            "adapter",
            "start scan",
            self.timeout,
            self.adapter.start_scan(filter),
        )
        .await?;
        // Drain discovery events until the scan window closes.
        let until = tokio::time::Instant::now() + duration;
        while let Ok(Some(_event)) = tokio::time::timeout_at(until, events.next()).await {}
        timed(
            "adapter",
            "stop scan",
            self.timeout,
            self.adapter.stop_scan(),
        )
        .await?;
        let peripherals = timed(
            "adapter",
            "list peripherals",
            self.timeout,
            self.adapter.peripherals(),
        )
        .await?;
        let mut found = Vec::new();
        for peripheral in peripherals {
            let properties = timed(
                "adapter",
                "read peripheral properties",
                self.timeout,
                peripheral.properties(),
            )
            .await?;
            let Some(properties) = properties else {
                continue;
            };
            let advertised: Vec<u128> = properties.services.iter().map(|u| u.as_u128()).collect();
            if !services.is_empty() && !advertised.iter().any(|u| services.contains(u)) {
                continue;
            }
            found.push(FoundDevice {
                name: properties.local_name,
                address: properties.address.to_string(),
                services: advertised,
                rssi: properties.rssi,
                peripheral,
            });
        }
        Ok(found)
    }

    /// Connects and discovers services.
    pub async fn connect(&self, device: &FoundDevice) -> Result<Connection, BleError> {
        let connection = Connection {
            peripheral: device.peripheral.clone(),
            label: device.label(),
            timeout: self.timeout,
        };
        connection.reconnect().await?;
        Ok(connection)
    }
}

/// A characteristic's UUID, for messages.
fn name_of(characteristic: &Characteristic) -> String {
    uuid_string(characteristic.uuid.as_u128())
}

/// A peripheral's notification stream.
type Notifications =
    std::pin::Pin<Box<dyn futures::Stream<Item = btleplug::api::ValueNotification> + Send>>;

/// The Nordic UART of a connected watch as a [`UartLink`].
pub struct UartSession {
    peripheral: Peripheral,
    tx: Characteristic,
    rx_uuid: Uuid,
    label: String,
    stream: Notifications,
}

impl UartLink for UartSession {
    fn device(&self) -> &str {
        &self.label
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.peripheral
            .write(&self.tx, bytes, WriteType::WithoutResponse)
            .await
            .map_err(|e| LinkError::Transport(e.to_string()))
    }

    async fn receive(&mut self) -> Result<Vec<u8>, LinkError> {
        // btleplug's stream does not end when the link drops; the engine's
        // timeout on every receive catches that.
        while let Some(notification) = self.stream.next().await {
            if notification.uuid == self.rx_uuid {
                return Ok(notification.value);
            }
        }
        Err(LinkError::Disconnected)
    }
}

/// A connected peripheral.
#[derive(Debug)]
pub struct Connection {
    peripheral: Peripheral,
    label: String,
    timeout: Duration,
}

impl Connection {
    /// Name used in messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// (Re)connects if needed and (re)discovers services.
    pub async fn reconnect(&self) -> Result<(), BleError> {
        let connected = timed(
            &self.label,
            "query connection",
            self.timeout,
            self.peripheral.is_connected(),
        )
        .await?;
        if !connected {
            timed(
                &self.label,
                "connect",
                self.timeout,
                self.peripheral.connect(),
            )
            .await?;
        }
        timed(
            &self.label,
            "discover services",
            self.timeout,
            self.peripheral.discover_services(),
        )
        .await
    }

    /// Whether the link is up.
    pub async fn is_connected(&self) -> Result<bool, BleError> {
        timed(
            &self.label,
            "query connection",
            self.timeout,
            self.peripheral.is_connected(),
        )
        .await
    }

    /// Disconnects.
    pub async fn disconnect(&self) -> Result<(), BleError> {
        timed(
            &self.label,
            "disconnect",
            self.timeout,
            self.peripheral.disconnect(),
        )
        .await
    }

    fn characteristic(&self, uuid: u128) -> Result<Characteristic, BleError> {
        let wanted = Uuid::from_u128(uuid);
        self.peripheral
            .characteristics()
            .into_iter()
            .find(|c| c.uuid == wanted)
            .ok_or_else(|| BleError::MissingCharacteristic {
                device: self.label.clone(),
                characteristic: uuid_string(uuid),
            })
    }

    /// Opens the notification stream, then subscribes to each
    /// characteristic (stream first, so no early value is missed).
    async fn notifications_of(
        &self,
        characteristics: &[&Characteristic],
    ) -> Result<Notifications, BleError> {
        let stream = timed(
            &self.label,
            "open notifications",
            self.timeout,
            self.peripheral.notifications(),
        )
        .await?;
        for characteristic in characteristics {
            timed(
                &self.label,
                &format!("subscribe to {}", name_of(characteristic)),
                self.timeout,
                self.peripheral.subscribe(characteristic),
            )
            .await?;
        }
        Ok(stream)
    }

    /// Opens the Nordic UART as a byte link for the sync engine: RX
    /// notifications are subscribed before anything is written, so no early
    /// reply is missed.
    pub async fn uart_session(&self) -> Result<UartSession, BleError> {
        let tx = self.characteristic(banglejs::UART_TX)?;
        let rx = self.characteristic(banglejs::UART_RX)?;
        let stream = self.notifications_of(&[&rx]).await?;
        Ok(UartSession {
            peripheral: self.peripheral.clone(),
            tx,
            rx_uuid: rx.uuid,
            label: self.label.clone(),
            stream,
        })
    }

    /// Whether the device has a characteristic.
    pub fn has(&self, uuid: u128) -> bool {
        self.characteristic(uuid).is_ok()
    }

    /// Reads raw bytes.
    pub async fn read_raw(&self, uuid: u128) -> Result<Vec<u8>, BleError> {
        let characteristic = self.characteristic(uuid)?;
        let operation = format!("read {}", uuid_string(uuid));
        timed(
            &self.label,
            &operation,
            self.timeout,
            self.peripheral.read(&characteristic),
        )
        .await
    }

    /// Writes raw bytes, waiting for the device's write response.
    pub async fn write_raw(&self, uuid: u128, value: &[u8]) -> Result<(), BleError> {
        let characteristic = self.characteristic(uuid)?;
        let operation = format!("write {}", uuid_string(uuid));
        timed(
            &self.label,
            &operation,
            self.timeout,
            self.peripheral.write(
                &characteristic,
                value,
                btleplug::api::WriteType::WithResponse,
            ),
        )
        .await
    }

    /// Reads and decodes a value.
    pub async fn read<T: GattValue>(&self) -> Result<T, BleError> {
        let bytes = self.read_raw(T::CHARACTERISTIC).await?;
        T::decode(&bytes).map_err(|source| BleError::Decode {
            device: self.label.clone(),
            source,
        })
    }

    /// Reads the Device Information strings the device has.
    pub async fn device_information(&self) -> Result<DeviceInformation, BleError> {
        let mut info = DeviceInformation::default();
        for field in [
            DeviceInfoField::Manufacturer,
            DeviceInfoField::Model,
            DeviceInfoField::Serial,
            DeviceInfoField::Firmware,
        ] {
            if !self.has(field.uuid()) {
                continue;
            }
            let bytes = self.read_raw(field.uuid()).await?;
            let text = standard::decode_device_string(field, &bytes).map_err(|source| {
                BleError::Decode {
                    device: self.label.clone(),
                    source,
                }
            })?;
            let slot = match field {
                DeviceInfoField::Manufacturer => &mut info.manufacturer,
                DeviceInfoField::Model => &mut info.model,
                DeviceInfoField::Serial => &mut info.serial,
                _ => &mut info.firmware,
            };
            *slot = Some(text);
        }
        Ok(info)
    }

    /// Opens the notification stream and subscribes to `uuid` (stream
    /// first, so no early value is missed); returns the characteristic, its
    /// name for messages, and the stream.
    async fn subscribe(
        &self,
        uuid: u128,
    ) -> Result<(Characteristic, String, Notifications), BleError> {
        let characteristic = self.characteristic(uuid)?;
        let stream = self.notifications_of(&[&characteristic]).await?;
        Ok((characteristic, uuid_string(uuid), stream))
    }

    /// What a silence while `waiting` for `characteristic` means: the
    /// link dropped (after `received` values), or the device is too slow.
    async fn silence(&self, characteristic: String, received: usize, waiting: String) -> BleError {
        if !self.is_connected().await.unwrap_or(false) {
            return BleError::Disconnected {
                device: self.label.clone(),
                characteristic,
                received,
            };
        }
        BleError::Timeout {
            device: self.label.clone(),
            operation: waiting,
            timeout: self.timeout,
        }
    }

    /// Unsubscribes, best effort (the link may be gone already).
    async fn unsubscribe(&self, characteristic: &Characteristic, name: &str) {
        let _ = timed(
            &self.label,
            &format!("unsubscribe from {name}"),
            self.timeout,
            self.peripheral.unsubscribe(characteristic),
        )
        .await;
    }

    /// Subscribes to `uuid` and collects up to `count` raw notifications.
    /// Returns early with [`BleError::Disconnected`] (carrying how many
    /// arrived) if the link drops; a gap longer than the timeout is a
    /// [`BleError::Timeout`].
    pub async fn collect_raw(&self, uuid: u128, count: usize) -> Result<Vec<Vec<u8>>, BleError> {
        let (characteristic, name, mut stream) = self.subscribe(uuid).await?;
        let mut values = Vec::new();
        while values.len() < count {
            match tokio::time::timeout(self.timeout, stream.next()).await {
                Ok(Some(notification)) if notification.uuid == characteristic.uuid => {
                    values.push(notification.value)
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    let waiting = format!("notification {} of {count} on {name}", values.len() + 1);
                    return Err(self.silence(name, values.len(), waiting).await);
                }
            }
        }
        self.unsubscribe(&characteristic, &name).await;
        Ok(values)
    }

    /// Subscribes to `uuid` for `duration`, calling `on_value` with each
    /// notification as it arrives; returns how many arrived. A link that
    /// drops ends the listening early with [`BleError::Disconnected`]
    /// (what arrived before was already handed over).
    pub async fn listen(
        &self,
        uuid: u128,
        duration: Duration,
        mut on_value: impl FnMut(Vec<u8>),
    ) -> Result<usize, BleError> {
        let (characteristic, name, mut stream) = self.subscribe(uuid).await?;
        let until = tokio::time::Instant::now() + duration;
        let mut received = 0;
        loop {
            let wait = tokio::time::Instant::now() + self.timeout.min(duration);
            match tokio::time::timeout_at(wait.min(until), stream.next()).await {
                Ok(Some(notification)) if notification.uuid == characteristic.uuid => {
                    received += 1;
                    on_value(notification.value);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) if tokio::time::Instant::now() >= until => break,
                Err(_) => {
                    if !self.is_connected().await.unwrap_or(false) {
                        return Err(BleError::Disconnected {
                            device: self.label.clone(),
                            characteristic: name,
                            received,
                        });
                    }
                }
            }
        }
        self.unsubscribe(&characteristic, &name).await;
        Ok(received)
    }

    /// Subscribes to every characteristic in `listen` (the stream opened
    /// first, so no early value is missed), writes `request` to `uuid`
    /// with a write response, and returns the notifications and
    /// indications of those characteristics, in order of arrival, up to and
    /// including the one for which `done` returns true: a request/response
    /// exchange such as a PAMS Control Point's. A gap longer than the
    /// timeout is [`BleError::Timeout`], or [`BleError::Disconnected`] if
    /// the link dropped.
    pub async fn request(
        &self,
        uuid: u128,
        request: &[u8],
        listen: &[u128],
        mut done: impl FnMut(u128, &[u8]) -> bool,
    ) -> Result<Vec<(u128, Vec<u8>)>, BleError> {
        let characteristics = listen
            .iter()
            .map(|&uuid| self.characteristic(uuid))
            .collect::<Result<Vec<_>, _>>()?;
        let mut stream = self
            .notifications_of(&characteristics.iter().collect::<Vec<_>>())
            .await?;
        let result = async {
            self.write_raw(uuid, request).await?;
            let mut values = Vec::new();
            loop {
                match tokio::time::timeout(self.timeout, stream.next()).await {
                    Ok(Some(notification)) => {
                        let from = notification.uuid.as_u128();
                        if !listen.contains(&from) {
                            continue;
                        }
                        let finished = done(from, &notification.value);
                        values.push((from, notification.value));
                        if finished {
                            return Ok(values);
                        }
                    }
                    Ok(None) | Err(_) => {
                        let name = uuid_string(uuid);
                        let waiting =
                            format!("the answer to {name} ({} value(s) so far)", values.len());
                        return Err(self.silence(name, values.len(), waiting).await);
                    }
                }
            }
        }
        .await;
        for characteristic in &characteristics {
            self.unsubscribe(characteristic, &name_of(characteristic))
                .await;
        }
        result
    }

    /// Writes `request` to the Nordic UART TX in 20-byte chunks and returns
    /// the lines received on RX until `done` says the exchange is over.
    pub async fn uart_exchange(
        &self,
        request: &[u8],
        mut done: impl FnMut(&str) -> bool,
    ) -> Result<Vec<Result<String, DecodeError>>, BleError> {
        let tx = self.characteristic(banglejs::UART_TX)?;
        let rx = self.characteristic(banglejs::UART_RX)?;
        let mut stream = self.notifications_of(&[&rx]).await?;
        for chunk in banglejs::chunks(request, 20) {
            timed(
                &self.label,
                "write UART TX",
                self.timeout,
                self.peripheral
                    .write(&tx, chunk, WriteType::WithoutResponse),
            )
            .await?;
        }
        let mut assembler = LineAssembler::default();
        let mut lines = Vec::new();
        loop {
            let notification = match tokio::time::timeout(self.timeout, stream.next()).await {
                Ok(Some(notification)) => notification,
                Ok(None) => break,
                Err(_) => {
                    return Err(BleError::Timeout {
                        device: self.label.clone(),
                        operation: format!("UART reply ({} line(s) so far)", lines.len()),
                        timeout: self.timeout,
                    })
                }
            };
            if notification.uuid != rx.uuid {
                continue;
            }
            let mut finished = false;
            for line in assembler.push(&notification.value) {
                if let Ok(text) = &line {
                    finished |= done(text);
                }
                lines.push(line);
            }
            if finished {
                break;
            }
        }
        let _ = timed(
            &self.label,
            "unsubscribe from UART RX",
            self.timeout,
            self.peripheral.unsubscribe(&rx),
        )
        .await;
        Ok(lines)
    }
}
