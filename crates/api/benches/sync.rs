//! Decode plus store for a 7-day sync from the simulated Bangle.js, end to
//! end through the façade but over the in-process link, which adds no
//! transfer time: the clock exchange, request framing, reassembly of the
//! notifications, JSON decoding, conversion to samples, sealing and storing
//! the batch with its checkpoint in one transaction, and alert evaluation.
//! Each iteration syncs into a fresh vault (made outside the timing), so
//! every one stores the whole week. What the link itself takes is measured
//! separately, over the simulated BlueZ (see docs/benchmarks.md).
#![allow(missing_docs)]

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion};
use phr_api::Phr;

fn fresh_vault(dir: &std::path::Path, n: &mut u32) -> Phr {
    *n += 1;
    Phr::init(
        &dir.join(format!("bench-{n}.phr")),
        "bench passphrase 1234",
        "Owner",
        "Asia/Tokyo",
    )
    .expect("vault")
}

fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let today = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let mut n = 0;
    let sync = |phr: &mut Phr| {
        phr.sync_simulated(
            None,
            today,
            7,
            1,
            phr_wearables::LinkFaults::default(),
            |_| {},
        )
        .expect("sync")
    };
    let summary = sync(&mut fresh_vault(dir.path(), &mut n));
    eprintln!(
        "7 days: {} samples stored, split {:?}",
        summary.added, summary.timing_ms
    );
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    c.bench_function("sync_7_days_decode_and_store", |b| {
        b.iter_batched(
            || fresh_vault(dir.path(), &mut n),
            |mut phr| sync(&mut phr),
            BatchSize::PerIteration,
        )
    });
    c.final_summary();
}
