//! End to end through the real btleplug → bluez-async → libdbus path,
//! against `phr-bluez-sim` on a private dbus-daemon. Needs `dbus-daemon`
//! (package `dbus`) on PATH.
//!
//! One test function on purpose: it sets `DBUS_SYSTEM_BUS_ADDRESS` for this
//! process before btleplug's Manager connects, and nothing else may race it.

use phr_ble::{BleClient, BleError};
use phr_ble_protocols::banglejs::{self, HistoryFetch, UART_SERVICE};
use phr_ble_protocols::infinitime::{DailySteps, StepTracker, MOTION_SERVICE};
use phr_ble_protocols::standard::{BatteryLevel, CurrentTime};
use phr_ble_protocols::GattValue;
use phr_bluez_sim::{BluezSim, Faults, PrivateBus, SimulatedPeripheral};
use phr_model::Stamp;
use std::time::Duration;

const PINETIME: &str = "C7:5A:10:00:00:01";
const BANGLE: &str = "E4:3B:00:00:00:02";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn btleplug_against_simulated_bluez() {
    let bus = PrivateBus::start().await.expect("start dbus-daemon");
    let (pinetime, steps) = SimulatedPeripheral::pinetime(PINETIME);
    let history = vec![
        serde_json::json!({"ts": 1_772_319_600_000_i64, "stp": 120, "hrm": 71, "mov": 900}),
        serde_json::json!({"ts": 1_772_320_200_000_i64, "stp": 0, "hrm": 55, "mov": 20, "act": "LIGHT_SLEEP"}),
        serde_json::json!({"ts": 1_772_320_800_000_i64, "stp": 0, "hrm": 52, "mov": 5, "act": "DEEP_SLEEP"}),
    ];
    let bangle = SimulatedPeripheral::banglejs(BANGLE, history);
    let sim = BluezSim::serve(bus.address(), vec![pinetime, bangle])
        .await
        .expect("serve simulated BlueZ");
    // libdbus reads this when bluez-async opens the "system" bus.
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address());

    let client = BleClient::new(Duration::from_secs(5))
        .await
        .expect("adapter");
    let found = client
        .scan(&[MOTION_SERVICE, UART_SERVICE], Duration::from_millis(800))
        .await
        .expect("scan");
    let mut addresses: Vec<String> = found.iter().map(|d| d.address.clone()).collect();
    addresses.sort();
    assert_eq!(addresses, vec![PINETIME.to_string(), BANGLE.to_string()]);
    let watch = found
        .iter()
        .find(|d| d.address == PINETIME)
        .expect("PineTime");
    assert_eq!(watch.name.as_deref(), Some("InfiniTime"));

    // PineTime: device information, battery, clock, step notifications.
    let pinetime = client.connect(watch).await.expect("connect PineTime");
    let info = pinetime.device_information().await.expect("device info");
    assert_eq!(info.model.as_deref(), Some("PineTime"));
    assert_eq!(info.firmware.as_deref(), Some("1.14.0"));
    assert_eq!(
        pinetime.read::<BatteryLevel>().await.expect("battery"),
        BatteryLevel(87)
    );
    let clock = pinetime.read::<CurrentTime>().await.expect("current time");
    assert_eq!(
        clock.local.map(|t| t.to_string()).as_deref(),
        Some("2026-03-01 08:00:00")
    );

    let mut tracker = StepTracker::new();
    let mut now = 1_772_319_600_i64; // 08:00 JST
    let mut observe = |tracker: &mut StepTracker, values: &[Vec<u8>]| -> u32 {
        let mut total = 0;
        for value in values {
            now += 60;
            if let Ok(DailySteps(count)) = DailySteps::decode(value) {
                if let Some(increment) = tracker.observe(Stamp::new(now, 9 * 3600), count) {
                    total += increment.steps;
                }
            }
        }
        total
    };
    let values = pinetime
        .collect_raw(DailySteps::CHARACTERISTIC, 5)
        .await
        .expect("5 step notifications");
    assert_eq!(values.len(), 5);
    // First reading is the baseline (1010), then +10 four times.
    assert_eq!(observe(&mut tracker, &values), 40);

    // Link drop after 2 notifications, one of them garbled; then reconnect.
    sim.set_faults(
        PINETIME,
        Faults {
            drop_link_after: Some(2),
            corrupt_notifications: vec![0],
        },
    )
    .expect("faults");
    pinetime.disconnect().await.expect("disconnect");
    pinetime
        .reconnect()
        .await
        .expect("reconnect before the drop");
    let error = pinetime
        .collect_raw(DailySteps::CHARACTERISTIC, 5)
        .await
        .expect_err("link drops");
    match &error {
        BleError::Disconnected { received, .. } => assert!(*received <= 2, "{error}"),
        other => panic!("expected Disconnected, got {other}"),
    }
    assert!(!pinetime.is_connected().await.expect("state"));
    pinetime
        .reconnect()
        .await
        .expect("reconnect after the drop");
    steps.set(0); // the watch rebooted meanwhile
    let values = pinetime
        .collect_raw(DailySteps::CHARACTERISTIC, 5)
        .await
        .expect("notifications after reconnect");
    // Counts 10..50 after the reboot: the drop lost at most the two readings
    // in flight; the tracker counts from zero and never goes negative.
    assert_eq!(observe(&mut tracker, &values), 50);
    pinetime.disconnect().await.expect("disconnect PineTime");

    // Bangle.js: history fetch over the UART.
    let bangle = found
        .iter()
        .find(|d| d.address == BANGLE)
        .expect("Bangle.js");
    let bangle = client.connect(bangle).await.expect("connect Bangle.js");
    let lines = bangle
        .uart_exchange(&banglejs::fetch_request(1_772_319_000_000), |line| {
            line.contains("\"state\":\"end\"")
        })
        .await
        .expect("actfetch exchange");
    let mut fetch = HistoryFetch::new();
    for line in lines {
        let line = line.expect("line within limits");
        if let Some(message) = banglejs::parse_line(&line).expect("valid JSON line") {
            fetch.observe(&message).expect("consistent fetch");
        }
    }
    assert!(fetch.is_finished());
    assert_eq!(fetch.records().len(), 3);
    let samples = banglejs::to_samples(fetch.records(), 600, |utc| Stamp::new(utc, 9 * 3600));
    assert!(samples
        .iter()
        .any(|s| matches!(s, phr_model::Samples::Sleep(v) if v.len() == 1)));
    bangle.disconnect().await.expect("disconnect Bangle.js");
}
