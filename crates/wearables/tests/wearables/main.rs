//! The sync engine against the in-process simulated Bangle.js.

use chrono::NaiveDate;
use phr_model::{SampleKind, Samples, Stamp};
use phr_wearables::{
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

fn kind(batch: &phr_wearables::Batch, kind: SampleKind) -> usize {
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
    // Only the hour of overlap before the checkpoint comes back.
    assert_eq!(
        (again.records, again.checkpoint, again.device_reset),
        (7, batch.checkpoint, false)
    );
}

#[test]
fn a_watch_whose_storage_was_reset_is_detected_and_read_again_whole() {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
    let history_from = |start, days| {
        history_from_lifelog(&phr_synth::generate(&phr_synth::Scenario::ordinary(
            5, start, days, tokyo,
        )))
    };
    let mut link = SimulatedLink::new("Bangle.js sim", history(3), LinkFaults::default());
    let first = run(fetch_history(&mut link, None, WAIT, jst, |_| {})).expect("fetch");
    // Reset: the watch now holds only one later day.
    let after_reset = history_from(day(10), 1);
    link.set_history(after_reset.clone());
    let batch = run(fetch_history(
        &mut link,
        first.checkpoint,
        WAIT,
        jst,
        |_| {},
    ))
    .expect("fetch");
    assert!(batch.device_reset);
    assert_eq!(batch.records, after_reset.len());
    assert_eq!(
        batch.checkpoint,
        after_reset.last().and_then(|r| r["ts"].as_i64())
    );
    // A watch whose clock went back behind the checkpoint is read whole too.
    let back = history_from(NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"), 1);
    link.set_history(back.clone());
    let batch = run(fetch_history(
        &mut link,
        batch.checkpoint,
        WAIT,
        jst,
        |_| {},
    ))
    .expect("fetch");
    assert!(batch.device_reset);
    assert_eq!(batch.records, back.len());
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
    let mut link = SimulatedLink::new("quiet", Vec::new(), LinkFaults::default());
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

impl phr_wearables::UartLink for Silent {
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

/// Garbles notification `index` the way the BlueZ simulator does (drop the
/// last byte, XOR the rest with 0xA5) and runs the whole exchange through
/// the engine's decoding: true if the damage was detected.
fn garbling_detected(notes: &[Vec<u8>], index: usize) -> bool {
    use phr_ble_protocols::banglejs::{self, HistoryFetch, LineAssembler};
    let mut notes = notes.to_vec();
    notes[index].pop();
    notes[index].iter_mut().for_each(|b| *b ^= 0xA5);
    let mut lines = LineAssembler::new(64 * 1024);
    let mut fetch = HistoryFetch::new();
    for n in &notes {
        for line in lines.push(n) {
            let Ok(line) = line else { return true };
            match banglejs::parse_line(&line) {
                Ok(Some(message)) => {
                    if fetch.observe(&message).is_err() {
                        return true;
                    }
                }
                Ok(None) => {}
                Err(_) => return true,
            }
        }
    }
    !fetch.is_finished()
}

#[test]
fn garbling_any_single_notification_of_a_day_is_detected() {
    use phr_ble_protocols::banglejs::{self, SimulatedWatch};
    let mut watch = SimulatedWatch::new(history(1));
    let notes = watch.write(&banglejs::fetch_request(0));
    assert!(notes.len() > 500);
    let missed: Vec<usize> = (0..notes.len())
        .filter(|&i| !garbling_detected(&notes, i))
        .collect();
    assert!(
        missed.is_empty(),
        "undetected garbled notifications: {missed:?}"
    );
}

/// A watch whose clock is off stamps its records in its own time; the sync
/// reads the clock, records the offset and puts every sample back at the
/// instant it happened (the same as from a watch with a right clock), and
/// the checkpoint stays in the watch's time so the next fetch still finds it.
#[test]
fn a_wrong_watch_clock_is_read_and_corrected() {
    use phr_wearables::{fetch_history_corrected, host_millis, read_clock};
    let truth = history(2);
    let right = run(fetch_history(
        &mut SimulatedLink::new("right", truth.clone(), LinkFaults::default()),
        None,
        WAIT,
        jst,
        |_| {},
    ))
    .expect("fetch");
    for skew in [7 * 60_000_i64, -3 * 60_000, 95 * 60_000] {
        let faults = LinkFaults {
            clock_skew_millis: skew,
            ..LinkFaults::default()
        };
        // The skewed watch stamps its records in its own time.
        let mut link = SimulatedLink::new("skewed", truth.clone(), faults);
        let clock = run(read_clock(&mut link, WAIT, host_millis)).expect("clock");
        assert!(
            (clock.offset_millis - skew).abs() <= clock.round_trip_millis + 50,
            "{skew}: {clock:?}"
        );
        let batch = run(fetch_history_corrected(
            &mut link,
            None,
            Some(clock.offset_millis),
            WAIT,
            jst,
            |_| {},
        ))
        .expect("fetch");
        assert_eq!(batch.samples, right.samples, "skew {skew} ms corrected");
        assert_eq!(batch.clock_offset_millis, Some(clock.offset_millis));
        let newest = truth
            .last()
            .and_then(|r| r["ts"].as_i64())
            .map(|t| t + skew);
        assert_eq!(batch.checkpoint, newest, "checkpoint in the watch's time");
        let again = run(fetch_history_corrected(
            &mut link,
            batch.checkpoint,
            Some(clock.offset_millis),
            WAIT,
            jst,
            |_| {},
        ))
        .expect("again");
        assert!(!again.device_reset, "the checkpoint is found again");
    }
}

/// Two weeks synced at once: every night has its main sleep, not only the
/// longest night of the batch.
#[test]
fn each_night_of_a_long_batch_has_its_main_sleep() {
    let mut link = SimulatedLink::new("Bangle.js sim", history(14), LinkFaults::default());
    let batch = run(fetch_history(&mut link, None, WAIT, jst, |_| {})).expect("fetch");
    let sleep: Vec<&phr_model::SleepEpisode> = batch
        .samples
        .iter()
        .filter_map(|s| match s {
            Samples::Sleep(v) => Some(v),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(sleep.len(), 13, "one episode per night");
    assert_eq!(sleep.iter().filter(|e| e.is_main).count(), 13);
}
