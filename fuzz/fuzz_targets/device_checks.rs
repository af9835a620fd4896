//! What every device reader's recording must satisfy, shared by the
//! `import_*` device targets (included with `#[path]`).
use phr_import::ActivityRecording;

const ZONES: [chrono_tz::Tz; 3] = [
    chrono_tz::UTC,
    chrono_tz::Asia::Tokyo,
    chrono_tz::America::New_York,
];

/// A parsed recording is non-empty, within the epoch bound, its light (if
/// any) on the same grid, and its stored epochs strictly increasing.
pub fn check(recording: &ActivityRecording) {
    assert!(!recording.counts.is_empty());
    assert!(recording.counts.len() as u64 <= phr_import::MAX_EPOCHS);
    assert!(recording.epoch_seconds >= 1 && recording.epoch_seconds <= 86_400);
    assert!(recording
        .counts
        .iter()
        .flatten()
        .all(|c| c.is_finite() && *c >= 0.0));
    if let Some(light) = &recording.light {
        assert_eq!(light.len(), recording.counts.len());
        assert!(light.iter().flatten().all(|l| l.is_finite() && *l >= 0.0));
    }
    for zone in ZONES {
        if let Ok(epochs) = recording.epochs(zone) {
            assert!(epochs.windows(2).all(|w| w[0].at.utc < w[1].at.utc));
        }
    }
}
