//! `phr devices`: a real btleplug scan against the simulated BlueZ peer on a
//! private D-Bus bus, and the sources listed from the vault.

use super::*;
use phr_bluez_sim::{BluezSim, PrivateBus, SimulatedPeripheral};

#[test]
fn scan_finds_the_simulated_wearables_through_bluez() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (bus, _sim) = runtime.block_on(async {
        let bus = PrivateBus::start()
            .await
            .expect("dbus-daemon (install the `dbus` package)");
        let (pinetime, _steps) = SimulatedPeripheral::pinetime("C7:5A:10:00:00:01");
        let bangle = SimulatedPeripheral::banglejs("E4:3B:00:00:00:02", Vec::new());
        let sim = BluezSim::serve(bus.address(), vec![pinetime, bangle])
            .await
            .expect("simulated BlueZ");
        (bus, sim)
    });
    let out = ok(Command::new(env!("CARGO_BIN_EXE_phr"))
        .env("DBUS_SYSTEM_BUS_ADDRESS", bus.address())
        .args(["--json", "devices", "scan", "--seconds", "2"]));
    let found: serde_json::Value = serde_json::from_str(&out).expect("json");
    let mut summary: Vec<(String, String)> = found
        .as_array()
        .expect("array")
        .iter()
        .map(|d| {
            (
                d["address"].as_str().expect("address").to_string(),
                d["protocols"][0].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    summary.sort();
    assert_eq!(
        summary,
        vec![
            ("C7:5A:10:00:00:01".to_string(), "infinitime".to_string()),
            ("E4:3B:00:00:00:02".to_string(), "banglejs".to_string())
        ]
    );
    drop(runtime);
}

#[test]
fn without_bluez_the_scan_fails_clearly_and_list_shows_vault_sources() {
    let out = run(Command::new(env!("CARGO_BIN_EXE_phr"))
        .env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["devices", "scan", "--seconds", "1"]));
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--simulated"));

    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    ok(phr(&vault).args(["sync", "--simulated", "--days", "1"]));
    let devices: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "devices", "list"]))).expect("json");
    assert_eq!(devices[0]["model"], "Bangle.js 2");
    assert!(ok(phr(&vault).args(["devices", "list"])).contains("Bangle.js (simulated 1)"));
}

const BANGLE_A: &str = "E4:3B:00:00:00:0A";
const BANGLE_B: &str = "E4:3B:00:00:00:0B";

fn bangle_history(seed: u64, days: u32) -> Vec<serde_json::Value> {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let start = date(2026, 5, 1);
    phr_wearables::history_from_lifelog(&phr_synth::generate(&phr_synth::Scenario::ordinary(
        seed, start, days, tokyo,
    )))
}

/// A private bus with a simulated BlueZ serving two Bangle.js watches.
struct Bluez {
    runtime: tokio::runtime::Runtime,
    bus: PrivateBus,
    sim: BluezSim,
}

impl Bluez {
    /// Two watches, A and B, holding two days each.
    fn start() -> Bluez {
        Bluez::serving(vec![
            (BANGLE_A, bangle_history(1, 2)),
            (BANGLE_B, bangle_history(2, 2)),
        ])
    }

    /// Bangle.js watches at these addresses holding these histories.
    fn serving(watches: Vec<(&str, Vec<serde_json::Value>)>) -> Bluez {
        Bluez::with(
            watches
                .into_iter()
                .map(|(address, history)| SimulatedPeripheral::banglejs(address, history))
                .collect(),
        )
    }

    /// Any simulated peripherals.
    fn with(peripherals: Vec<SimulatedPeripheral>) -> Bluez {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (bus, sim) = runtime.block_on(async {
            let bus = PrivateBus::start().await.expect("dbus-daemon");
            let sim = BluezSim::serve(bus.address(), peripherals)
                .await
                .expect("simulated BlueZ");
            (bus, sim)
        });
        Bluez { runtime, bus, sim }
    }

    /// `phr` on this bus with these arguments.
    fn args(&self, vault: &Path, args: &[&str]) -> Command {
        let mut cmd = self.phr(vault);
        cmd.args(args);
        cmd
    }

    fn phr(&self, vault: &Path) -> Command {
        let mut cmd = phr(vault);
        cmd.env("DBUS_SYSTEM_BUS_ADDRESS", self.bus.address());
        cmd
    }

    fn faults(&self, address: &str, faults: phr_bluez_sim::Faults) {
        self.sim.set_faults(address, faults).expect("faults");
    }
}

/// The sum of one field of `phr days --json` over every day.
fn day_total(vault: &Path, field: &str) -> u64 {
    let days: serde_json::Value =
        serde_json::from_str(&ok(phr(vault).args(["--json", "days"]))).expect("json");
    days.as_array()
        .expect("days")
        .iter()
        .map(|d| d[field].as_u64().unwrap_or(0))
        .sum()
}

fn sync_rows(out: &str) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(out)
        .expect("json")
        .as_array()
        .expect("rows")
        .clone()
}

#[test]
fn bluetooth_sync_stores_each_batch_once_and_resumes_after_a_drop() {
    let bluez = Bluez::start();
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    ok(bluez
        .phr(&vault)
        .args(["devices", "pair", BANGLE_A, "--seconds", "2"]));
    ok(bluez
        .phr(&vault)
        .args(["devices", "pair", BANGLE_B, "--seconds", "2"]));

    // The link to B drops mid-transfer: A is stored, B stores nothing.
    bluez.faults(
        BANGLE_B,
        phr_bluez_sim::Faults {
            drop_link_after: Some(120),
            ..Default::default()
        },
    );
    let out = run(bluez
        .phr(&vault)
        .args(["--json", "sync", "--scan-seconds", "2"]));
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = sync_rows(&String::from_utf8_lossy(&out.stdout));
    let row = |address: &str| {
        rows.iter()
            .find(|r| r["address"] == address)
            .expect("row")
            .clone()
    };
    assert_eq!(row(BANGLE_A)["ok"], true);
    let a_added = row(BANGLE_A)["sync"]["added"].as_u64().expect("added");
    assert!(a_added > 2 * 144, "{rows:?}");
    assert_eq!(row(BANGLE_B)["ok"], false);
    let devices: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "devices", "list"]))).expect("json");
    assert_eq!(
        devices.as_array().expect("devices").len(),
        1,
        "nothing of B may be stored"
    );

    // Next sync: B comes over whole, A has nothing new.
    let rows = sync_rows(&ok(bluez.phr(&vault).args([
        "--json",
        "sync",
        "--scan-seconds",
        "2",
    ])));
    let row = |address: &str| {
        rows.iter()
            .find(|r| r["address"] == address)
            .expect("row")
            .clone()
    };
    assert_eq!(row(BANGLE_A)["sync"]["added"], 0);
    assert!(row(BANGLE_B)["sync"]["added"].as_u64().expect("added") > 2 * 144);
    assert_eq!(
        row(BANGLE_B)["sync"]["unchanged"],
        0,
        "nothing of B was stored before"
    );

    // And again: nothing new anywhere.
    let rows = sync_rows(&ok(bluez.phr(&vault).args([
        "--json",
        "sync",
        "--scan-seconds",
        "2",
    ])));
    assert!(rows.iter().all(|r| r["sync"]["added"] == 0), "{rows:?}");
    drop(bluez.runtime);
}

#[test]
fn a_corrupted_notification_fails_that_sync_only_and_the_next_recovers() {
    let bluez = Bluez::start();
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    ok(bluez
        .phr(&vault)
        .args(["devices", "pair", BANGLE_A, "--seconds", "2"]));
    bluez.faults(
        BANGLE_A,
        phr_bluez_sim::Faults {
            corrupt_notifications: vec![60],
            ..Default::default()
        },
    );
    let out = run(bluez
        .phr(&vault)
        .args(["sync", "--device", BANGLE_A, "--scan-seconds", "2"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(6),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("UART RX") && stderr.contains("nothing from this sync was stored"),
        "{stderr}"
    );
    assert_eq!(ok(phr(&vault).args(["--json", "days"])).trim(), "[]");
    bluez.faults(BANGLE_A, phr_bluez_sim::Faults::default());
    let rows = sync_rows(&ok(bluez.phr(&vault).args([
        "--json",
        "sync",
        "--device",
        BANGLE_A,
        "--scan-seconds",
        "2",
    ])));
    assert!(rows[0]["sync"]["added"].as_u64().expect("added") > 2 * 144);
    let not_paired = run(bluez
        .phr(&vault)
        .args(["sync", "--device", "AA:BB:CC:DD:EE:FF"]));
    assert!(String::from_utf8_lossy(&not_paired.stderr).contains("is not paired"));
    drop(bluez.runtime);
}

#[test]
fn seven_days_come_over_bluetooth_whole_and_only_once() {
    let history = bangle_history(3, 7);
    // What the watch holds, per local day (Asia/Tokyo, the vault's zone).
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
    for record in &history {
        let ms = record["ts"].as_i64().expect("ts");
        let day = chrono::DateTime::from_timestamp_millis(ms)
            .expect("instant")
            .with_timezone(&tokyo)
            .date_naive()
            .to_string();
        *expected.entry(day).or_default() += record["stp"].as_u64().unwrap_or(0);
    }
    assert_eq!(expected.len(), 7);

    let bluez = Bluez::serving(vec![(BANGLE_A, history)]);
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    ok(bluez
        .phr(&vault)
        .args(["devices", "pair", BANGLE_A, "--seconds", "2"]));
    let rows = sync_rows(&ok(bluez.phr(&vault).args([
        "--json",
        "sync",
        "--device",
        BANGLE_A,
        "--scan-seconds",
        "2",
    ])));
    let sync = &rows[0]["sync"];
    assert!(sync["added"].as_u64().expect("added") > 7 * 144, "{sync}");
    assert_eq!(sync["days"][0], "2026-05-01");
    assert_eq!(sync["days"][1], "2026-05-07");
    let timing = &sync["timing_ms"];
    for part in ["link", "decode", "store"] {
        assert!(timing[part].as_f64().expect("timing") > 0.0, "{timing}");
    }
    // The split, for docs/benchmarks.md (printed, not asserted).
    eprintln!("7 days over the simulated BlueZ: {timing}");

    let days: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "days"]))).expect("json");
    let stored: std::collections::BTreeMap<String, u64> = days
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (
                d["date"].as_str().expect("date").to_string(),
                d["steps"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(stored, expected, "every step of every day, none twice");

    let again = sync_rows(&ok(bluez.phr(&vault).args([
        "--json",
        "sync",
        "--device",
        BANGLE_A,
        "--scan-seconds",
        "2",
    ])));
    assert_eq!(again[0]["sync"]["added"], 0, "{again:?}");
    drop(bluez.runtime);
}

#[test]
fn live_heart_rate_is_shown_and_stored_and_a_watch_without_it_is_told_so() {
    const PINETIME: &str = "C7:5A:10:00:00:01";
    let (pinetime, _steps) = SimulatedPeripheral::pinetime(PINETIME);
    let bluez = Bluez::with(vec![
        pinetime,
        SimulatedPeripheral::banglejs(BANGLE_A, Vec::new()),
    ]);
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let with_bus = |args: &[&str]| bluez.args(&vault, args);

    // The simulated sensor reports once a second, five readings.
    let text = ok(&mut with_bus(&[
        "devices",
        "heart-rate",
        PINETIME,
        "--seconds",
        "7",
    ]));
    assert!(text.contains(" 68 bpm  RR 882 ms"), "{text}");
    assert!(
        text.contains("InfiniTime: 5 reading(s), 5 stored."),
        "{text}"
    );

    let session: serde_json::Value = serde_json::from_str(&ok(&mut with_bus(&[
        "--json",
        "devices",
        "heart-rate",
        PINETIME,
        "--seconds",
        "7",
    ])))
    .expect("json");
    let bpm: Vec<u64> = session["readings"]
        .as_array()
        .expect("readings")
        .iter()
        .map(|r| r["bpm"].as_u64().expect("bpm"))
        .collect();
    assert_eq!(bpm, vec![68, 69, 70, 71, 72]);
    assert_eq!(session["readings"][0]["contact"], true);
    assert_eq!(
        session["added"], 5,
        "a second session adds its own readings"
    );
    assert!(session["readings"][0]["at"]
        .as_str()
        .expect("at")
        .ends_with("+09:00"));

    let devices: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "devices", "list"]))).expect("json");
    assert_eq!(devices.as_array().expect("devices").len(), 1, "{devices}");
    assert_eq!(devices[0]["model"], "PineTime");
    assert_eq!(devices[0]["manufacturer"], "PINE64");
    assert_eq!(
        devices[0]["battery_percent"], 87,
        "the battery is read while listening: {devices}"
    );
    assert!(devices[0]["last_sync_utc"].is_i64(), "{devices}");
    let list = ok(phr(&vault).args(["devices", "list"]));
    assert!(list.contains("PineTime") && list.contains("87 %"), "{list}");

    // A garbled reading ends the session with a clear error; none of its
    // readings are stored.
    bluez.faults(
        PINETIME,
        phr_bluez_sim::Faults {
            corrupt_notifications: vec![2],
            ..Default::default()
        },
    );
    let out = run(&mut with_bus(&[
        "devices",
        "heart-rate",
        PINETIME,
        "--seconds",
        "7",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("InfiniTime: Heart Rate Measurement")
            && stderr.contains("nothing from this session was stored"),
        "{stderr}"
    );
    let audit = ok(phr(&vault).args(["--json", "audit"]));
    assert_eq!(
        audit.matches("live heart-rate readings").count(),
        2,
        "{audit}"
    );

    let out = run(&mut with_bus(&[
        "devices",
        "heart-rate",
        BANGLE_A,
        "--seconds",
        "1",
    ]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no Heart Rate service"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(bluez.runtime);
}

#[test]
fn a_watch_that_requires_bonding_is_bonded_when_paired_and_then_syncs() {
    let bluez = Bluez::with(vec![
        SimulatedPeripheral::banglejs(BANGLE_A, bangle_history(4, 1)).bonding_required(),
        SimulatedPeripheral::banglejs(BANGLE_B, bangle_history(5, 1)),
    ]);
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let with_bus = |args: &[&str]| bluez.args(&vault, args);
    let text = ok(&mut with_bus(&[
        "devices",
        "pair",
        BANGLE_A,
        "--seconds",
        "2",
    ]));
    assert!(text.contains("bonded as it asked"), "{text}");
    let open: serde_json::Value = serde_json::from_str(&ok(&mut with_bus(&[
        "--json",
        "devices",
        "pair",
        BANGLE_B,
        "--seconds",
        "2",
    ])))
    .expect("json");
    assert_eq!(
        open["bonded"], false,
        "a watch that does not ask is not bonded"
    );

    let rows = sync_rows(&ok(&mut with_bus(&[
        "--json",
        "sync",
        "--device",
        BANGLE_A,
        "--scan-seconds",
        "2",
    ])));
    assert!(
        rows[0]["sync"]["added"].as_u64().expect("added") > 144,
        "{rows:?}"
    );
    drop(bluez.runtime);
}

#[test]
fn an_infinitime_watch_syncs_its_step_counter_without_double_counting() {
    const PINETIME: &str = "C7:5A:10:00:00:07";
    let (pinetime, counter) = SimulatedPeripheral::pinetime(PINETIME);
    let bluez = Bluez::with(vec![pinetime]);
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let with_bus = |args: &[&str]| bluez.args(&vault, args);
    let sync = || {
        let rows = sync_rows(&ok(&mut with_bus(&[
            "--json",
            "sync",
            "--device",
            PINETIME,
            "--scan-seconds",
            "2",
        ])));
        assert_eq!(rows[0]["ok"], true, "{rows:?}");
        rows[0]["sync"].clone()
    };
    let paired: serde_json::Value = serde_json::from_str(&ok(&mut with_bus(&[
        "--json",
        "devices",
        "pair",
        PINETIME,
        "--seconds",
        "2",
    ])))
    .expect("json");
    assert_eq!(paired["protocols"][0], "infinitime");

    // The first reading is the baseline: the watch's 1,000 steps may have
    // been counted elsewhere already. Its clock (months behind) is set.
    let first = sync();
    assert_eq!(first["added"], 0, "{first}");
    assert_eq!(first["battery_percent"], 87, "{first}");
    assert!(
        first["clock_offset_seconds"].as_f64().expect("offset") < -86_400.0,
        "{first}"
    );
    let audit = ok(phr(&vault).args(["--json", "audit"]));
    assert!(audit.contains("watch clock set"), "{audit}");

    counter.set(1_250);
    assert_eq!(sync()["added"], 1);
    assert_eq!(day_total(&vault, "steps"), 250);
    // Nothing new: nothing added, nothing counted twice.
    assert_eq!(sync()["added"], 0);
    assert_eq!(day_total(&vault, "steps"), 250);
    // The watch rebooted and counts from zero again.
    counter.set(40);
    assert_eq!(sync()["added"], 1);
    assert_eq!(day_total(&vault, "steps"), 290);
    drop(bluez.runtime);
}

/// Three hours of one night of a simulated wearer as a PAMS monitor's
/// sessions, one an hour, numbered from 1.
fn monitor_sessions() -> Vec<phr_ble_protocols::pams::MonitorSession> {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let mut log = phr_synth::generate(&phr_synth::Scenario::ordinary(
        5,
        date(2026, 5, 1),
        2,
        tokyo,
    ));
    // 2026-05-02 01:00 to 04:00 in Tokyo: asleep, with some steps before.
    let (from, to) = (1_777_651_200, 1_777_662_000);
    log.activity.retain(|e| (from..to).contains(&e.at.utc));
    log.steps.retain(|s| (from..to).contains(&s.start.utc));
    log.heart_rate.retain(|h| (from..to).contains(&h.at.utc));
    phr_wearables::pams_sessions_from_lifelog(&log, 1, 3600, tokyo)
}

#[test]
fn a_pams_activity_monitor_pairs_and_syncs_ended_sessions_once() {
    const MONITOR: &str = "D1:7A:00:00:00:0C";
    let sessions = monitor_sessions();
    assert_eq!(sessions.len(), 3);
    let monitor = phr_ble_protocols::pams::SimulatedMonitor::new(sessions.clone(), 20)
        .with_running_session(3);
    let (peripheral, handle) = SimulatedPeripheral::activity_monitor(MONITOR, monitor);
    let bluez = Bluez::with(vec![peripheral]);
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    let sync = || {
        run(bluez
            .phr(&vault)
            .args(["--json", "sync", "--device", MONITOR, "--scan-seconds", "2"]))
    };
    let paired: serde_json::Value = serde_json::from_str(&ok(bluez.phr(&vault).args([
        "--json",
        "devices",
        "pair",
        MONITOR,
        "--seconds",
        "2",
    ])))
    .expect("json");
    assert_eq!(paired["protocols"][0], "pams", "{paired}");

    // A damaged notification: that sync fails and stores nothing.
    bluez.faults(
        MONITOR,
        phr_bluez_sim::Faults {
            corrupt_notifications: vec![4],
            ..Default::default()
        },
    );
    let failed = sync();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("nothing from this sync was stored"),
        "{stderr}"
    );
    assert_eq!(day_total(&vault, "samples"), 0);
    bluez.faults(MONITOR, phr_bluez_sim::Faults::default());

    // The two ended sessions come over; the running one waits.
    let out = sync();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = sync_rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows[0]["ok"], true, "{rows:?}");
    assert_eq!(rows[0]["sync"]["battery_percent"], 73);
    assert_eq!(day_total(&vault, "samples"), 120);
    let audit = ok(phr(&vault).args(["--json", "audit"]));
    assert!(
        audit.contains("2 sessions") && audit.contains("session 3 still running"),
        "{audit}"
    );
    let steps_in = |s: &phr_ble_protocols::pams::MonitorSession| -> i64 {
        s.records
            .iter()
            .filter_map(|r| r.field("Normal Walking Steps"))
            .sum()
    };
    assert_eq!(
        day_total(&vault, "steps") as i64,
        steps_in(&sessions[0]) + steps_in(&sessions[1])
    );

    // Nothing new: nothing added.
    let again = sync_rows(&String::from_utf8_lossy(&sync().stdout));
    assert_eq!(again[0]["sync"]["added"], 0, "{again:?}");

    // Session 3 ends: only it comes over.
    handle.set_running(None);
    let third = sync_rows(&String::from_utf8_lossy(&sync().stdout));
    assert!(
        third[0]["sync"]["added"].as_u64().expect("added") > 60,
        "{third:?}"
    );
    assert_eq!(day_total(&vault, "samples"), 180);
    assert_eq!(
        day_total(&vault, "steps") as i64,
        sessions.iter().map(steps_in).sum::<i64>(),
        "every step once"
    );
    let audit = ok(phr(&vault).args(["--json", "audit"]));
    assert!(audit.contains("1 sessions"), "{audit}");
    drop(bluez.runtime);
}
