//! Arbitrary bytes through the Fitbit / Google Takeout reader, as a steps,
//! heart-rate or sleep file (the first byte picks the kind and the zone).
//! What reads must hold the reader's invariants: at most one source, each
//! list sorted with one sample per instant, times in the plausible years,
//! minute steps, heart rate above 0 bpm, sleep episodes that end after they
//! start with stages in order that never overlap.
#![no_main]
use libfuzzer_sys::fuzz_target;
use phr_exports::fitbit::{looks_like_fitbit_json, parse_fitbit_json, SOURCE_KEY};
use phr_model::PLAUSIBLE_UTC;

fn check(data: &[u8], name: &str, zone: chrono_tz::Tz) {
    let Ok(export) = parse_fitbit_json(data, name, zone) else {
        return;
    };
    assert!(export.sources.len() <= 1);
    for source in &export.sources {
        assert_eq!(source.source.source_key, SOURCE_KEY);
        assert!(!source.is_empty());
        assert!(source
            .steps
            .windows(2)
            .all(|w| w[0].start.utc < w[1].start.utc));
        for step in &source.steps {
            assert_eq!(step.duration_seconds, 60);
            assert!(PLAUSIBLE_UTC.contains(&step.start.utc));
        }
        assert!(source
            .heart_rate
            .windows(2)
            .all(|w| w[0].at.utc < w[1].at.utc));
        for reading in &source.heart_rate {
            assert!(reading.bpm > 0);
            assert!(PLAUSIBLE_UTC.contains(&reading.at.utc));
        }
        assert!(source
            .sleep
            .windows(2)
            .all(|w| w[0].start.utc < w[1].start.utc));
        for episode in &source.sleep {
            assert!(episode.end.utc > episode.start.utc);
            assert!(PLAUSIBLE_UTC.contains(&episode.start.utc));
            assert!(PLAUSIBLE_UTC.contains(&episode.end.utc));
            assert_eq!(episode.method, "device");
            for span in &episode.stages {
                assert!(span.duration_seconds > 0);
            }
            for pair in episode.stages.windows(2) {
                let end = u64::from(pair[0].offset_seconds) + u64::from(pair[0].duration_seconds);
                assert!(end <= u64::from(pair[1].offset_seconds));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_fitbit_json(data);
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let name = match selector % 3 {
        0 => "steps-2020-01-02.json",
        1 => "heart_rate-2020-01-02.json",
        _ => "sleep-2020-01-02.json",
    };
    let zone = match (selector / 3) % 3 {
        0 => chrono_tz::UTC,
        1 => chrono_tz::America::New_York,
        _ => chrono_tz::Australia::Lord_Howe,
    };
    check(rest, name, zone);
});
