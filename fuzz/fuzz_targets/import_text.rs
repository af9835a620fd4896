//! The text importers people feed their own files to: minute CSV and
//! Actiwatch AWD, parsed in zones with and without daylight saving, then
//! laid on the analysis grid and turned into stored samples.
#![no_main]
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use phr_import::{detect_format, parse_awd, parse_minute_csv, read_minute_csv_recording};

const ZONES: [Tz; 3] = [
    chrono_tz::UTC,
    chrono_tz::Asia::Tokyo,
    chrono_tz::America::New_York,
];

fuzz_target!(|data: &[u8]| {
    let _ = detect_format("input", data);
    if let Ok(recording) = parse_awd(data, "input", |_| {}) {
        assert!(!recording.counts.is_empty());
        for zone in ZONES {
            if let Ok(epochs) = recording.epochs(zone) {
                assert!(epochs.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
            }
            let _ = recording.step_counts(zone);
        }
    }
    for zone in ZONES {
        // Read straight onto the grid: the same recording, or the same error.
        let direct = read_minute_csv_recording(data, "input", zone, |_| {}, data.len() as u64);
        let csv = match (parse_minute_csv(data, "input", zone, |_| {}), direct) {
            (Ok(csv), Ok(direct)) => {
                assert_eq!(csv.clone().into_recording(), direct);
                csv
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string());
                continue;
            }
            (a, b) => panic!("the list gave {a:?}, the grid {b:?}"),
        };
        // Strictly increasing, all on one epoch length, inside what was listed.
        assert!(!csv.epochs.is_empty());
        assert!(csv.epochs.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
        let epoch = csv.epochs[0].epoch_seconds;
        assert!(epoch > 0 && csv.epochs.iter().all(|e| e.epoch_seconds == epoch));
        let (first, last) = csv.listed.expect("rows were listed");
        assert!(
            first.utc <= csv.epochs[0].at.utc
                && csv.epochs[csv.epochs.len() - 1].at.utc <= last.utc
        );
        // On the grid every counted epoch has its own slot.
        let n = csv.epochs.len();
        let grid = csv.into_recording();
        assert_eq!(grid.counts.iter().filter(|c| c.is_some()).count(), n);
    }
});
