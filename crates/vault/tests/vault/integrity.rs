//! Confidentiality and integrity: nothing readable on disk, every flipped
//! byte detected and the damaged record named.

use super::*;
use phr_model::{
    ActivityEpoch, HeartRate, SampleKind, SleepEpisode, SleepStage, SleepStageSpan, Stamp,
    StepCount,
};
use rusqlite::Connection;

const LABEL: &str = "ZEBRAWATCH-9731";
const NAME: &str = "Kurosawa Distinctive";
const SERIAL: &str = "SER-QX-55821";
const FILE_NAME: &str = "zebra_export_19870605.csv";

/// 1987-06-05 04:03 JST: distinctive, long before any real wearable.
const FIRST_UTC: i64 = 549_831_780;

fn distinctive_batches() -> Vec<Samples> {
    let at = |minute: i64| Stamp::new(FIRST_UTC + 60 * minute, 32_400);
    vec![
        Samples::Activity(
            (0..600)
                .map(|m| ActivityEpoch {
                    at: at(m),
                    epoch_seconds: 60,
                    count: (m * 7 % 500) as u32,
                })
                .collect(),
        ),
        Samples::Steps(vec![StepCount {
            start: at(5),
            duration_seconds: 60,
            steps: 4321,
        }]),
        Samples::HeartRate(vec![HeartRate {
            at: at(6),
            bpm: 173,
        }]),
        Samples::Sleep(vec![SleepEpisode {
            start: at(10),
            end: at(400),
            is_main: true,
            method: "device".into(),
            stages: vec![SleepStageSpan {
                offset_seconds: 0,
                duration_seconds: 390 * 60,
                stage: SleepStage::Deep,
            }],
        }]),
    ]
}

fn distinctive_source() -> phr_model::NewDevice {
    phr_model::NewDevice {
        source_key: format!("csv:{LABEL}"),
        label: LABEL.into(),
        serial: Some(SERIAL.into()),
        ..Default::default()
    }
}

fn needles() -> Vec<(String, Vec<u8>)> {
    let mut needles: Vec<(String, Vec<u8>)> = [
        LABEL,
        NAME,
        SERIAL,
        FILE_NAME,
        "1987-06-05",
        "19870605",
        "04:03",
        "Asia/Tokyo",
    ]
    .iter()
    .map(|s| (s.to_string(), s.as_bytes().to_vec()))
    .collect();
    needles.push((
        "first instant i64 LE".into(),
        FIRST_UTC.to_le_bytes().to_vec(),
    ));
    needles.push((
        "first instant i64 BE".into(),
        FIRST_UTC.to_be_bytes().to_vec(),
    ));
    needles.push((
        "first instant u32 LE".into(),
        (FIRST_UTC as u32).to_le_bytes().to_vec(),
    ));
    needles.push((
        "first instant u32 BE".into(),
        (FIRST_UTC as u32).to_be_bytes().to_vec(),
    ));
    needles.push((
        "first instant as text".into(),
        FIRST_UTC.to_string().into_bytes(),
    ));
    needles
}

fn assert_no_plaintext(path: &std::path::Path) -> usize {
    let mut scanned = 0;
    for suffix in ["", "-wal", "-journal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        scanned += bytes.len();
        for (what, needle) in needles() {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{what} found in {}",
                file.display()
            );
        }
    }
    scanned
}

#[test]
fn no_identifying_field_or_timestamp_is_readable_on_disk() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("v.phr");
    let mut vault =
        Vault::create(&path, PASSPHRASE, &owner(NAME), KdfParams::default()).expect("create");
    vault
        .ingest(
            OWNER,
            &distinctive_source(),
            &distinctive_batches(),
            &AuditEvent::new(AuditAction::Import, FILE_NAME),
        )
        .expect("ingest");
    vault
        .put_record(
            "settings",
            "1",
            format!("{LABEL} preferences").as_bytes(),
            None,
        )
        .expect("record");
    // While open, the data sits in the WAL.
    assert!(std::path::Path::new(&format!("{}-wal", path.display())).exists());
    let scanned_open = assert_no_plaintext(&path);
    drop(vault);
    let scanned_closed = assert_no_plaintext(&path);
    assert!(
        scanned_open > 4096 && scanned_closed > 4096,
        "nothing was scanned"
    );

    // The needles are really there once decrypted, so the scan could fail.
    let vault = Vault::open(&path, PASSPHRASE).expect("open");
    assert_eq!(vault.devices(OWNER).expect("devices")[0].label, LABEL);
    assert!(vault
        .audit_log()
        .expect("log")
        .iter()
        .any(|e| e.detail.contains(FILE_NAME)));
}

/// Every sealed cell of the vault: (table, column, SQL to pick the row, name the error must carry).
fn sealed_cells(conn: &Connection) -> Vec<(String, String, String, String)> {
    let mut cells = Vec::new();
    let rows = |sql: &str| -> Vec<Vec<i64>> {
        let mut stmt = conn.prepare(sql).expect("q");
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, i64>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
    };
    for r in rows("SELECT id FROM people") {
        cells.push((
            "people".into(),
            "sealed".into(),
            format!("id = {}", r[0]),
            format!("people (person {})", r[0]),
        ));
    }
    for r in rows("SELECT id FROM devices") {
        cells.push((
            "devices".into(),
            "sealed".into(),
            format!("id = {}", r[0]),
            format!("devices (device {})", r[0]),
        ));
    }
    // One chunk of each kind (every kind has its own codec).
    for r in rows("SELECT device_id, kind, MIN(day) FROM chunks GROUP BY device_id, kind") {
        let kind = SampleKind::from_code(r[1] as u8).expect("kind");
        cells.push((
            "chunks".into(),
            "sealed".into(),
            format!(
                "device_id = {} AND kind = {} AND day = {}",
                r[0], r[1], r[2]
            ),
            format!("chunks (device {}, {kind}", r[0]),
        ));
    }
    cells.push((
        "records".into(),
        "sealed".into(),
        "namespace = 'checkpoint' AND key = '1'".into(),
        "records (checkpoint/1)".into(),
    ));
    for r in rows("SELECT seq FROM audit") {
        cells.push((
            "audit".into(),
            "sealed".into(),
            format!("seq = {}", r[0]),
            format!("audit (entry {})", r[0]),
        ));
    }
    cells.push((
        "header".into(),
        "audit_head".into(),
        "id = 1".into(),
        "header (vault state)".into(),
    ));
    // A damaged key wrap cannot be told from a wrong passphrase, and says so.
    cells.push((
        "header".into(),
        "wrapped_key".into(),
        "id = 1".into(),
        "key header is damaged".into(),
    ));
    cells
}

#[test]
fn flipping_any_byte_of_any_sealed_column_is_detected_and_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let pristine = dir.path().join("pristine.phr");
    let mut vault = Vault::create(
        &pristine,
        PASSPHRASE,
        &owner("Tamper Test"),
        KdfParams::default(),
    )
    .expect("create");
    vault
        .add_person(&phr_model::NewPerson {
            role: phr_model::Role::CaredFor,
            ..owner("Cared For")
        })
        .expect("person");
    vault
        .ingest(
            OWNER,
            &source("watch"),
            &distinctive_batches(),
            &import_event(),
        )
        .expect("ingest");
    vault
        .put_record("checkpoint", "1", b"offset 42", None)
        .expect("record");
    drop(vault);

    let cells = sealed_cells(&Connection::open(&pristine).expect("raw"));
    assert!(
        cells.iter().filter(|c| c.0 == "chunks").count() == 4,
        "a kind is missing: {cells:?}"
    );
    let work = dir.path().join("work.phr");
    for (table, column, row, name) in &cells {
        let len: usize = Connection::open(&pristine)
            .expect("raw")
            .query_row(
                &format!("SELECT length({column}) FROM {table} WHERE {row}"),
                [],
                |r| r.get(0),
            )
            .expect("len");
        for position in [0, len / 2, len - 1] {
            std::fs::copy(&pristine, &work).expect("copy");
            {
                let raw = Connection::open(&work).expect("raw");
                let mut blob: Vec<u8> = raw
                    .query_row(
                        &format!("SELECT {column} FROM {table} WHERE {row}"),
                        [],
                        |r| r.get(0),
                    )
                    .expect("blob");
                blob[position] ^= 0x20;
                raw.execute(
                    &format!("UPDATE {table} SET {column} = ?1 WHERE {row}"),
                    [blob],
                )
                .expect("flip");
            }
            let detected = match Vault::open(&work, PASSPHRASE) {
                Err(err) => err.to_string(),
                Ok(vault) => vault.verify().expect("verify").problems.join("\n"),
            };
            assert!(
                detected.contains(name.as_str()),
                "flip of byte {position} in {table}.{column} where {row} not reported as {name}: {detected:?}"
            );
        }
    }
}

#[test]
fn a_chunk_moved_to_another_row_fails_to_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut vault, path) = new_vault(dir.path());
    let device = vault
        .ingest(
            OWNER,
            &source("watch"),
            &batches(&week(4, date(2026, 7, 1))),
            &import_event(),
        )
        .expect("ingest")
        .device
        .expect("device");
    drop(vault);
    let raw = Connection::open(&path).expect("raw");
    let (day_a, day_b): (i64, i64) = raw
        .query_row(
            "SELECT MIN(day), MIN(day) + 1 FROM chunks WHERE kind = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("days");
    raw.execute(
        "UPDATE chunks SET sealed = (SELECT sealed FROM chunks WHERE kind = 1 AND day = ?1) WHERE kind = 1 AND day = ?2",
        [day_a, day_b],
    )
    .expect("swap");
    drop(raw);
    let vault = Vault::open(&path, PASSPHRASE).expect("open");
    let err = vault
        .samples(
            device,
            SampleKind::Activity,
            (day_b * 86_400)..((day_b + 1) * 86_400),
        )
        .expect_err("a copied chunk must not open");
    assert!(
        matches!(err, phr_vault::VaultError::Tampered { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("activity"), "{err}");
}
