//! The BlueZ D-Bus objects: Adapter1, Device1, GattService1,
//! GattCharacteristic1.

use crate::peripheral::{Notify, PeripheralBehaviour, SimulatedPeripheral};
use crate::{Faults, SimState};
use phr_ble_protocols::uuid_string;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};
use zbus::{fdo, interface, Connection};

/// Path of the one adapter.
pub(crate) const ADAPTER_PATH: &str = "/org/bluez/hci0";

/// Gap between simulated notifications.
const NOTIFY_GAP: Duration = Duration::from_millis(15);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn path(text: String) -> OwnedObjectPath {
    // Paths are built from hex digits and fixed names only.
    OwnedObjectPath::try_from(text).unwrap_or_else(|_| OwnedObjectPath::default())
}

/// State shared by a device's objects.
pub(crate) struct DeviceShared {
    pub(crate) address: String,
    pub(crate) path: OwnedObjectPath,
    pub(crate) behaviour: Mutex<Box<dyn PeripheralBehaviour>>,
    pub(crate) char_paths: HashMap<u128, OwnedObjectPath>,
    pub(crate) faults: Arc<Mutex<Faults>>,
    pub(crate) connected: AtomicBool,
    /// The peripheral refuses GATT access until it is bonded.
    pub(crate) requires_bonding: bool,
    /// Bonded (BlueZ's `Paired`).
    pub(crate) bonded: AtomicBool,
    pub(crate) sent: AtomicU32,
    pub(crate) connection: Connection,
}

fn not_connected(shared: &DeviceShared) -> fdo::Error {
    fdo::Error::Failed(format!("org.bluez.Error.NotConnected: {}", shared.address))
}

/// Connected, and bonded if the peripheral insists on it: what a GATT
/// operation needs. An unbonded link to a peripheral that requires
/// bonding gets ATT error 0x05 (Insufficient Authentication), as BlueZ
/// reports it.
fn check_access(shared: &DeviceShared) -> fdo::Result<()> {
    if !shared.connected.load(Ordering::SeqCst) {
        return Err(not_connected(shared));
    }
    if shared.requires_bonding && !shared.bonded.load(Ordering::SeqCst) {
        return Err(fdo::Error::Failed(
            "org.bluez.Error.NotPermitted: Operation failed with ATT error: 0x05 (Insufficient Authentication)".into(),
        ));
    }
    Ok(())
}

/// Sends notifications one by one, applying the fault knobs.
pub(crate) async fn send_notifications(shared: Arc<DeviceShared>, notifies: Vec<Notify>) {
    tokio::time::sleep(Duration::from_millis(150)).await;
    for notify in notifies {
        tokio::time::sleep(notify.after.unwrap_or(NOTIFY_GAP)).await;
        if !shared.connected.load(Ordering::SeqCst) {
            return;
        }
        let Some(char_path) = shared.char_paths.get(&notify.characteristic) else {
            continue;
        };
        let index = shared.sent.fetch_add(1, Ordering::SeqCst);
        let (corrupt, drop_after) = {
            let faults = lock(&shared.faults);
            (
                faults.corrupt_notifications.contains(&index),
                faults.drop_link_after,
            )
        };
        let mut value = notify.value;
        if corrupt {
            // Truncate and flip: what a garbled notification looks like.
            value.pop();
            value.iter_mut().for_each(|b| *b ^= 0xA5);
        }
        let server = shared.connection.object_server();
        if let Ok(iface) = server.interface::<_, Characteristic>(char_path).await {
            let mut characteristic = iface.get_mut().await;
            characteristic.value = value;
            if characteristic.notifying {
                let _ = characteristic.value_changed(iface.signal_emitter()).await;
            }
        }
        if drop_after.is_some_and(|n| index + 1 >= n) {
            lock(&shared.faults).drop_link_after = None;
            drop_link(&shared).await;
            return;
        }
    }
}

/// The peripheral went away: Connected and ServicesResolved become false.
pub(crate) async fn drop_link(shared: &Arc<DeviceShared>) {
    shared.connected.store(false, Ordering::SeqCst);
    let server = shared.connection.object_server();
    for char_path in shared.char_paths.values() {
        if let Ok(iface) = server.interface::<_, Characteristic>(char_path).await {
            let mut characteristic = iface.get_mut().await;
            if characteristic.notifying {
                characteristic.notifying = false;
                let _ = characteristic
                    .notifying_changed(iface.signal_emitter())
                    .await;
            }
        }
    }
    if let Ok(iface) = server.interface::<_, Device>(&shared.path).await {
        let mut device = iface.get_mut().await;
        device.services_resolved = false;
        let _ = device
            .services_resolved_changed(iface.signal_emitter())
            .await;
        device.connected = false;
        let _ = device.connected_changed(iface.signal_emitter()).await;
    }
}

/// `org.bluez.Adapter1` at `/org/bluez/hci0`.
pub(crate) struct Adapter {
    pub(crate) state: Arc<SimState>,
    pub(crate) powered: bool,
    pub(crate) discovering: bool,
    pub(crate) filter_uuids: Vec<String>,
}

#[interface(name = "org.bluez.Adapter1")]
impl Adapter {
    async fn start_discovery(
        &mut self,
        #[zbus(connection)] connection: &Connection,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<()> {
        if !self.powered {
            return Err(fdo::Error::Failed("org.bluez.Error.NotReady".into()));
        }
        self.discovering = true;
        self.discovering_changed(&emitter).await?;
        let state = self.state.clone();
        let filter = self.filter_uuids.clone();
        let connection = connection.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            state.discover(&connection, &filter).await;
        });
        Ok(())
    }

    async fn stop_discovery(
        &mut self,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<()> {
        self.discovering = false;
        self.discovering_changed(&emitter).await?;
        Ok(())
    }

    async fn set_discovery_filter(
        &mut self,
        filter: HashMap<String, OwnedValue>,
    ) -> fdo::Result<()> {
        self.filter_uuids = match filter.get("UUIDs") {
            Some(value) => Vec::<String>::try_from(value.try_clone().map_err(zbus::Error::from)?)
                .map_err(|e| fdo::Error::InvalidArgs(format!("UUIDs: {e}")))?
                .into_iter()
                .map(|u| u.to_ascii_lowercase())
                .collect(),
            None => Vec::new(),
        };
        Ok(())
    }

    fn get_discovery_filters(&self) -> Vec<String> {
        ["UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData"]
            .into_iter()
            .map(String::from)
            .collect()
    }

    async fn remove_device(&mut self, device: OwnedObjectPath) -> fdo::Result<()> {
        let _ = device;
        Ok(())
    }

    #[zbus(property)]
    fn address(&self) -> String {
        "00:1A:7D:DA:71:13".into()
    }

    #[zbus(property)]
    fn address_type(&self) -> String {
        "public".into()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        "phr-bluez-sim".into()
    }

    #[zbus(property)]
    fn alias(&self) -> String {
        "phr-bluez-sim".into()
    }

    #[zbus(property)]
    fn class(&self) -> u32 {
        0
    }

    /// bluez-async requires it (`usb:v…p…d…`); the values of BlueZ 5.66's
    /// own adapter.
    #[zbus(property)]
    fn modalias(&self) -> String {
        "usb:v1D6Bp0246d0542".into()
    }

    #[zbus(property)]
    fn powered(&self) -> bool {
        self.powered
    }

    #[zbus(property)]
    fn set_powered(&mut self, powered: bool) {
        self.powered = powered;
    }

    #[zbus(property)]
    fn discoverable(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn pairable(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn discovering(&self) -> bool {
        self.discovering
    }

    #[zbus(property, name = "UUIDs")]
    fn uuids(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `org.bluez.Device1`.
pub(crate) struct Device {
    pub(crate) shared: Arc<DeviceShared>,
    pub(crate) name: String,
    pub(crate) rssi: i16,
    pub(crate) uuids: Vec<String>,
    pub(crate) connected: bool,
    pub(crate) services_resolved: bool,
    pub(crate) paired: bool,
}

#[interface(name = "org.bluez.Device1")]
impl Device {
    async fn connect(
        &mut self,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<()> {
        self.shared.sent.store(0, Ordering::SeqCst);
        self.shared.connected.store(true, Ordering::SeqCst);
        self.connected = true;
        self.connected_changed(&emitter).await?;
        // BlueZ resolves services after the link is up; btleplug waits for it.
        self.services_resolved = true;
        self.services_resolved_changed(&emitter).await?;
        Ok(())
    }

    async fn disconnect(
        &mut self,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<()> {
        self.shared.connected.store(false, Ordering::SeqCst);
        self.services_resolved = false;
        self.services_resolved_changed(&emitter).await?;
        self.connected = false;
        self.connected_changed(&emitter).await?;
        Ok(())
    }

    async fn pair(
        &mut self,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<()> {
        self.paired = true;
        self.shared.bonded.store(true, Ordering::SeqCst);
        self.paired_changed(&emitter).await?;
        Ok(())
    }

    fn cancel_pairing(&self) {}

    #[zbus(property)]
    fn address(&self) -> String {
        self.shared.address.clone()
    }

    #[zbus(property)]
    fn address_type(&self) -> String {
        "random".into()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        self.name.clone()
    }

    #[zbus(property)]
    fn alias(&self) -> String {
        self.name.clone()
    }

    #[zbus(property, name = "RSSI")]
    fn rssi(&self) -> i16 {
        self.rssi
    }

    #[zbus(property, name = "UUIDs")]
    fn uuids(&self) -> Vec<String> {
        self.uuids.clone()
    }

    #[zbus(property)]
    fn connected(&self) -> bool {
        self.connected
    }

    #[zbus(property)]
    fn services_resolved(&self) -> bool {
        self.services_resolved
    }

    #[zbus(property)]
    fn paired(&self) -> bool {
        self.paired
    }

    #[zbus(property)]
    fn trusted(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn blocked(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn legacy_pairing(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn adapter(&self) -> OwnedObjectPath {
        path(ADAPTER_PATH.into())
    }
}

/// `org.bluez.GattService1`.
pub(crate) struct Service {
    pub(crate) uuid: u128,
    pub(crate) device: OwnedObjectPath,
}

#[interface(name = "org.bluez.GattService1")]
impl Service {
    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> String {
        uuid_string(self.uuid)
    }

    #[zbus(property)]
    fn primary(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn device(&self) -> OwnedObjectPath {
        self.device.clone()
    }

    #[zbus(property)]
    fn includes(&self) -> Vec<OwnedObjectPath> {
        Vec::new()
    }
}

/// `org.bluez.GattCharacteristic1`.
pub(crate) struct Characteristic {
    pub(crate) shared: Arc<DeviceShared>,
    pub(crate) uuid: u128,
    pub(crate) service: OwnedObjectPath,
    pub(crate) flags: Vec<String>,
    pub(crate) value: Vec<u8>,
    pub(crate) notifying: bool,
}

#[interface(name = "org.bluez.GattCharacteristic1")]
impl Characteristic {
    async fn read_value(&mut self, options: HashMap<String, OwnedValue>) -> fdo::Result<Vec<u8>> {
        let _ = options;
        check_access(&self.shared)?;
        let value = lock(&self.shared.behaviour).read(self.uuid);
        match value {
            Some(value) => {
                self.value = value.clone();
                Ok(value)
            }
            None => Err(fdo::Error::AccessDenied(
                "org.bluez.Error.NotPermitted".into(),
            )),
        }
    }

    async fn write_value(
        &mut self,
        value: Vec<u8>,
        options: HashMap<String, OwnedValue>,
    ) -> fdo::Result<()> {
        let _ = options;
        check_access(&self.shared)?;
        let notifies = lock(&self.shared.behaviour).write(self.uuid, &value);
        if !notifies.is_empty() {
            tokio::spawn(send_notifications(self.shared.clone(), notifies));
        }
        Ok(())
    }

    async fn start_notify(
        &mut self,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<()> {
        check_access(&self.shared)?;
        self.notifying = true;
        self.notifying_changed(&emitter).await?;
        let notifies = lock(&self.shared.behaviour).subscribed(self.uuid);
        if !notifies.is_empty() {
            tokio::spawn(send_notifications(self.shared.clone(), notifies));
        }
        Ok(())
    }

    async fn stop_notify(
        &mut self,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<()> {
        self.notifying = false;
        self.notifying_changed(&emitter).await?;
        Ok(())
    }

    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> String {
        uuid_string(self.uuid)
    }

    #[zbus(property)]
    fn service(&self) -> OwnedObjectPath {
        self.service.clone()
    }

    #[zbus(property)]
    fn value(&self) -> Vec<u8> {
        self.value.clone()
    }

    #[zbus(property)]
    fn notifying(&self) -> bool {
        self.notifying
    }

    #[zbus(property)]
    fn flags(&self) -> Vec<String> {
        self.flags.clone()
    }
}

/// Puts a peripheral's objects on the bus: the device first (so discovery
/// signals announce it), then services and characteristics beneath it, with
/// BlueZ-style handle numbers in their paths.
pub(crate) async fn add_device(
    connection: &Connection,
    peripheral: SimulatedPeripheral,
    faults: Arc<Mutex<Faults>>,
) -> zbus::Result<Arc<DeviceShared>> {
    let device_path = format!(
        "{ADAPTER_PATH}/dev_{}",
        peripheral.address.replace(':', "_").to_ascii_uppercase()
    );
    let mut char_paths = HashMap::new();
    let mut layout = Vec::new();
    let mut handle = 0x000a_u32;
    for service in &peripheral.services {
        let service_path = format!("{device_path}/service{handle:04x}");
        handle += 1;
        let mut chars = Vec::new();
        for characteristic in &service.characteristics {
            let char_path = format!("{service_path}/char{handle:04x}");
            handle += 2;
            char_paths.insert(characteristic.uuid, path(char_path.clone()));
            chars.push((char_path, characteristic.clone()));
        }
        layout.push((service_path, service.uuid, chars));
    }
    let shared = Arc::new(DeviceShared {
        address: peripheral.address.clone(),
        path: path(device_path.clone()),
        behaviour: Mutex::new(peripheral.behaviour),
        char_paths,
        faults,
        connected: AtomicBool::new(false),
        requires_bonding: peripheral.requires_bonding,
        bonded: AtomicBool::new(false),
        sent: AtomicU32::new(0),
        connection: connection.clone(),
    });
    let server = connection.object_server();
    server
        .at(
            device_path.as_str(),
            Device {
                shared: shared.clone(),
                name: peripheral.name,
                rssi: peripheral.rssi,
                uuids: peripheral
                    .advertised
                    .iter()
                    .map(|u| uuid_string(*u))
                    .collect(),
                connected: false,
                services_resolved: false,
                paired: false,
            },
        )
        .await?;
    for (service_path, uuid, chars) in layout {
        server
            .at(
                service_path.as_str(),
                Service {
                    uuid,
                    device: shared.path.clone(),
                },
            )
            .await?;
        for (char_path, characteristic) in chars {
            server
                .at(
                    char_path.as_str(),
                    Characteristic {
                        shared: shared.clone(),
                        uuid: characteristic.uuid,
                        service: path(service_path.clone()),
                        flags: characteristic.flags.iter().map(|f| f.to_string()).collect(),
                        value: Vec::new(),
                        notifying: false,
                    },
                )
                .await?;
        }
    }
    Ok(shared)
}
