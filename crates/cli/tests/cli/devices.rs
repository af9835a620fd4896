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
