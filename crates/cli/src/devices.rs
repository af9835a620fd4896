//! Wearables: `phr devices list|pair|heart-rate|scan`.

use crate::args::DevicesAction;
use crate::output::{print_json, print_sorted_json};
use crate::Context;

/// Runs a `devices` command.
pub fn run(cx: &Context, action: DevicesAction) -> anyhow::Result<()> {
    match action {
        DevicesAction::List { person } => list(cx, person.person.as_deref()),
        DevicesAction::Pair {
            address,
            person,
            seconds,
        } => pair(cx, person.person.as_deref(), &address, seconds),
        DevicesAction::HeartRate {
            address,
            person,
            seconds,
        } => heart_rate(cx, person.person.as_deref(), &address, seconds),
        DevicesAction::Scan { seconds } => scan(cx.json, seconds),
    }
}

/// The sources of a person's data, with battery and last sync as the app's
/// device list shows them.
fn list(cx: &Context, person: Option<&str>) -> anyhow::Result<()> {
    let phr = cx.open()?;
    let devices = phr.device_listing(person)?;
    if cx.json {
        return print_sorted_json(&devices);
    }
    if devices.is_empty() {
        println!(
            "No devices yet: `phr sync --simulated`, `phr import FILE` or `phr demo` add one."
        );
    }
    for d in devices {
        let last = d
            .last_sync_utc
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or("never".to_string(), |t| {
                t.format("%Y-%m-%d %H:%M UTC").to_string()
            });
        println!(
            "{:>3}  {:<32} {:<20} {:<16} {:>5}  last {}",
            d.device.id.0,
            d.device.label,
            d.device.model.as_deref().unwrap_or("-"),
            d.device.serial.as_deref().unwrap_or("-"),
            d.battery_percent
                .map_or("-".to_string(), |b| format!("{b} %")),
            last
        );
    }
    Ok(())
}

fn pair(cx: &Context, person: Option<&str>, address: &str, seconds: u64) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let found = phr.pair_device(person, address, seconds)?;
    if cx.json {
        return print_json(&found);
    }
    println!(
        "Paired {} ({}){}; `phr sync` will sync it.",
        found.name.as_deref().unwrap_or("(no name)"),
        found.address,
        if found.bonded == Some(true) {
            ", bonded as it asked"
        } else {
            ""
        }
    );
    Ok(())
}

/// Live heart rate for `seconds`, each reading shown as it comes (text
/// only).
fn heart_rate(
    cx: &Context,
    person: Option<&str>,
    address: &str,
    seconds: u64,
) -> anyhow::Result<()> {
    let json = cx.json;
    let mut phr = cx.open()?;
    if !json {
        eprintln!("Listening to {address} for {seconds} s…");
    }
    let session = phr.live_heart_rate(person, address, seconds, |reading| {
        if !json {
            print_reading(reading);
        }
    })?;
    if json {
        return print_json(&session);
    }
    println!(
        "{}: {} reading(s), {} stored.",
        session.device,
        session.readings.len(),
        session.added
    );
    Ok(())
}

fn print_reading(reading: &phr_api::HeartRateReading) {
    let contact = match reading.contact {
        Some(false) => "  (no skin contact)",
        Some(true) | None => "",
    };
    let rr = reading
        .rr_ms
        .iter()
        .map(|ms| format!("{ms:.0}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rr = if rr.is_empty() {
        String::new()
    } else {
        format!("  RR {rr} ms")
    };
    println!("{}  {:>3} bpm{rr}{contact}", reading.at, reading.bpm);
}

/// A Bluetooth scan; no vault needed.
fn scan(json: bool, seconds: u64) -> anyhow::Result<()> {
    let found = phr_api::scan_devices(seconds)?;
    if json {
        return print_json(&found);
    }
    if found.is_empty() {
        println!("No wearable found. Is it awake and near? (`phr sync --simulated` needs none.)");
    }
    for d in found {
        println!(
            "{:<18} {:<24} {:>7}  {}",
            d.address,
            d.name.as_deref().unwrap_or("(no name)"),
            d.rssi.map_or("-".to_string(), |r| format!("{r} dBm")),
            d.protocols.join(", ")
        );
    }
    Ok(())
}
