//! PAMS: every byte string is split into characteristic values (first byte
//! of each chunk picks the length), reassembled and decoded as every record
//! kind; plus the unsegmented values and the mapping to samples.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_ble_protocols::pams::{self, Characteristic, Reassembler};
use phr_model::{Samples, Stamp};

fuzz_target!(|data: &[u8]| {
    let mut records = Vec::new();
    for characteristic in Characteristic::ALL {
        if let Ok(record) = pams::decode_record(characteristic, data) {
            records.push(record);
        }
    }
    // Mapping to samples keeps its invariants for any decodable record.
    let start = i64::from(u32::from_le_bytes([0, 0, 0x80, 0x69]));
    for batch in pams::to_samples(&records, start, |utc| Stamp::new(utc, 32_400)) {
        match batch {
            Samples::Steps(steps) => assert!(steps.iter().all(|s| s.duration_seconds >= 1)),
            Samples::Sleep(episodes) => assert!(episodes.iter().all(|e| e.start.utc < e.end.utc)),
            _ => {}
        }
    }
    let _ = pams::Features::decode(data);
    let _ = pams::ControlPointResponse::decode(data);
    let _ = pams::CurrentSession::decode(data);
    let _ = pams::SessionDescriptor::decode(data);
    let mut reassembler = Reassembler::new(Characteristic::StepCounterSummary);
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let take = usize::from(len % 24).min(tail.len());
        let (value, next) = tail.split_at(take);
        for record in reassembler.push(value).into_iter().flatten() {
            let _ = pams::decode_record(Characteristic::StepCounterSummary, &record);
            let _ = pams::SessionDescriptor::decode(&record);
        }
        rest = next;
    }
});
