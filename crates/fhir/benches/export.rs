//! A year of daily summaries (steps and a night's sleep per day, weekly
//! circadian metrics) plus 30 days of minute-level activity: mapped to FHIR
//! R4, packed into transaction bundles of 100 entries and serialized. The
//! sizes are printed once; `scripts/bench_fhir_validation.sh` times the
//! validators on the same output.
#![allow(missing_docs)]

use chrono::{Duration, NaiveDate, NaiveTime};
use criterion::{criterion_group, Criterion};
use phr_fhir::{
    circadian_metrics, daily_steps, minute_activity, sleep_episode, transaction_bundles,
    CircadianSummary, DailySteps, ExportContext, MinuteActivityDay, Resource, SleepSummary,
    TransactionOptions,
};
use phr_model::{CircadianMetrics, Device, DeviceId, Person, PersonId, Role, Stamp};

const JST: i32 = 9 * 3600;

fn midnight(date: NaiveDate) -> Stamp {
    let utc = date
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp()
        - i64::from(JST);
    Stamp::new(utc, JST)
}

fn resources() -> (Vec<Resource>, Vec<Resource>, ExportContext) {
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    let context = ExportContext::new("bench-person-key", midnight(first + Duration::days(366)))
        .expect("context");
    let device_context = context.clone().with_device("bench:watch");
    let person = Person {
        id: PersonId(1),
        display_name: "Bench".into(),
        time_zone: "Asia/Tokyo".into(),
        role: Role::Owner,
        birth_date: None,
    };
    let watch = Device {
        id: DeviceId(1),
        person: PersonId(1),
        source_key: "bench:watch".into(),
        label: "Bench watch".into(),
        manufacturer: Some("Pine64".into()),
        model: Some("PineTime".into()),
        serial: Some("BENCH-1".into()),
        firmware: Some("1.14.0".into()),
    };
    let shared = vec![
        Resource::from(phr_fhir::patient(&context, &person)),
        Resource::from(phr_fhir::device(&context, &watch)),
    ];
    let mut out = Vec::new();
    for day in 0..365 {
        let date = first + Duration::days(day);
        let steps = DailySteps {
            date,
            steps: 4000 + (day as u32 * 37) % 5000,
            completeness: Some(0.97),
        };
        out.push(daily_steps(&device_context, &steps).expect("steps").into());
        let start = midnight(date).plus_seconds(23 * 3600);
        let sleep = SleepSummary {
            start,
            end: start.plus_seconds(7 * 3600 + 20 * 60),
            is_main: true,
            method: "device".into(),
            total_minutes: Some(410.0),
            deep_minutes: Some(80.0),
            light_minutes: Some(250.0),
            rem_minutes: Some(80.0),
            latency_minutes: Some(12.0),
            waso_minutes: Some(28.0),
            efficiency: Some(0.93),
            awakenings: Some(4),
        };
        out.push(
            sleep_episode(&device_context, &sleep)
                .expect("sleep")
                .into(),
        );
        if day % 7 == 6 {
            let metrics = CircadianSummary {
                period_from: date - Duration::days(6),
                period_to: date,
                metrics: CircadianMetrics {
                    is: Some(0.71),
                    iv: Some(0.62),
                    ra: Some(0.88),
                    l5: Some(3.2),
                    m10: Some(260.0),
                    l5_onset: NaiveTime::from_hms_opt(1, 30, 0),
                    m10_onset: NaiveTime::from_hms_opt(9, 0, 0),
                },
                binarized: false,
                threshold: None,
            };
            out.push(
                circadian_metrics(&context, &metrics)
                    .expect("circadian")
                    .into(),
            );
        }
        if day >= 335 {
            let counts = (0..1440).map(|m| Some(((m * 7919) % 600) as u32)).collect();
            let minutes = MinuteActivityDay {
                date,
                start: midnight(date),
                counts,
            };
            out.push(
                minute_activity(&device_context, &minutes)
                    .expect("minutes")
                    .into(),
            );
        }
    }
    (shared, out, context)
}

fn export(shared: &[Resource], resources: &[Resource], context: &ExportContext) -> (usize, usize) {
    let options = TransactionOptions {
        max_entries: 100,
        provenance: Some(context),
    };
    let bundles = transaction_bundles(shared, resources, &options).expect("bundles");
    let bytes = bundles
        .iter()
        .map(|b| serde_json::to_vec(b).expect("json").len())
        .sum();
    (bundles.len(), bytes)
}

fn bench(c: &mut Criterion) {
    let (shared, observations, context) = resources();
    let (n_bundles, bytes) = export(&shared, &observations, &context);
    println!(
        "{} observations -> {n_bundles} transaction bundles, {:.1} KiB of JSON ({:.0} bytes per observation)",
        observations.len(),
        bytes as f64 / 1024.0,
        bytes as f64 / observations.len() as f64
    );
    if let Ok(dir) = std::env::var("FHIR_BENCH_OUT") {
        let options = TransactionOptions {
            max_entries: 100,
            provenance: Some(&context),
        };
        for (idx, bundle) in transaction_bundles(&shared, &observations, &options)
            .expect("bundles")
            .iter()
            .enumerate()
        {
            std::fs::write(
                format!("{dir}/bundle-{idx:03}.json"),
                serde_json::to_vec(bundle).expect("json"),
            )
            .expect("write");
        }
        let mut all = shared.clone();
        all.extend(observations.iter().cloned());
        for (name, text) in phr_fhir::ndjson_files(&all).expect("ndjson") {
            std::fs::write(format!("{dir}/{name}"), text).expect("write");
        }
    }
    let mut group = c.benchmark_group("fhir_year_daily_plus_30_days_minutes");
    group.sample_size(20);
    group.bench_function("map", |b| b.iter(resources));
    group.bench_function("bundle_and_serialize", |b| {
        b.iter(|| export(&shared, &observations, &context))
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
