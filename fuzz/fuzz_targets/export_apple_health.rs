//! Arbitrary bytes through the Apple Health export.xml reader: it must not
//! panic, and what parses must hold the reader's promises (each source's
//! lists sorted with one sample per instant, sleep episodes that end after
//! they start, stages inside their episode).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;

fuzz_target!(|data: &[u8]| {
    let _ = phr_exports::apple_health::looks_like_apple_health_xml(data);
    let Ok(export) = phr_exports::apple_health::parse_apple_health_xml(
        data,
        "input",
        chrono_tz::Asia::Tokyo,
        &mut |_| ControlFlow::Continue(()),
    ) else {
        return;
    };
    for source in &export.sources {
        assert!(source.steps.windows(2).all(|w| w[0].start.utc < w[1].start.utc));
        assert!(source.steps.iter().all(|s| s.duration_seconds > 0));
        assert!(source.heart_rate.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
        for episode in &source.sleep {
            assert!(episode.end.utc > episode.start.utc);
            let length = (episode.end.utc - episode.start.utc) as u64;
            for stage in &episode.stages {
                assert!(u64::from(stage.offset_seconds) + u64::from(stage.duration_seconds) <= length);
            }
        }
    }
});
