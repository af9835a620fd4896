//! PAMS: every byte string is split into characteristic values (first byte
//! of each chunk picks the length), reassembled and decoded as every record
//! kind; plus the unsegmented values.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_ble_protocols::pams::{self, Characteristic, Reassembler};

fuzz_target!(|data: &[u8]| {
    for characteristic in Characteristic::ALL {
        let _ = pams::decode_record(characteristic, data);
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
