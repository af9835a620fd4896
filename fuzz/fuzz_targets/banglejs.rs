//! Bangle.js: 20-byte chunks through the line assembler, every line parsed,
//! records collected and mapped to samples.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_ble_protocols::banglejs::{self, HistoryFetch, LineAssembler, WatchMessage};
use phr_model::Stamp;

fuzz_target!(|data: &[u8]| {
    let mut assembler = LineAssembler::new(512);
    let mut fetch = HistoryFetch::new();
    for chunk in data.chunks(20) {
        for line in assembler.push(chunk).into_iter().flatten() {
            if let Ok(Some(message)) = banglejs::parse_line(&line) {
                let _ = fetch.observe(&message);
                if let WatchMessage::Other(_) = message {}
            }
        }
    }
    let _ = banglejs::to_samples(fetch.records(), 600, |utc| Stamp::new(utc, 0));
});
