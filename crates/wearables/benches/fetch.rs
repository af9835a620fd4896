//! The sync engine's own cost for 7 days of Bangle.js history (1,008
//! ten-minute records): request framing, notification reassembly, JSON
//! decoding and conversion to samples, over the in-process link (which adds
//! no transfer time). Prints the bytes that would cross the radio.
#![allow(missing_docs)]

use chrono::NaiveDate;
use criterion::{criterion_group, Criterion};
use phr_model::Stamp;
use phr_wearables::{fetch_history, history_from_lifelog, LinkFaults, SimulatedLink};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let start = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let history = history_from_lifelog(&phr_synth::generate(&phr_synth::Scenario::ordinary(
        1, start, 7, tokyo,
    )));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let fetch = || {
        let mut link = SimulatedLink::new("bench", history.clone(), LinkFaults::default());
        runtime
            .block_on(fetch_history(
                &mut link,
                None,
                Duration::from_secs(5),
                |utc| Stamp::new(utc, 32_400),
                |_| {},
            ))
            .expect("fetch")
    };
    let batch = fetch();
    println!(
        "7 days: {} records, {} bytes over the link ({} notifications of 20 bytes)",
        batch.records,
        batch.bytes,
        batch.bytes.div_ceil(20)
    );
    c.bench_function("sync_7_days_decode", |b| b.iter(fetch));
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
