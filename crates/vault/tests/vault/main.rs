//! Integration tests of the vault against real SQLite files in temporary
//! directories.

mod audit_log;
mod hardening;
mod integrity;
mod rollback;
mod storage;

use chrono::NaiveDate;
use phr_model::{NewDevice, NewPerson, PersonId, Role, Samples};
use phr_synth::{generate, Lifelog, Scenario};
use phr_vault::{AuditAction, AuditEvent, KdfParams, Vault};
use std::path::{Path, PathBuf};

pub(crate) const PASSPHRASE: &str = "correct horse battery staple";
pub(crate) const OWNER: PersonId = PersonId(1);

pub(crate) fn owner(name: &str) -> NewPerson {
    NewPerson {
        display_name: name.to_string(),
        time_zone: "Asia/Tokyo".into(),
        role: Role::Owner,
        birth_date: NaiveDate::from_ymd_opt(1941, 2, 3),
    }
}

/// A new vault with production KDF parameters.
pub(crate) fn new_vault(dir: &Path) -> (Vault, PathBuf) {
    let path = dir.join("test.phr");
    let vault = Vault::create(
        &path,
        PASSPHRASE,
        &owner("Hanako Test"),
        KdfParams::default(),
    )
    .expect("create");
    (vault, path)
}

pub(crate) fn source(label: &str) -> NewDevice {
    NewDevice {
        source_key: format!("test:{label}"),
        label: label.to_string(),
        manufacturer: Some("Pine64".into()),
        model: Some("PineTime".into()),
        serial: Some("SN-000123".into()),
        firmware: Some("1.14.0".into()),
    }
}

pub(crate) fn week(seed: u64, start: NaiveDate) -> Lifelog {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    generate(&Scenario::ordinary(seed, start, 7, tokyo))
}

pub(crate) fn batches(log: &Lifelog) -> Vec<Samples> {
    vec![
        Samples::Activity(log.activity.clone()),
        Samples::Steps(log.steps.clone()),
        Samples::Sleep(log.sleep.clone()),
        Samples::HeartRate(log.heart_rate.clone()),
    ]
}

pub(crate) fn import_event() -> AuditEvent {
    AuditEvent::new(AuditAction::Import, "test import")
}

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}
