//! Standard characteristics: Battery Level, Current Time, Heart Rate
//! Measurement, Device Information strings.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_ble_protocols::standard::{self, BatteryLevel, CurrentTime, DeviceInfoField, HeartRateMeasurement};
use phr_ble_protocols::GattValue;

fuzz_target!(|data: &[u8]| {
    let _ = BatteryLevel::decode(data);
    if let Ok(time) = CurrentTime::decode(data) {
        // Round trip: a known date-time must re-encode to the same bytes
        // (a partly unknown date, e.g. month 0, decodes to `None`).
        if time.local.is_some() {
            assert_eq!(&time.encode()[..], data);
        }
    }
    let _ = HeartRateMeasurement::decode(data);
    let _ = standard::decode_device_string(DeviceInfoField::Model, data);
});
