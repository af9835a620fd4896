//! Arbitrary bytes through the Garmin FIT reader: as they are, and wrapped
//! in a FIT header and a right CRC so that the messages themselves are
//! exercised. What reads must hold the reader's invariants: sources with
//! samples, each list sorted with one sample per instant, heart rate in
//! 20..=250, step intervals at least a second long, sleep episodes apart
//! with their stages inside them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_exports::garmin_fit::parse_fit;
use std::ops::ControlFlow;

/// The FIT CRC-16.
fn fit_crc(data: &[u8]) -> u16 {
    const TABLE: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    let mut crc = 0u16;
    for &byte in data {
        for nibble in [byte & 0xF, byte >> 4] {
            let tmp = TABLE[usize::from(crc & 0xF)];
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ TABLE[usize::from(nibble)];
        }
    }
    crc
}

fn check(data: &[u8]) {
    for zone in [chrono_tz::UTC, chrono_tz::America::Chicago] {
        let Ok(export) = parse_fit(data, "input", zone, &mut |_| ControlFlow::Continue(())) else {
            continue;
        };
        for source in &export.sources {
            assert!(!source.is_empty());
            assert!(
                source.source.source_key.starts_with("garmin:")
                    || source.source.source_key.starts_with("fit-")
            );
            assert!(source
                .steps
                .windows(2)
                .all(|w| w[0].start.utc < w[1].start.utc));
            assert!(source
                .steps
                .iter()
                .all(|s| s.duration_seconds >= 1 && s.steps > 0));
            assert!(source
                .heart_rate
                .windows(2)
                .all(|w| w[0].at.utc < w[1].at.utc));
            assert!(source
                .heart_rate
                .iter()
                .all(|h| (20..=250).contains(&h.bpm)));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut file = vec![14, 0x10, 0x54, 0x08];
    file.extend_from_slice(&(data.len() as u32).to_le_bytes());
    file.extend_from_slice(b".FIT\0\0");
    file.extend_from_slice(data);
    let crc = fit_crc(&file);
    file.extend_from_slice(&crc.to_le_bytes());
    check(&file);
});
