//! What a simulated peripheral serves: its GATT table and behaviour.

use phr_ble_protocols::banglejs::{self, UART_RX, UART_SERVICE, UART_TX};
use phr_ble_protocols::infinitime::{DailySteps, RawMotion, MOTION_SERVICE};
use phr_ble_protocols::standard::{
    BatteryLevel, CurrentTime, DeviceInfoField, HeartRateMeasurement, BATTERY_SERVICE,
    CURRENT_TIME_SERVICE, DEVICE_INFORMATION_SERVICE, HEART_RATE_SERVICE,
};
use phr_ble_protocols::{pams, GattValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A notification to send: new `value` of `characteristic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// Characteristic UUID.
    pub characteristic: u128,
    /// New value.
    pub value: Vec<u8>,
    /// Wait before sending it; `None` for the link's pace (15 ms, one
    /// notification per connection event). A sensor reading once a second
    /// sets one second.
    pub after: Option<std::time::Duration>,
}

/// How a peripheral answers GATT operations. Implementations are plain state
/// machines; the simulator does the D-Bus side.
pub trait PeripheralBehaviour: Send + 'static {
    /// ReadValue; `None` means "read not permitted".
    fn read(&mut self, characteristic: u128) -> Option<Vec<u8>>;
    /// WriteValue; returns notifications to send in response.
    fn write(&mut self, characteristic: u128, value: &[u8]) -> Vec<Notify>;
    /// StartNotify; returns notifications to send now (a burst).
    fn subscribed(&mut self, characteristic: u128) -> Vec<Notify>;
}

/// One characteristic of the GATT table.
#[derive(Debug, Clone)]
pub struct SimCharacteristic {
    /// UUID.
    pub uuid: u128,
    /// BlueZ flags (`read`, `write`, `write-without-response`, `notify`, …).
    pub flags: Vec<&'static str>,
}

/// One primary service.
#[derive(Debug, Clone)]
pub struct SimService {
    /// UUID.
    pub uuid: u128,
    /// Its characteristics.
    pub characteristics: Vec<SimCharacteristic>,
}

/// A simulated peripheral: identity, advertised data, GATT table, behaviour.
pub struct SimulatedPeripheral {
    /// Bluetooth address, `AA:BB:CC:DD:EE:FF`.
    pub address: String,
    /// Advertised name.
    pub name: String,
    /// RSSI reported during discovery.
    pub rssi: i16,
    /// Advertised service UUIDs.
    pub advertised: Vec<u128>,
    /// GATT table.
    pub services: Vec<SimService>,
    /// Behaviour.
    pub behaviour: Box<dyn PeripheralBehaviour>,
    /// Refuses every GATT operation (ATT error 0x05, Insufficient
    /// Authentication) until a client bonds with it (Device1.Pair).
    pub requires_bonding: bool,
}

impl std::fmt::Debug for SimulatedPeripheral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedPeripheral")
            .field("address", &self.address)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn characteristic(uuid: u128, flags: &[&'static str]) -> SimCharacteristic {
    SimCharacteristic {
        uuid,
        flags: flags.to_vec(),
    }
}

fn device_information(info: &[(DeviceInfoField, &str)]) -> (SimService, HashMap<u128, Vec<u8>>) {
    let service = SimService {
        uuid: DEVICE_INFORMATION_SERVICE,
        characteristics: info
            .iter()
            .map(|(field, _)| characteristic(field.uuid(), &["read"]))
            .collect(),
    };
    let values = info
        .iter()
        .map(|(field, text)| (field.uuid(), text.as_bytes().to_vec()))
        .collect();
    (service, values)
}

/// The Battery service with its Battery Level (read, notify).
fn battery_service() -> SimService {
    SimService {
        uuid: BATTERY_SERVICE,
        characteristics: vec![characteristic(
            BatteryLevel::CHARACTERISTIC,
            &["read", "notify"],
        )],
    }
}

/// Shared handle on a simulated PineTime's step counter.
#[derive(Debug, Clone, Default)]
pub struct StepCounterHandle(Arc<Mutex<u32>>);

impl StepCounterHandle {
    /// Current cumulative count.
    pub fn get(&self) -> u32 {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the count (0 simulates a midnight reset or a reboot).
    pub fn set(&self, steps: u32) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = steps;
    }
}

/// An InfiniTime PineTime: Motion Service, Heart Rate, Battery, Device
/// Information, Current Time. Subscribing to the step count sends `burst`
/// notifications, the count rising by `stride` each; subscribing to Heart
/// Rate Measurement sends `burst` readings (uint8 beats per minute, skin
/// contact detected, one RR interval each), 68 bpm rising by one.
pub struct PineTime {
    values: HashMap<u128, Vec<u8>>,
    steps: StepCounterHandle,
    /// Notifications sent per subscription.
    pub burst: u32,
    /// Steps added per notification.
    pub stride: u32,
}

impl PeripheralBehaviour for PineTime {
    fn read(&mut self, characteristic: u128) -> Option<Vec<u8>> {
        if characteristic == DailySteps::CHARACTERISTIC {
            return Some(self.steps.get().to_le_bytes().to_vec());
        }
        self.values.get(&characteristic).cloned()
    }

    fn write(&mut self, characteristic: u128, value: &[u8]) -> Vec<Notify> {
        if characteristic == CurrentTime::CHARACTERISTIC && value.len() == 10 {
            self.values.insert(characteristic, value.to_vec());
        }
        Vec::new()
    }

    fn subscribed(&mut self, characteristic: u128) -> Vec<Notify> {
        if characteristic == HeartRateMeasurement::CHARACTERISTIC {
            return (0..self.burst)
                .map(|i| {
                    let bpm = 68 + i as u8;
                    // Flags: uint8 value, contact supported and detected,
                    // RR intervals present.
                    let rr = (60.0 / f64::from(bpm) * 1024.0) as u16;
                    let mut value = vec![0b0001_0110, bpm];
                    value.extend_from_slice(&rr.to_le_bytes());
                    Notify {
                        characteristic,
                        value,
                        // A heart-rate sensor reports about once a second.
                        after: Some(std::time::Duration::from_secs(1)),
                    }
                })
                .collect();
        }
        if characteristic != DailySteps::CHARACTERISTIC {
            return Vec::new();
        }
        (0..self.burst)
            .map(|_| {
                let steps = self.steps.get().saturating_add(self.stride);
                self.steps.set(steps);
                Notify {
                    characteristic,
                    value: steps.to_le_bytes().to_vec(),
                    after: None,
                }
            })
            .collect()
    }
}

impl SimulatedPeripheral {
    /// A PineTime running InfiniTime; returns the step counter handle too.
    pub fn pinetime(address: &str) -> (Self, StepCounterHandle) {
        let (info, mut values) = device_information(&[
            (DeviceInfoField::Manufacturer, "PINE64"),
            (DeviceInfoField::Model, "PineTime"),
            (DeviceInfoField::Serial, "PT-0001"),
            (DeviceInfoField::Firmware, "1.14.0"),
        ]);
        values.insert(BatteryLevel::CHARACTERISTIC, vec![87]);
        // 2026-03-01 08:00:00, Sunday.
        values.insert(
            CurrentTime::CHARACTERISTIC,
            vec![0xEA, 0x07, 3, 1, 8, 0, 0, 7, 0, 0],
        );
        values.insert(RawMotion::CHARACTERISTIC, vec![0, 0, 0, 0, 0, 4]);
        let steps = StepCounterHandle::default();
        steps.set(1000);
        let services = vec![
            info,
            battery_service(),
            SimService {
                uuid: CURRENT_TIME_SERVICE,
                characteristics: vec![characteristic(
                    CurrentTime::CHARACTERISTIC,
                    &["read", "write", "notify"],
                )],
            },
            SimService {
                uuid: MOTION_SERVICE,
                characteristics: vec![
                    characteristic(DailySteps::CHARACTERISTIC, &["read", "notify"]),
                    characteristic(RawMotion::CHARACTERISTIC, &["read", "notify"]),
                ],
            },
            SimService {
                uuid: HEART_RATE_SERVICE,
                characteristics: vec![characteristic(
                    HeartRateMeasurement::CHARACTERISTIC,
                    &["notify"],
                )],
            },
        ];
        let peripheral = SimulatedPeripheral {
            address: address.to_string(),
            name: "InfiniTime".into(),
            rssi: -52,
            advertised: vec![MOTION_SERVICE],
            services,
            behaviour: Box::new(PineTime {
                values,
                steps: steps.clone(),
                burst: 5,
                stride: 10,
            }),
            requires_bonding: false,
        };
        (peripheral, steps)
    }

    /// A Bangle.js 2 with stored activity `history` lines (JSON `act`
    /// objects without `t`), answering `actfetch` requests written to TX.
    pub fn banglejs(address: &str, history: Vec<serde_json::Value>) -> Self {
        SimulatedPeripheral {
            address: address.to_string(),
            name: "Bangle.js 1a2b".into(),
            rssi: -60,
            advertised: vec![UART_SERVICE],
            services: vec![SimService {
                uuid: UART_SERVICE,
                characteristics: vec![
                    characteristic(UART_TX, &["write", "write-without-response"]),
                    characteristic(UART_RX, &["notify"]),
                ],
            }],
            behaviour: Box::new(BangleJs {
                // Its clock is the host's, so the sync can read an offset.
                watch: banglejs::SimulatedWatch::new(history).with_clock(std::sync::Arc::new(
                    || {
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_millis() as i64)
                    },
                )),
            }),
            requires_bonding: false,
        }
    }

    /// The same peripheral, refusing GATT access until bonded.
    pub fn bonding_required(mut self) -> Self {
        self.requires_bonding = true;
        self
    }
}

/// A Bangle.js: the pure [`banglejs::SimulatedWatch`] behind the UART
/// characteristics.
pub struct BangleJs {
    watch: banglejs::SimulatedWatch,
}

impl PeripheralBehaviour for BangleJs {
    fn read(&mut self, _characteristic: u128) -> Option<Vec<u8>> {
        None
    }

    fn write(&mut self, characteristic: u128, value: &[u8]) -> Vec<Notify> {
        if characteristic != UART_TX {
            return Vec::new();
        }
        self.watch
            .write(value)
            .into_iter()
            .map(|value| Notify {
                characteristic: UART_RX,
                value,
                after: None,
            })
            .collect()
    }

    fn subscribed(&mut self, _characteristic: u128) -> Vec<Notify> {
        Vec::new()
    }
}

/// Shared handle on a simulated activity monitor's stored sessions.
#[derive(Debug, Clone)]
pub struct MonitorHandle(Arc<Mutex<pams::SimulatedMonitor>>);

impl MonitorHandle {
    /// Sets the running session (`None`: the last one ended).
    pub fn set_running(&self, id: Option<u16>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_running(id);
    }

    /// Replaces the stored sessions (it recorded more, or was reset).
    pub fn set_sessions(&self, sessions: Vec<pams::MonitorSession>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_sessions(sessions);
    }
}

/// A wearable speaking the Physical Activity Monitor Service: the pure
/// [`pams::SimulatedMonitor`] behind the PAMS characteristics, with Battery
/// and Device Information beside them.
pub struct ActivityMonitor {
    monitor: MonitorHandle,
    values: HashMap<u128, Vec<u8>>,
}

impl PeripheralBehaviour for ActivityMonitor {
    fn read(&mut self, characteristic: u128) -> Option<Vec<u8>> {
        if characteristic == pams::Characteristic::CurrentSession.uuid() {
            let monitor = self.monitor.0.lock().unwrap_or_else(|p| p.into_inner());
            return Some(monitor.current_session().encode());
        }
        self.values.get(&characteristic).cloned()
    }

    fn write(&mut self, characteristic: u128, value: &[u8]) -> Vec<Notify> {
        if characteristic != pams::Characteristic::ControlPoint.uuid() {
            return Vec::new();
        }
        let mut monitor = self.monitor.0.lock().unwrap_or_else(|p| p.into_inner());
        monitor
            .control_point(value)
            .into_iter()
            .map(|(characteristic, value)| Notify {
                characteristic: characteristic.uuid(),
                value,
                after: None,
            })
            .collect()
    }

    fn subscribed(&mut self, _characteristic: u128) -> Vec<Notify> {
        Vec::new()
    }
}

impl SimulatedPeripheral {
    /// An activity monitor speaking PAMS, holding `monitor`'s sessions;
    /// returns a handle to change them too.
    pub fn activity_monitor(
        address: &str,
        monitor: pams::SimulatedMonitor,
    ) -> (Self, MonitorHandle) {
        use pams::Characteristic as C;
        let (info, mut values) = device_information(&[
            (DeviceInfoField::Manufacturer, "PHR companion (simulated)"),
            (DeviceInfoField::Model, "PAMS activity monitor"),
            (DeviceInfoField::Serial, "PAM-0001"),
            (DeviceInfoField::Firmware, "1.0"),
        ]);
        values.insert(BatteryLevel::CHARACTERISTIC, vec![73]);
        // Features: instantaneous general activity, step counter and sleep
        // data (bit meanings unverified; our client does not rely on them).
        values.insert(C::Features.uuid(), vec![0xFF, 0x00, 0x00, 0x00]);
        let notify = |c: C| characteristic(c.uuid(), &["notify"]);
        let services = vec![
            info,
            battery_service(),
            SimService {
                uuid: pams::SERVICE,
                characteristics: vec![
                    characteristic(C::Features.uuid(), &["read"]),
                    notify(C::GeneralActivityInstantaneous),
                    notify(C::StepCounterSummary),
                    notify(C::SleepInstantaneous),
                    characteristic(C::ControlPoint.uuid(), &["write", "indicate"]),
                    characteristic(C::CurrentSession.uuid(), &["read", "notify"]),
                    notify(C::SessionDescriptor),
                ],
            },
        ];
        let handle = MonitorHandle(Arc::new(Mutex::new(monitor)));
        let peripheral = SimulatedPeripheral {
            address: address.to_string(),
            name: "Activity Monitor".into(),
            rssi: -58,
            advertised: vec![pams::SERVICE],
            services,
            behaviour: Box::new(ActivityMonitor {
                monitor: handle.clone(),
                values,
            }),
            requires_bonding: false,
        };
        (peripheral, handle)
    }
}
