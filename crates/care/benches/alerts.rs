//! What the façade runs after an import or when alerts are listed: daily
//! features (wear, the learned night, bouts) and every rule, day by day,
//! over a year of one person's minute activity (phr-synth, Asia/Tokyo).

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use chrono::{Duration, NaiveDate};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use phr_care::{daily_features, evaluate_history, AlertSettings, FeatureSettings, Recordings};
use phr_model::PersonId;
use phr_synth::{generate, Scenario};

fn year(c: &mut Criterion) {
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let zone = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let mut scenario = Scenario::ordinary(7, start, 365, zone);
    scenario.wandering_nights = (0..12)
        .map(|k| start + Duration::days(20 + 29 * k))
        .collect();
    let log = generate(&scenario);
    let recordings = Recordings {
        activity: &log.activity,
        heart_rate: &log.heart_rate,
        sleep: &log.sleep,
    };
    let last = start + Duration::days(364);
    let settings = FeatureSettings::default();
    let mut group = c.benchmark_group("year_1min");
    group.sample_size(10);
    group.bench_function("daily_features", |b| {
        b.iter(|| daily_features(black_box(&recordings), start, last, &settings))
    });
    let days = daily_features(&recordings, start, last, &settings);
    group.bench_function("evaluate_history", |b| {
        b.iter(|| evaluate_history(PersonId(1), black_box(&days), &AlertSettings::default()))
    });
    group.finish();
}

criterion_group!(benches, year);
criterion_main!(benches);
