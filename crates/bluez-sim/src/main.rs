//! `phr-bluez-sim`: starts a private bus with a simulated BlueZ serving a
//! PineTime and a Bangle.js, prints the address to export as
//! `DBUS_SYSTEM_BUS_ADDRESS`, and runs until killed.

use phr_bluez_sim::{BluezSim, PrivateBus, SimulatedPeripheral};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bus = PrivateBus::start().await?;
    let (pinetime, _steps) = SimulatedPeripheral::pinetime("C7:5A:10:00:00:01");
    let history = vec![
        serde_json::json!({"ts": 1_772_319_600_000_i64, "stp": 120, "hrm": 71, "mov": 900}),
        serde_json::json!({"ts": 1_772_320_200_000_i64, "stp": 0, "hrm": 55, "mov": 20, "act": "LIGHT_SLEEP"}),
    ];
    let bangle = SimulatedPeripheral::banglejs("E4:3B:00:00:00:02", history);
    let _sim = BluezSim::serve(bus.address(), vec![pinetime, bangle]).await?;
    println!("DBUS_SYSTEM_BUS_ADDRESS={}", bus.address());
    std::future::pending::<()>().await;
    Ok(())
}
