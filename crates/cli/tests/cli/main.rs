//! End-to-end tests of the `phr` binary on real vault files.

mod analyze;
mod care;
mod commands;
mod crash;
mod devices;
mod exports;
mod formats;
mod hostile;
mod report;
mod share;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) const PASSPHRASE: &str = "a test passphrase";

/// A command for the built binary, with the vault and passphrase set.
pub(crate) fn phr(vault: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phr"));
    cmd.env("PHR_VAULT", vault)
        .env("PHR_PASSPHRASE", PASSPHRASE)
        .env_remove("PHR_NEW_PASSPHRASE");
    cmd
}

/// Runs and returns the output, with stderr shown on failure.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("phr runs")
}

pub(crate) fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "phr failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A vault initialised in `dir`.
pub(crate) fn init(dir: &Path) -> PathBuf {
    let vault = dir.join("vault.phr");
    ok(phr(&vault).args(["init", "--name", "Test Owner"]));
    vault
}

/// A minute CSV in the canonical `timestamp,count` format from synthetic data.
pub(crate) fn minute_csv(path: &Path, seed: u64, start: chrono::NaiveDate, days: u32) -> String {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    scenario_csv(
        path,
        &phr_synth::Scenario::ordinary(seed, start, days, tokyo),
    )
}

/// The same for any scenario (wandering nights, unworn days).
pub(crate) fn scenario_csv(path: &Path, scenario: &phr_synth::Scenario) -> String {
    let log = phr_synth::generate(scenario);
    let mut text = String::from("timestamp,count\n");
    for e in &log.activity {
        text.push_str(&format!(
            "{},{}\n",
            e.at.local().format("%Y-%m-%d %H:%M:%S"),
            e.count
        ));
    }
    std::fs::write(path, &text).expect("write csv");
    text
}

pub(crate) fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date")
}
