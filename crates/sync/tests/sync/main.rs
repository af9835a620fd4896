//! The sync engine against the in-process simulated Bangle.js.

use chrono::NaiveDate;
use phr_model::{SampleKind, Samples, Stamp};
use phr_sync::{
    fetch_history, history_from_lifelog, LinkError, LinkFaults, SimulatedLink, SyncError,
};
use std::time::Duration;

fn history(days: u32) -> Vec<serde_json::Value> {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let start = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    history_from_lifelog(&phr_synth::generate(&phr_synth::Scenario::ordinary(
        5, start, days, tokyo,
    )))
}

fn jst(utc: i64) -> Stamp {
    Stamp::new(utc, 9 * 3600)
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn kind(batch: &phr_sync::Batch, kind: SampleKind) -> usize {
    batch
        .samples
        .iter()
        .filter(|s| s.kind() == kind)
        .map(Samples::len)
        .sum()
}

const WAIT: Duration = Duration::from_secs(2);

#[test]
fn a_week_comes_over_whole_and_a_second_fetch_brings_nothing() {
    let records = history(7);
    assert_eq!(records.len(), 7 * 144);
    let mut link = SimulatedLink::new("Bangle.js sim", records.clone(), LinkFaults::default());
    let batch = run(fetch_history(&mut link, None, WAIT, jst, |_| {})).expect("fetch");
    assert_eq!(batch.records, records.len());
    let last = records.last().and_then(|r| r["ts"].as_i64());
    assert_eq!(batch.checkpoint, last);
    assert_eq!(kind(&batch, SampleKind::Activity), records.len());
    assert!(kind(&batch, SampleKind::Steps) > 0 && kind(&batch, SampleKind::HeartRate) > 0);
    assert_eq!(kind(&batch, SampleKind::Sleep), 6, "one episode per night");
    assert!(batch.bytes > 50_000);

    let again = run(fetch_history(
        &mut link,
        batch.checkpoint,
        WAIT,
        jst,
        |_| {},
    ))
    .expect("fetch");
    assert_eq!((again.records, again.checkpoint), (0, batch.checkpoint));
    assert!(again.samples.is_empty());
}

#[test]
fn a_dropped_link_yields_nothing_and_the_next_fetch_resumes_from_the_checkpoint() {
    let records = history(3);
    for drop_after in [0, 1, 37, 500] {
        let faults = LinkFaults {
            drop_after_notifications: Some(drop_after),
            ..LinkFaults::default()
        };
        let mut link = SimulatedLink::new("Bangle.js sim", records.clone(), faults);
        let err = run(fetch_history(&mut link, None, WAIT, jst, |_| {})).expect_err("dropped");
        let message = err.to_string();
        assert!(
            matches!(
                err,
                SyncError::Link {
                    source: LinkError::Disconnected,
                    ..
                }
            ),
            "{message}"
        );
        assert!(
            message.contains("Bangle.js sim") && message.contains("UART RX"),
            "{message}"
        );
        link.reconnect();
        let batch = run(fetch_history(&mut link, None, WAIT, jst, |_| {})).expect("resumed");
        assert_eq!(batch.records, records.len(), "drop after {drop_after}");
    }
}

#[test]
fn a_corrupted_notification_is_an_error_naming_device_and_characteristic() {
    let records = history(2);
    let faults = LinkFaults {
        corrupt_notification: Some(40),
        ..LinkFaults::default()
    };
    let mut link = SimulatedLink::new("Bangle.js sim", records.clone(), faults);
    let err = run(fetch_history(&mut link, None, WAIT, jst, |_| {})).expect_err("corrupt");
    assert!(matches!(err, SyncError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("Bangle.js sim, 6e400003"), "{err}");
    link.reconnect();
    assert_eq!(
        run(fetch_history(&mut link, None, WAIT, jst, |_| {}))
            .expect("retry")
            .records,
        records.len()
    );
}

#[test]
fn a_silent_watch_times_out() {
    let mut link = SimulatedLink::new(
        "quiet",
        Vec::new(),
        LinkFaults {
            drop_after_notifications: None,
            corrupt_notification: None,
        },
    );
    // Swallow the start/end lines: a watch that answers nothing.
    link.set_history(Vec::new());
    let mut silent = Silent(link);
    let err = run(fetch_history(
        &mut silent,
        None,
        Duration::from_millis(50),
        jst,
        |_| {},
    ))
    .expect_err("timeout");
    assert!(
        matches!(
            err,
            SyncError::Link {
                source: LinkError::Timeout(_),
                ..
            }
        ),
        "{err}"
    );
}

/// A link whose watch never answers.
struct Silent(SimulatedLink);

impl phr_sync::UartLink for Silent {
    fn device(&self) -> &str {
        self.0.device()
    }
    async fn send(&mut self, _bytes: &[u8]) -> Result<(), LinkError> {
        Ok(())
    }
    async fn receive(&mut self) -> Result<Vec<u8>, LinkError> {
        self.0.receive().await
    }
}
