//! `phr demo`: a vault of its own synced from the demo wearable.

use crate::analyze::print_days;
use crate::output::{day_range, print_json};
use crate::Context;
use anyhow::bail;
use phr_api::Phr;
use zeroize::Zeroizing;

/// The demo vault's passphrase unless `PHR_PASSPHRASE` says otherwise.
const DEMO_PASSPHRASE: &str = "demo passphrase";

/// Checks `--days` of `phr demo` and `phr sync --simulated`.
pub fn check_days(days: u32) -> anyhow::Result<()> {
    if phr_api::check_demo_days(days).is_err() {
        bail!("--days must be between 1 and {}", phr_api::MAX_DEMO_DAYS);
    }
    Ok(())
}

/// Syncs `days` days of the demo wearer (`seed`) into the demo vault, made
/// first if need be, and shows its days.
pub fn run(cx: &Context, days: u32, seed: u64) -> anyhow::Result<()> {
    check_days(days)?;
    let passphrase = Zeroizing::new(
        std::env::var("PHR_PASSPHRASE").unwrap_or_else(|_| DEMO_PASSPHRASE.to_string()),
    );
    let mut phr = Phr::open_or_init_demo(&cx.path, &passphrase)?;
    let today = chrono::Local::now().date_naive();
    let sync = phr.sync_demo(None, today, days, seed)?;
    let summary = phr.days(None)?;
    if cx.json {
        return print_json(&serde_json::json!({"vault": cx.path, "sync": sync, "days": summary}));
    }
    println!(
        "Demo vault: {} (passphrase from PHR_PASSPHRASE, else \"{DEMO_PASSPHRASE}\")",
        cx.path.display()
    );
    println!(
        "Synced {}{}: {} new samples, {} already stored.\n",
        sync.label,
        day_range(sync.days),
        sync.added,
        sync.unchanged
    );
    print_days(&summary);
    Ok(())
}
