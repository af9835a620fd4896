//! The audit log records what happened and detects edits, deletions and
//! truncation.

use super::*;
use phr_vault::VaultError;
use rusqlite::Connection;

fn vault_with_history(dir: &std::path::Path) -> PathBuf {
    let (mut vault, path) = new_vault(dir);
    vault
        .ingest(
            OWNER,
            &source("watch"),
            &batches(&week(9, date(2026, 8, 1))),
            &import_event(),
        )
        .expect("ingest");
    vault
        .append_audit(&AuditEvent::new(AuditAction::Export, "csv to stdout"))
        .expect("export");
    vault
        .change_passphrase(PASSPHRASE, KdfParams::default())
        .expect("passwd");
    drop(vault);
    path
}

#[test]
fn the_log_records_each_action_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = vault_with_history(dir.path());
    let vault = Vault::open(&path, PASSPHRASE).expect("open");
    let actions: Vec<_> = vault
        .audit_log()
        .expect("log")
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::Init,
            AuditAction::Import,
            AuditAction::Export,
            AuditAction::PassphraseChange,
            AuditAction::Unlock
        ]
    );
    assert_eq!(vault.verify_audit().expect("intact"), 5);
}

fn broken(path: &std::path::Path, sql: &str) -> VaultError {
    let raw = Connection::open(path).expect("raw");
    raw.execute_batch(sql).expect("tamper");
    drop(raw);
    let vault = Vault::open(path, PASSPHRASE).expect("open");
    vault
        .verify_audit()
        .expect_err("tampering must be detected")
}

#[test]
fn deleting_an_entry_in_the_middle_is_detected() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = vault_with_history(dir.path());
    let err = broken(&path, "DELETE FROM audit WHERE seq = 2");
    assert!(
        matches!(err, VaultError::AuditBroken { seq: 2, .. }),
        "{err}"
    );
}

#[test]
fn truncating_the_tail_is_detected() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = vault_with_history(dir.path());
    // The open below appends entry 5 after the deletion, so delete 3 and 4
    // and renumber nothing: the chain then misses 3.
    let raw = Connection::open(&path).expect("raw");
    raw.execute_batch("DELETE FROM audit WHERE seq >= 3")
        .expect("truncate");
    drop(raw);
    let vault = Vault::open(&path, PASSPHRASE).expect("open");
    let err = vault
        .verify_audit()
        .expect_err("truncation must be detected");
    assert!(matches!(err, VaultError::AuditBroken { .. }), "{err}");
}

#[test]
fn removing_the_newest_entries_is_detected_by_the_sealed_head() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = vault_with_history(dir.path());
    let vault = Vault::open(&path, PASSPHRASE).expect("open");
    assert_eq!(vault.verify_audit().expect("intact"), 5);
    drop(vault);
    // Remove the last entry without reopening through the vault (an attacker
    // editing the file), then check with a raw read of the chain.
    let raw = Connection::open(&path).expect("raw");
    raw.execute(
        "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)",
        [],
    )
    .expect("delete");
    drop(raw);
    let vault = Vault::open(&path, PASSPHRASE).expect("open");
    // Opening appended a new entry after the gap or at the old position;
    // either way the chain no longer matches.
    let err = vault.verify_audit().expect_err("removal must be detected");
    assert!(matches!(err, VaultError::AuditBroken { .. }), "{err}");
}

#[test]
fn editing_a_stored_hash_is_detected() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = vault_with_history(dir.path());
    let err = broken(&path, "UPDATE audit SET hash = zeroblob(32) WHERE seq = 3");
    assert!(
        matches!(err, VaultError::AuditBroken { seq: 3, .. }),
        "{err}"
    );
}
