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

fn sha256_hex(text: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn clear_keys(path: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(path).expect("raw");
    let mut stmt = conn
        .prepare("SELECT namespace, key FROM records ORDER BY namespace, key")
        .expect("query");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

#[test]
fn lookup_keys_are_keyed_and_domain_separated() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, _) = new_vault(dir.path());
    let key = vault.lookup_key("paired", "1|AA:BB").expect("key");
    assert_eq!(key.len(), 64);
    assert_ne!(key, sha256_hex("1|AA:BB"));
    assert_eq!(key, vault.lookup_key("paired", "1|AA:BB").expect("key"));
    assert_ne!(key, vault.lookup_key("recipient", "1|AA:BB").expect("key"));
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("dir");
    let (second, _) = new_vault(&other);
    assert_ne!(key, second.lookup_key("paired", "1|AA:BB").expect("key"));
}

/// A vault as version 1 left it: record keys that are plain SHA-256 of
/// their text (alerts under their id), user_version 1. The fixture was
/// written by the code before schema 3 (`tests/data/README.md`): lowering
/// `user_version` of a newer vault no longer passes for an old one.
#[test]
fn a_version_one_vault_is_rekeyed_and_still_finds_its_records() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("v1.phr");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schema1.sqlite"),
        &path,
    )
    .expect("fixture");
    let url = "https://ehr.example.org/fhir";
    let alert_id = sha256_hex("1|night_activity|2026-04-03T01:00:00");
    let paired = br#"{"person":1,"address":"C4:7C:8D:6A:01:02","name":"Bangle.js 1a2b","protocols":["banglejs"],"bonded":false}"#;
    let old: Vec<(&str, String, Vec<u8>)> = vec![
        (
            "alert",
            alert_id.clone(),
            br#"{"alert":{"id":"x"}}"#.to_vec(),
        ),
        ("paired", sha256_hex("1|C4:7C:8D:6A:01:02"), paired.to_vec()),
        (
            "recipient",
            sha256_hex(url),
            format!(r#"{{"url":"{url}","auth":"none"}}"#).into_bytes(),
        ),
        ("pseudonym-secret", sha256_hex(url), b"secret".to_vec()),
        ("alert-settings", "1".into(), b"{}".to_vec()),
        ("unknown", sha256_hex("nobody knows"), b"kept".to_vec()),
    ];
    assert_eq!(
        clear_keys(&path).len(),
        old.len() + 1,
        "fixture as described"
    );

    let vault = Vault::open(&path, PASSPHRASE).expect("open migrates");
    let texts = [
        (
            "sync-checkpoint",
            "1|test:watch".to_string(),
            b"offset 42".to_vec(),
        ),
        ("alert", alert_id.clone(), old[0].2.clone()),
        (
            "paired",
            "1|C4:7C:8D:6A:01:02".to_string(),
            old[1].2.clone(),
        ),
        ("recipient", url.to_string(), old[2].2.clone()),
        ("pseudonym-secret", url.to_string(), b"secret".to_vec()),
    ];
    let keys = clear_keys(&path);
    for (namespace, text, value) in &texts {
        let key = vault.lookup_key(namespace, text).expect("key");
        assert_eq!(
            vault.record(namespace, &key).expect("read").as_deref(),
            Some(value.as_slice()),
            "{namespace} not found under its new key"
        );
        assert!(
            !keys
                .iter()
                .any(|(ns, k)| ns == namespace && (k == &sha256_hex(text) || k == text)),
            "{namespace} still under its old key: {keys:?}"
        );
    }
    assert_eq!(
        vault
            .record("alert-settings", "1")
            .expect("read")
            .as_deref(),
        Some(&b"{}"[..])
    );
    assert_eq!(
        vault
            .record("unknown", &sha256_hex("nobody knows"))
            .expect("read")
            .as_deref(),
        Some(&b"kept"[..])
    );
    assert_eq!(keys.len(), old.len() + 1);
    let report = vault.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    drop(vault);
    // Opening again changes no key.
    Vault::open(&path, PASSPHRASE).expect("open");
    assert_eq!(clear_keys(&path), keys);
}
