//! A simulated BlueZ: the `org.bluez` D-Bus service (ObjectManager, Adapter1,
//! Device1, GattService1, GattCharacteristic1) served with `zbus` on a
//! private bus, so the real btleplug client path can be tested without a
//! radio.
//!
//! Key design choice: the simulator speaks BlueZ's D-Bus API, not btleplug's
//! Rust API, so everything between our client code and the bus (btleplug,
//! bluez-async, libdbus, the daemon) is exercised as in production. A
//! peripheral is a GATT table plus a [`PeripheralBehaviour`] state machine;
//! notifications are `PropertiesChanged` on `Value`, exactly as BlueZ
//! delivers them. Fault knobs ([`Faults`]) drop the link after N
//! notifications or garble chosen ones.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bus;
mod objects;
mod peripheral;

pub use bus::PrivateBus;
pub use peripheral::{
    ActivityMonitor, BangleJs, MonitorHandle, Notify, PeripheralBehaviour, PineTime,
    SimCharacteristic, SimService, SimulatedPeripheral, StepCounterHandle,
};

use objects::{Adapter, DeviceShared, ADAPTER_PATH};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zbus::Connection;

/// Errors starting or driving the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The private `dbus-daemon` could not be started.
    #[error("private dbus-daemon: {0}")]
    Daemon(String),
    /// A D-Bus operation failed.
    #[error("D-Bus: {0}")]
    Bus(#[from] zbus::Error),
    /// No simulated device has this address (or it was not discovered yet).
    #[error("no simulated device {0}")]
    UnknownDevice(String),
}

/// Fault knobs for one device; change them at any time with
/// [`BluezSim::set_faults`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Drop the link after this many notifications since the last connect
    /// (one-shot: cleared when it fires, so a reconnect works).
    pub drop_link_after: Option<u32>,
    /// Garble the notifications with these indices (0-based, counted since
    /// the last connect): last byte removed, the rest XOR 0xA5.
    pub corrupt_notifications: Vec<u32>,
}

/// Simulator state shared with the adapter object.
pub(crate) struct SimState {
    undiscovered: Mutex<Vec<SimulatedPeripheral>>,
    devices: tokio::sync::Mutex<HashMap<String, Arc<DeviceShared>>>,
    faults: HashMap<String, Arc<Mutex<Faults>>>,
}

impl SimState {
    /// Adds every not-yet-discovered peripheral that matches the filter.
    pub(crate) async fn discover(&self, connection: &Connection, filter: &[String]) {
        let found: Vec<SimulatedPeripheral> = {
            let mut undiscovered = self.undiscovered.lock().unwrap_or_else(|p| p.into_inner());
            let matches = |p: &SimulatedPeripheral| {
                filter.is_empty()
                    || p.advertised
                        .iter()
                        .any(|u| filter.contains(&phr_ble_protocols::uuid_string(*u)))
            };
            let (found, rest) = undiscovered.drain(..).partition(matches);
            *undiscovered = rest;
            found
        };
        for peripheral in found {
            let address = peripheral.address.clone();
            let faults = self.faults.get(&address).cloned().unwrap_or_default();
            if let Ok(shared) = objects::add_device(connection, peripheral, faults).await {
                self.devices.lock().await.insert(address, shared);
            }
        }
    }
}

/// A running simulated BlueZ. Dropping it leaves the objects on the bus
/// until the connection closes.
pub struct BluezSim {
    connection: Connection,
    state: Arc<SimState>,
}

impl std::fmt::Debug for BluezSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BluezSim").finish_non_exhaustive()
    }
}

impl BluezSim {
    /// Connects to the bus at `address`, takes the name `org.bluez` and
    /// serves an ObjectManager at `/` and a powered adapter `hci0`. The
    /// peripherals appear (InterfacesAdded) once a client starts discovery
    /// with a filter they match.
    pub async fn serve(
        address: &str,
        peripherals: Vec<SimulatedPeripheral>,
    ) -> Result<Self, SimError> {
        let faults = peripherals
            .iter()
            .map(|p| (p.address.clone(), Arc::new(Mutex::new(Faults::default()))))
            .collect();
        let state = Arc::new(SimState {
            undiscovered: Mutex::new(peripherals),
            devices: tokio::sync::Mutex::new(HashMap::new()),
            faults,
        });
        let adapter = Adapter {
            state: state.clone(),
            powered: true,
            discovering: false,
            filter_uuids: Vec::new(),
        };
        let connection = zbus::connection::Builder::address(address)?
            .serve_at("/", zbus::fdo::ObjectManager)?
            .serve_at(ADAPTER_PATH, adapter)?
            .name("org.bluez")?
            .build()
            .await?;
        Ok(BluezSim { connection, state })
    }

    /// Replaces the fault knobs of a device.
    pub fn set_faults(&self, address: &str, faults: Faults) -> Result<(), SimError> {
        let slot = self
            .state
            .faults
            .get(address)
            .ok_or_else(|| SimError::UnknownDevice(address.into()))?;
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = faults;
        Ok(())
    }

    /// Drops the link to a connected device now.
    pub async fn drop_link(&self, address: &str) -> Result<(), SimError> {
        let shared = self
            .state
            .devices
            .lock()
            .await
            .get(address)
            .cloned()
            .ok_or_else(|| SimError::UnknownDevice(address.into()))?;
        objects::drop_link(&shared).await;
        Ok(())
    }

    /// The D-Bus connection the simulator serves on.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}
