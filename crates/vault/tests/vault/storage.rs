//! Round trips, idempotence, merging, footprint, passphrases.

use super::*;
use phr_model::{ActivityEpoch, SampleKind, Stamp};
use phr_vault::VaultError;
use rusqlite::Connection;

fn all(vault: &Vault, device: phr_model::DeviceId, kind: SampleKind) -> Samples {
    vault
        .samples(device, kind, i64::MIN..i64::MAX)
        .expect("read")
}

#[test]
fn every_sample_kind_round_trips_through_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut vault, path) = new_vault(dir.path());
    let log = week(11, date(2026, 3, 1));
    let report = vault
        .ingest(OWNER, &source("watch"), &batches(&log), &import_event())
        .expect("ingest");
    let device = report.device.expect("device");
    drop(vault);

    let vault = Vault::open(&path, PASSPHRASE).expect("reopen");
    assert_eq!(
        all(&vault, device, SampleKind::Activity),
        Samples::Activity(log.activity.clone())
    );
    assert_eq!(
        all(&vault, device, SampleKind::Steps),
        Samples::Steps(log.steps.clone())
    );
    assert_eq!(
        all(&vault, device, SampleKind::Sleep),
        Samples::Sleep(log.sleep.clone())
    );
    assert_eq!(
        all(&vault, device, SampleKind::HeartRate),
        Samples::HeartRate(log.heart_rate.clone())
    );
    let devices = vault.devices(OWNER).expect("devices");
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].serial.as_deref(), Some("SN-000123"));
    assert_eq!(
        vault.person(OWNER).expect("owner").display_name,
        "Hanako Test"
    );

    // A range read returns exactly the samples inside the range.
    let from = log.activity[100].at.utc;
    let to = log.activity[3000].at.utc;
    let Samples::Activity(part) = vault
        .samples(device, SampleKind::Activity, from..to)
        .expect("range")
    else {
        panic!("wrong kind")
    };
    assert_eq!(part, log.activity[100..3000].to_vec());
}

fn chunk_fingerprint(path: &std::path::Path) -> Vec<(i64, i64, i64, Vec<u8>)> {
    let conn = Connection::open(path).expect("raw");
    let mut stmt = conn
        .prepare("SELECT device_id, kind, day, sealed FROM chunks ORDER BY 1, 2, 3")
        .expect("q");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn ingesting_the_same_samples_twice_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut vault, path) = new_vault(dir.path());
    let log = week(5, date(2026, 4, 1));
    let first = vault
        .ingest(OWNER, &source("watch"), &batches(&log), &import_event())
        .expect("first");
    assert!(first.added > 10_000);
    drop(vault);
    let before = chunk_fingerprint(&path);

    let mut vault = Vault::open(&path, PASSPHRASE).expect("open");
    let second = vault
        .ingest(OWNER, &source("watch"), &batches(&log), &import_event())
        .expect("second");
    assert_eq!(
        (second.added, second.replaced, second.chunks_written),
        (0, 0, 0)
    );
    assert_eq!(second.unchanged, first.added);
    assert_eq!(vault.devices(OWNER).expect("devices").len(), 1);
    drop(vault);
    assert_eq!(chunk_fingerprint(&path), before, "re-ingest rewrote chunks");
}

#[test]
fn overlapping_data_from_one_source_merges_by_instant() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut vault, _path) = new_vault(dir.path());
    let epoch = |minute: i64, count: u32| ActivityEpoch {
        at: Stamp::new(1_780_000_000 + 60 * minute, 32_400),
        epoch_seconds: 60,
        count,
    };
    let first: Vec<_> = (0..10).map(|m| epoch(m, 1)).collect();
    let overlapping: Vec<_> = (5..15)
        .map(|m| epoch(m, if m < 8 { 1 } else { 9 }))
        .collect();
    vault
        .ingest(
            OWNER,
            &source("w"),
            &[Samples::Activity(first)],
            &import_event(),
        )
        .expect("first");
    let report = vault
        .ingest(
            OWNER,
            &source("w"),
            &[Samples::Activity(overlapping)],
            &import_event(),
        )
        .expect("second");
    assert_eq!((report.added, report.replaced, report.unchanged), (5, 2, 3));
    let device = report.device.expect("device");
    let Samples::Activity(stored) = all(&vault, device, SampleKind::Activity) else {
        panic!("kind")
    };
    let counts: Vec<u32> = stored.iter().map(|e| e.count).collect();
    assert_eq!(counts, vec![1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9]);
}

#[test]
fn a_typical_week_of_minute_actigraphy_takes_under_two_bytes_per_sample() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, path) = new_vault(dir.path());
    drop(vault);
    let empty = std::fs::metadata(&path).expect("size").len();
    let mut vault = Vault::open(&path, PASSPHRASE).expect("open");
    let log = week(21, date(2026, 5, 4));
    vault
        .ingest(
            OWNER,
            &source("watch"),
            &[Samples::Activity(log.activity.clone())],
            &import_event(),
        )
        .expect("ingest");
    drop(vault); // the last connection checkpoints the WAL into the file
    let full = std::fs::metadata(&path).expect("size").len();
    let per_sample = (full - empty) as f64 / log.activity.len() as f64;
    eprintln!("week of minute actigraphy: {per_sample:.3} bytes per sample");
    assert!(per_sample <= 2.0, "{per_sample:.3} bytes per sample");
}

#[test]
fn wrong_passphrase_is_rejected_and_a_change_rewraps_the_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut vault, path) = new_vault(dir.path());
    let log = week(2, date(2026, 6, 1));
    let device = vault
        .ingest(OWNER, &source("watch"), &batches(&log), &import_event())
        .expect("ingest")
        .device
        .expect("device");
    drop(vault);
    assert!(matches!(
        Vault::open(&path, "not it"),
        Err(VaultError::WrongPassphrase)
    ));

    let mut vault = Vault::open(&path, PASSPHRASE).expect("open");
    let stronger = KdfParams {
        iterations: 4,
        ..KdfParams::default()
    };
    vault
        .change_passphrase("a brand new passphrase", stronger)
        .expect("change");
    drop(vault);

    assert!(matches!(
        Vault::open(&path, PASSPHRASE),
        Err(VaultError::WrongPassphrase)
    ));
    let vault = Vault::open(&path, "a brand new passphrase").expect("new passphrase opens");
    assert_eq!(vault.kdf_params().expect("kdf"), stronger);
    for kind in SampleKind::ALL {
        assert!(
            !all(&vault, device, kind).is_empty(),
            "{kind} unreadable after change"
        );
    }
    let report = vault.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn locked_vault_refuses_and_newer_schema_is_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut vault, path) = new_vault(dir.path());
    vault.lock();
    assert!(vault.is_locked());
    assert!(matches!(vault.people(), Err(VaultError::Locked)));
    drop(vault);

    Connection::open(&path)
        .expect("raw")
        .pragma_update(None, "user_version", 99)
        .expect("bump");
    let err = Vault::open(&path, PASSPHRASE).err().expect("refused");
    assert!(
        matches!(err, VaultError::NewerVersion { found: 99, .. }),
        "{err}"
    );

    std::fs::write(
        dir.path().join("junk.phr"),
        b"this is not a database at all, not even close....",
    )
    .expect("junk");
    let err = Vault::open(&dir.path().join("junk.phr"), PASSPHRASE)
        .err()
        .expect("refused");
    assert!(matches!(err, VaultError::NotAVault { .. }), "{err}");
    let err = Vault::open(&dir.path().join("missing.phr"), PASSPHRASE)
        .err()
        .expect("refused");
    assert!(matches!(err, VaultError::NotFound { .. }), "{err}");
}

#[test]
fn several_sources_are_stored_together_or_not_at_all() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut vault, _path) = new_vault(dir.path());
    let watch = week(21, date(2026, 3, 1));
    let phone = week(22, date(2026, 3, 1));
    let sources = vec![
        (source("watch"), batches(&watch)),
        (source("phone"), vec![Samples::Steps(phone.steps.clone())]),
    ];
    let reports = vault
        .ingest_sources(OWNER, &sources, &import_event())
        .expect("ingest");
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].len(), 4, "one report per batch");
    assert_eq!(reports[0][1].added, watch.steps.len() as u64);
    assert_eq!(reports[1][0].added, phone.steps.len() as u64);
    assert_ne!(reports[0][0].device, reports[1][0].device);
    let devices = vault.devices(OWNER).expect("devices");
    assert_eq!(devices.len(), 2);
    let audit = vault.audit_log().expect("audit");
    assert!(
        audit
            .last()
            .expect("entry")
            .detail
            .contains("source devices"),
        "one audit entry names both sources"
    );

    // The same export again: nothing added, nothing rewritten.
    let again = vault
        .ingest_sources(OWNER, &sources, &import_event())
        .expect("again");
    assert!(again
        .iter()
        .flatten()
        .all(|r| r.added == 0 && r.replaced == 0));
    assert!(again.iter().flatten().all(|r| r.chunks_written == 0));

    // A bad sample in the second source leaves the first unstored too.
    let mut bad = phone.steps.clone();
    bad[0].duration_seconds = 0;
    let tablet = source("tablet");
    let failing = vec![
        (tablet.clone(), vec![Samples::Steps(phone.steps.clone())]),
        (source("band"), vec![Samples::Steps(bad)]),
    ];
    assert!(vault
        .ingest_sources(OWNER, &failing, &import_event())
        .is_err());
    let devices = vault.devices(OWNER).expect("devices");
    assert_eq!(devices.len(), 2, "neither new source was registered");
}
