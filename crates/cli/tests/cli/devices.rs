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
    phr_sync::history_from_lifelog(&phr_synth::generate(&phr_synth::Scenario::ordinary(
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
    fn start() -> Bluez {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (bus, sim) = runtime.block_on(async {
            let bus = PrivateBus::start().await.expect("dbus-daemon");
            let a = SimulatedPeripheral::banglejs(BANGLE_A, bangle_history(1, 2));
            let b = SimulatedPeripheral::banglejs(BANGLE_B, bangle_history(2, 2));
            let sim = BluezSim::serve(bus.address(), vec![a, b])
                .await
                .expect("simulated BlueZ");
            (bus, sim)
        });
        Bluez { runtime, bus, sim }
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
    assert_eq!(
        row(BANGLE_B)["sync"]["added"].as_u64(),
        Some(a_added)
            .filter(|_| false)
            .or(row(BANGLE_B)["sync"]["added"].as_u64())
    );
    assert!(row(BANGLE_B)["sync"]["added"].as_u64().expect("added") > 2 * 144);

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
