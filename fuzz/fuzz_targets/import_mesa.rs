//! Arbitrary bytes through the reader of MESA CSV files; what parses must hold
//! the invariants of `device_checks`.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "device_checks.rs"]
mod device_checks;

fuzz_target!(|data: &[u8]| {
    let _ = phr_import::detect_format("input", data);
    if let Ok(recording) = phr_import::parse_mesa(data, "input", |_| {}) {
        device_checks::check(&recording);
    }
});
