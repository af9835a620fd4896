//! Findings of the red-team pass ("Hardening"): concurrent writers, header
//! KDF bounds, integrity errors, lookup keys.

use super::*;
use phr_model::SampleKind;
use std::sync::{Arc, Barrier};

#[test]
fn sixteen_concurrent_writers_all_succeed() {
    const WRITERS: usize = 16;
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, path) = new_vault(dir.path());
    drop(vault);
    // Unlock every connection first (Argon2 is not what is tested), then let
    // them all write at the same instant.
    let vaults: Vec<Vault> = (0..WRITERS)
        .map(|_| Vault::open(&path, PASSPHRASE).expect("open"))
        .collect();
    let log = week(5, date(2026, 2, 1));
    let barrier = Arc::new(Barrier::new(WRITERS));
    let threads: Vec<_> = vaults
        .into_iter()
        .enumerate()
        .map(|(i, mut vault)| {
            let barrier = Arc::clone(&barrier);
            let activity = Samples::Activity(log.activity.clone());
            std::thread::spawn(move || {
                barrier.wait();
                vault
                    .ingest(
                        OWNER,
                        &source(&format!("watch {i}")),
                        &[activity],
                        &import_event(),
                    )
                    .map(drop)
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let failures: Vec<String> = threads
        .into_iter()
        .filter_map(|t| t.join().expect("thread").err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} writers failed: {failures:?}",
        failures.len()
    );

    let vault = Vault::open(&path, PASSPHRASE).expect("open");
    let devices = vault.devices(OWNER).expect("devices");
    assert_eq!(devices.len(), WRITERS);
    for device in devices {
        let stored = vault
            .samples(device.id, SampleKind::Activity, i64::MIN..i64::MAX)
            .expect("read");
        assert_eq!(stored, Samples::Activity(log.activity.clone()));
    }
    let report = vault.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
