//! InfiniTime: value decoders and the step tracker over arbitrary
//! (time delta, cumulative count) readings: never panics, never overflows.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_ble_protocols::infinitime::{DailySteps, RawMotion, StepTracker};
use phr_ble_protocols::GattValue;
use phr_model::Stamp;

fuzz_target!(|data: &[u8]| {
    let _ = DailySteps::decode(data);
    let _ = RawMotion::decode(data);
    let mut tracker = StepTracker::new();
    let mut utc: i64 = 1_772_290_800;
    for reading in data.chunks_exact(6) {
        let delta = i64::from(u16::from_le_bytes([reading[0], reading[1]])) * 7 - 20_000;
        utc += delta;
        let count = u32::from_le_bytes([reading[2], reading[3], reading[4], reading[5]]);
        if let Some(step_count) = tracker.observe(Stamp::new(utc, 9 * 3600), count) {
            assert!(step_count.steps > 0);
            assert!(step_count.duration_seconds >= 1);
            assert!(step_count.start.utc < utc);
        }
    }
});
