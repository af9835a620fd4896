//! Findings of the red-team pass ("Hardening"): concurrent writers, header
//! KDF bounds, integrity errors, lookup keys.

use super::*;
use phr_model::SampleKind;
use phr_vault::VaultError;
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

/// Opens `path` in a thread; `None` if it took longer than `limit`.
fn open_within(path: &Path, limit: std::time::Duration) -> Option<Result<Vault, VaultError>> {
    let (send, receive) = std::sync::mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = send.send(Vault::open(&path, PASSPHRASE));
    });
    receive.recv_timeout(limit).ok()
}

fn set_header_kdf(path: &Path, json: &str) {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    conn.execute("UPDATE header SET kdf = ?1 WHERE id = 1", [json])
        .expect("edit header");
}

#[test]
fn absurd_kdf_settings_in_the_header_fail_fast_before_the_kdf_runs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, path) = new_vault(dir.path());
    drop(vault);
    let absurd = [
        // Hours of Argon2 before any passphrase check.
        r#"{"algorithm":"argon2id","memory_kib":65536,"iterations":1000000,"parallelism":1}"#,
        // Terabytes of memory: an allocation failure aborts the process.
        r#"{"algorithm":"argon2id","memory_kib":4294967295,"iterations":3,"parallelism":1}"#,
        r#"{"algorithm":"argon2id","memory_kib":65536,"iterations":3,"parallelism":255}"#,
        // Each within bounds, together hours.
        r#"{"algorithm":"argon2id","memory_kib":4194304,"iterations":64,"parallelism":1}"#,
    ];
    for json in absurd {
        set_header_kdf(&path, json);
        let started = std::time::Instant::now();
        let outcome = open_within(&path, std::time::Duration::from_secs(10))
            .unwrap_or_else(|| panic!("opening with {json} did not fail fast"));
        assert!(
            matches!(outcome, Err(VaultError::KdfOutOfBounds(_))),
            "{json}: {:?}",
            outcome.err()
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
    let message = match open_within(&path, std::time::Duration::from_secs(10)) {
        Some(Err(err)) => err.to_string(),
        _ => panic!("expected an error"),
    };
    assert!(message.contains("memory times passes"), "{message}");
}

#[test]
fn kdf_bounds_admit_the_defaults_and_the_benchmark_setting() {
    assert_eq!(KdfParams::default().check_bounds(), Ok(()));
    assert_eq!(KdfParams::insecure_for_benchmarks().check_bounds(), Ok(()));
    let below = KdfParams {
        memory_kib: 64,
        ..KdfParams::default()
    };
    assert!(below.check_bounds().is_err());
}
