//! Full circadian metric set + Cole-Kripke on a synthetic year of 1-minute
//! epochs (525 600). The generator is mirrored in
//! `tests/reference/bench_pyactigraphy.py` so both sides time the same data.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use phr_analysis::{
    cole_kripke, inactivity_mask, roenneberg, sadeh, ColeKripkeOptions, ColeKripkeSettings,
    EpochSeries, Recording, RoennebergOptions, SadehOptions,
};

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Deterministic synthetic year: sleep about 23:00-07:00 with daily jitter,
/// sparse small movements at night, daytime counts 50..450, and a 3-hour gap
/// (missing) every 40th day.
fn synthetic_year() -> EpochSeries {
    let n = 365 * 1440;
    let counts = (0..n as u64)
        .map(|i| {
            let m = i % 1440;
            let d = i / 1440;
            if d % 40 == 39 && (600..780).contains(&m) {
                return None;
            }
            let shifted = (m + 120) % 1440; // 22:00 -> 0
            let night = (i + 120) / 1440;
            let onset = 30 + splitmix64(night * 2) % 61;
            let offset = 510 + splitmix64(night * 2 + 1) % 61;
            let r = splitmix64(i + 1_000_000);
            let c = if shifted >= onset && shifted < offset {
                if r % 100 < 3 {
                    (r >> 8) % 50
                } else {
                    0
                }
            } else {
                50 + (r >> 8) % 400
            };
            Some(c as f64)
        })
        .collect();
    let start = NaiveDate::from_ymd_opt(2025, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date");
    EpochSeries::new(start, 60, counts).expect("series")
}

fn bench(c: &mut Criterion) {
    let year = synthetic_year();
    let ck = ColeKripkeOptions {
        settings: ColeKripkeSettings::Mean,
        ..Default::default()
    };
    // Print the numbers once so they can be compared with pyActigraphy's.
    let rec = Recording::new(&year);
    let m = rec.metrics(&Default::default());
    let scores = cole_kripke(&year, &ck).expect("ck");
    println!("synthetic year: {m:?}");
    println!("CK(mean) sleep epochs: {}", scores.sleep_epochs());

    c.bench_function("year_1min/full_metrics+ck_mean", |b| {
        b.iter(|| {
            let rec = Recording::new(black_box(&year));
            let m = rec.metrics(&Default::default());
            let s = cole_kripke(black_box(&year), &ck).expect("ck");
            black_box((m, s))
        })
    });
    c.bench_function("year_1min/full_metrics+ck_mean_two_threads", |b| {
        b.iter(|| {
            let (m, s) =
                phr_analysis::metrics_and_sleep(black_box(&year), &Default::default(), &ck);
            black_box((m, s.expect("ck")))
        })
    });
    c.bench_function("year_1min/circadian_metrics", |b| {
        b.iter(|| Recording::new(black_box(&year)).metrics(&Default::default()))
    });
    c.bench_function("year_1min/cole_kripke_mean", |b| {
        b.iter(|| cole_kripke(black_box(&year), &ck).expect("ck"))
    });
    c.bench_function("year_1min/sadeh", |b| {
        b.iter(|| sadeh(black_box(&year), &SadehOptions::default()))
    });
    c.bench_function("year_1min/roenneberg", |b| {
        b.iter(|| roenneberg(black_box(&year), &RoennebergOptions::default()))
    });
    c.bench_function("year_1min/inactivity_mask_120min", |b| {
        b.iter(|| inactivity_mask(black_box(&year), 120))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
