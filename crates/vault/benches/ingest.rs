//! One year of minute actigraphy (525,600 samples) ingested into the vault,
//! side by side with the same samples in plain, unencrypted SQLite, in one
//! run; then 30 days read back. Before the timings, the on-disk footprint of
//! each layout is printed.
//!
//! Layouts compared:
//! * `vault`: sealed, compressed day chunks (what the app stores);
//! * `plain_rows`: one unencrypted row per sample (the obvious schema);
//! * `plain_chunks`: the same compressed day chunks, not sealed, which
//!   isolates the cost of encryption.
//!
//! All three use the same pragmas (WAL, synchronous=FULL) and one transaction.
#![allow(missing_docs)]

use chrono::NaiveDate;
use criterion::{criterion_group, BatchSize, Criterion};
use phr_model::{ActivityEpoch, NewDevice, NewPerson, PersonId, Role, SampleKind, Samples};
use phr_vault::{AuditAction, AuditEvent, KdfParams, Vault};
use rusqlite::{params, Connection};
use std::path::Path;

fn year() -> Vec<ActivityEpoch> {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    phr_synth::generate(&phr_synth::Scenario::ordinary(42, start, 365, tokyo)).activity
}

fn source() -> NewDevice {
    NewDevice {
        source_key: "bench".into(),
        label: "bench".into(),
        ..NewDevice::default()
    }
}

fn new_vault(dir: &Path) -> Vault {
    let owner = NewPerson {
        display_name: "Bench".into(),
        time_zone: "Asia/Tokyo".into(),
        role: Role::Owner,
        birth_date: None,
    };
    // Cheap KDF: key derivation is not what is measured here.
    Vault::create(
        &dir.join("v.phr"),
        "bench passphrase",
        &owner,
        KdfParams::insecure_for_benchmarks(),
    )
    .expect("create")
}

fn ingest_vault(vault: &mut Vault, year: &[ActivityEpoch]) {
    let event = AuditEvent::new(AuditAction::Import, "bench");
    vault
        .ingest(
            PersonId(1),
            &source(),
            &[Samples::Activity(year.to_vec())],
            &event,
        )
        .expect("ingest");
}

fn plain(dir: &Path) -> Connection {
    let conn = Connection::open(dir.join("plain.db")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE samples (device_id INTEGER NOT NULL, kind INTEGER NOT NULL, utc INTEGER NOT NULL,
             offset_seconds INTEGER NOT NULL, epoch_seconds INTEGER NOT NULL, count INTEGER NOT NULL,
             PRIMARY KEY (device_id, kind, utc)) WITHOUT ROWID;
         CREATE TABLE chunks (id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL, kind INTEGER NOT NULL,
             day INTEGER NOT NULL, data BLOB NOT NULL, UNIQUE (device_id, kind, day));",
    )
    .expect("schema");
    conn
}

fn ingest_plain_rows(conn: &mut Connection, year: &[ActivityEpoch]) {
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare("INSERT OR IGNORE INTO samples VALUES (1, 1, ?1, ?2, ?3, ?4)")
            .expect("prepare");
        for e in year {
            stmt.execute(params![
                e.at.utc,
                e.at.offset_seconds,
                e.epoch_seconds,
                e.count
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
}

fn ingest_plain_chunks(conn: &mut Connection, year: &[ActivityEpoch]) {
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare("INSERT INTO chunks (device_id, kind, day, data) VALUES (1, 1, ?1, ?2) ON CONFLICT DO UPDATE SET data = excluded.data")
            .expect("prepare");
        for day in year.chunk_by(|a, b| a.at.utc.div_euclid(86_400) == b.at.utc.div_euclid(86_400))
        {
            let data = phr_vault::codec::encode(&Samples::Activity(day.to_vec()));
            stmt.execute(params![day[0].at.utc.div_euclid(86_400), data])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn report_footprint(year: &[ActivityEpoch]) {
    let dir = tempfile::tempdir().expect("tmp");
    let empty_vault = {
        let vault = new_vault(dir.path());
        drop(vault);
        file_size(&dir.path().join("v.phr"))
    };
    let mut vault = Vault::open(&dir.path().join("v.phr"), "bench passphrase").expect("open");
    ingest_vault(&mut vault, year);
    drop(vault);
    let vault_bytes = file_size(&dir.path().join("v.phr")) - empty_vault;
    let mut rows = plain(dir.path());
    let empty_plain = file_size(&dir.path().join("plain.db"));
    ingest_plain_rows(&mut rows, year);
    drop(rows);
    let rows_bytes = file_size(&dir.path().join("plain.db")) - empty_plain;
    let dir2 = tempfile::tempdir().expect("tmp");
    let mut chunks = plain(dir2.path());
    ingest_plain_chunks(&mut chunks, year);
    drop(chunks);
    let chunk_bytes = file_size(&dir2.path().join("plain.db")) - empty_plain;
    let n = year.len() as f64;
    println!(
        "footprint of {} samples on disk (growth of the file after checkpoint):",
        year.len()
    );
    println!(
        "  vault (sealed chunks) : {vault_bytes:>9} bytes, {:.3} bytes/sample",
        vault_bytes as f64 / n
    );
    println!(
        "  plain rows            : {rows_bytes:>9} bytes, {:.3} bytes/sample",
        rows_bytes as f64 / n
    );
    println!(
        "  plain chunks          : {chunk_bytes:>9} bytes, {:.3} bytes/sample",
        chunk_bytes as f64 / n
    );
}

fn bench(c: &mut Criterion) {
    let year = year();
    report_footprint(&year);

    let mut group = c.benchmark_group("ingest_year_525600");
    group.sample_size(10);
    group.bench_function("vault", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tmp");
                let vault = new_vault(dir.path());
                (dir, vault)
            },
            |(dir, mut vault)| {
                ingest_vault(&mut vault, &year);
                (dir, vault)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("plain_rows", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tmp");
                let conn = plain(dir.path());
                (dir, conn)
            },
            |(dir, mut conn)| {
                ingest_plain_rows(&mut conn, &year);
                (dir, conn)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("plain_chunks", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tmp");
                let conn = plain(dir.path());
                (dir, conn)
            },
            |(dir, mut conn)| {
                ingest_plain_chunks(&mut conn, &year);
                (dir, conn)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // Reading back 30 days from a year.
    let dir = tempfile::tempdir().expect("tmp");
    let mut vault = new_vault(dir.path());
    ingest_vault(&mut vault, &year);
    let device = vault.devices(PersonId(1)).expect("devices")[0].id;
    let mut conn = plain(dir.path());
    ingest_plain_rows(&mut conn, &year);
    let from = year[100 * 1440].at.utc;
    let to = from + 30 * 86_400;
    let mut group = c.benchmark_group("read_30_days");
    group.bench_function("vault", |b| {
        b.iter(|| {
            let samples = vault
                .samples(device, SampleKind::Activity, from..to)
                .expect("read");
            assert_eq!(samples.len(), 30 * 1440);
        })
    });
    group.bench_function("plain_rows", |b| {
        b.iter(|| {
            let mut stmt = conn
                .prepare_cached("SELECT utc, offset_seconds, epoch_seconds, count FROM samples WHERE device_id = 1 AND kind = 1 AND utc >= ?1 AND utc < ?2")
                .expect("prepare");
            let rows: Vec<(i64, i32, u32, u32)> = stmt
                .query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            assert_eq!(rows.len(), 30 * 1440);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
