//! Syncing the simulated wearable through the real sync engine into a real
//! vault: checkpoints, resumption, and no partial batches.

use chrono::NaiveDate;
use phr_api::{ErrorCode, LinkFaults, Phr};

fn vault(dir: &std::path::Path) -> Phr {
    Phr::init(
        &dir.join("v.phr"),
        "sync test passphrase",
        "Sync Tester",
        "Asia/Tokyo",
    )
    .expect("init")
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
}

const NO_FAULTS: LinkFaults = LinkFaults {
    drop_after_notifications: None,
    corrupt_notification: None,
    clock_skew_millis: 0,
};

#[test]
fn a_second_sync_adds_nothing_and_a_later_one_brings_only_the_new_day() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut phr = vault(dir.path());
    let first = phr
        .sync_simulated(None, today(), 7, 3, NO_FAULTS, |_| {})
        .expect("sync");
    assert!(first.added > 7 * 144, "{first:?}");
    assert_eq!(
        first.battery_percent,
        Some(64),
        "the watch's battery was read"
    );
    assert_eq!(
        phr.device_summaries(None).expect("devices")[0].battery_percent,
        Some(64),
        "and is shown with the device"
    );
    assert!(
        first.clock_offset_seconds.is_some_and(|s| s.abs() < 1.0),
        "the clock was read: {first:?}"
    );
    let days = phr.days(None).expect("days");
    assert_eq!(days.len(), 7);

    let mut events = Vec::new();
    let second = phr
        .sync_simulated(None, today(), 7, 3, NO_FAULTS, |p| events.push(p))
        .expect("again");
    // After a checkpoint the records to come are bounded: progress has a total.
    let last = events.last().expect("progress");
    assert!(
        last.total.is_some_and(|t| t >= last.done && last.done > 0),
        "{events:?}"
    );
    assert_eq!(second.added, 0, "nothing past the checkpoint");
    assert!(
        second.unchanged < 40,
        "only the overlap hour came back: {second:?}"
    );
    assert!(!second.device_reset);

    let tomorrow = today().succ_opt().expect("date");
    let third = phr
        .sync_simulated(None, tomorrow, 7, 3, NO_FAULTS, |_| {})
        .expect("next day");
    assert!(
        third.added >= 144 && third.added < first.added / 3,
        "{third:?}"
    );
    assert!(third.unchanged < 40, "{third:?}");
    assert_eq!(phr.days(None).expect("days").len(), 8);
}

#[test]
fn a_failed_sync_stores_nothing_and_the_next_one_resumes() {
    for faults in [
        LinkFaults {
            drop_after_notifications: Some(200),
            ..NO_FAULTS
        },
        LinkFaults {
            corrupt_notification: Some(333),
            ..NO_FAULTS
        },
    ] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut phr = vault(dir.path());
        let err = phr
            .sync_simulated(None, today(), 5, 8, faults, |_| {})
            .expect_err("fails");
        assert_eq!(err.code, ErrorCode::Remote, "{err}");
        assert!(
            err.message.contains("Bangle.js (simulated 8)")
                && err.message.contains("nothing from this sync was stored"),
            "{err}"
        );
        assert!(
            phr.days(None).expect("days").is_empty(),
            "a broken batch left data"
        );
        let resumed = phr
            .sync_simulated(None, today(), 5, 8, NO_FAULTS, |_| {})
            .expect("resume");
        let reference = {
            let dir = tempfile::tempdir().expect("tmp");
            vault(dir.path())
                .sync_simulated(None, today(), 5, 8, NO_FAULTS, |_| {})
                .expect("clean")
        };
        assert_eq!(
            resumed.added, reference.added,
            "gap or duplicate after {faults:?}"
        );
        assert!(phr.verify().expect("verify").problems.is_empty());
    }
}

#[test]
fn a_reset_watch_is_read_again_and_nothing_stored_is_lost() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut phr = vault(dir.path());
    phr.sync_simulated(None, today(), 5, 4, NO_FAULTS, |_| {})
        .expect("sync");
    let before = phr.days(None).expect("days");
    // The same watch (seed) three days later holding only its last day, as
    // if its storage had been wiped: the record at the old checkpoint is gone.
    let later = today() + chrono::Days::new(3);
    let after = phr
        .sync_simulated(None, later, 1, 4, NO_FAULTS, |_| {})
        .expect("sync after reset");
    assert!(after.device_reset, "{after:?}");
    assert!(after.added > 0);
    let days = phr.days(None).expect("days");
    assert_eq!(
        days.len(),
        before.len() + 1,
        "old days kept, the new one added"
    );
    let audit = phr.audit_log().expect("audit");
    assert!(audit
        .iter()
        .any(|e| e.detail.contains("the watch had been reset")));
}

#[test]
fn a_watch_with_a_wrong_clock_stores_the_same_samples_and_says_by_how_much() {
    let right_dir = tempfile::tempdir().expect("tmp");
    let mut right = vault(right_dir.path());
    right
        .sync_simulated(None, today(), 3, 4, NO_FAULTS, |_| {})
        .expect("sync");
    let dir = tempfile::tempdir().expect("tmp");
    let mut phr = vault(dir.path());
    let skewed = LinkFaults {
        clock_skew_millis: -(23 * 60_000 + 17_000),
        ..NO_FAULTS
    };
    let summary = phr
        .sync_simulated(None, today(), 3, 4, skewed, |_| {})
        .expect("sync");
    let offset = summary.clock_offset_seconds.expect("offset");
    assert!((offset + 23.0 * 60.0 + 17.0).abs() < 1.0, "{summary:?}");
    let mut a = Vec::new();
    let mut b = Vec::new();
    right
        .export_csv(None, phr_api::CsvKind::Activity, &mut a)
        .expect("csv");
    phr.export_csv(None, phr_api::CsvKind::Activity, &mut b)
        .expect("csv");
    assert_eq!(a, b, "the same instants as from a watch with a right clock");
    let again = phr
        .sync_simulated(None, today(), 3, 4, skewed, |_| {})
        .expect("again");
    assert_eq!(again.added, 0, "{again:?}");
    assert!(!again.device_reset);
    let audit = phr.audit_log().expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.detail.contains("watch clock -1397.")),
        "{audit:?}"
    );
}

/// Through btleplug and the simulated BlueZ: progress counts the records
/// as they arrive, and once a checkpoint is stored it also knows about how
/// many are to come. (The only test here that touches the system bus
/// address, which is process-wide.)
#[test]
fn bluetooth_sync_reports_progress_with_a_total_after_a_checkpoint() {
    use phr_bluez_sim::{BluezSim, PrivateBus, SimulatedPeripheral};
    const WATCH: &str = "E4:3B:00:00:00:0C";
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let history = phr_wearables::history_from_lifelog(&phr_synth::generate(
        &phr_synth::Scenario::ordinary(7, today() - chrono::Days::new(2), 2, tokyo),
    ));
    let records = history.len() as u64;
    let (bus, _sim) = runtime.block_on(async {
        let bus = PrivateBus::start().await.expect("dbus-daemon");
        let sim = BluezSim::serve(
            bus.address(),
            vec![SimulatedPeripheral::banglejs(WATCH, history)],
        )
        .await
        .expect("simulated BlueZ");
        (bus, sim)
    });
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address());
    let dir = tempfile::tempdir().expect("tmp");
    let mut phr = vault(dir.path());
    phr.pair_device(None, WATCH, 2).expect("pair");

    let mut seen = Vec::new();
    let results = phr
        .sync_bluetooth_with_progress(None, Some(WATCH), 2, |address, p| {
            assert_eq!(address, WATCH);
            seen.push(p)
        })
        .expect("sync");
    assert!(results[0].1.is_ok(), "{results:?}");
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
    assert_eq!(seen.last().map(|p| p.done), Some(records));
    assert!(
        seen.iter().all(|p| p.total.is_none()),
        "no total before a checkpoint"
    );

    let mut again = Vec::new();
    phr.sync_bluetooth_with_progress(None, Some(WATCH), 2, |_, p| again.push(p))
        .expect("sync");
    let last = again.last().expect("progress");
    assert!(last.done >= 1, "the overlap comes again");
    assert!(last.total.is_some_and(|t| t >= last.done), "{last:?}");
    drop(runtime);
}
