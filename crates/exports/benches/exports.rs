//! Reading other apps' exports: Apple Health's export.xml streamed from
//! memory (`cargo bench -p phr-exports --bench exports`). The whole-process
//! figures on a year (hundreds of MB) are in docs/benchmarks.md.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::fmt::Write;
use std::ops::ControlFlow;

const WATCH: &str = "sourceName=\"Hanako&#8217;s Apple Watch\" sourceVersion=\"10.3\" device=\"&lt;&lt;HKDevice: 0x28&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.3&gt;\"";

/// `days` days shaped like a real export: steps every 10 minutes from the
/// watch and the phone, heart rate every 4 minutes, calories every minute
/// (counted and left out), one staged night.
fn export_xml(days: u32) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n]>\n<HealthData locale=\"ja_JP\">\n",
    );
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("time");
    let stamp = |minute: i64| {
        (start + chrono::Duration::minutes(minute))
            .format("%Y-%m-%d %H:%M:%S +0900")
            .to_string()
    };
    for minute in 0..i64::from(days) * 1440 {
        let (t, t1) = (stamp(minute), stamp(minute + 1));
        let _ = writeln!(out, " <Record type=\"HKQuantityTypeIdentifierActiveEnergyBurned\" {WATCH} unit=\"kcal\" creationDate=\"{t1}\" startDate=\"{t}\" endDate=\"{t1}\" value=\"1.5\"/>");
        if minute % 10 == 0 {
            let t10 = stamp(minute + 10);
            let _ = writeln!(out, " <Record type=\"HKQuantityTypeIdentifierStepCount\" {WATCH} unit=\"count\" creationDate=\"{t10}\" startDate=\"{t}\" endDate=\"{t10}\" value=\"{}\"/>", minute % 700);
            let _ = writeln!(out, " <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"iPhone\" unit=\"count\" creationDate=\"{t10}\" startDate=\"{t}\" endDate=\"{t10}\" value=\"{}\"/>", minute % 500);
        }
        if minute % 4 == 0 {
            let _ = writeln!(out, " <Record type=\"HKQuantityTypeIdentifierHeartRate\" {WATCH} unit=\"count/min\" creationDate=\"{t}\" startDate=\"{t}\" endDate=\"{t}\" value=\"{}\"/>", 55 + minute % 40);
        }
        if minute % 1440 == 1380 {
            let end = stamp(minute + 480);
            let _ = writeln!(out, " <Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" {WATCH} startDate=\"{t}\" endDate=\"{end}\" value=\"HKCategoryValueSleepAnalysisAsleepCore\"/>");
        }
    }
    out.push_str("</HealthData>\n");
    out
}

fn apple_health(c: &mut Criterion) {
    let xml = export_xml(30);
    let mut group = c.benchmark_group("apple_health");
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.sample_size(10);
    group.bench_function("30 days, export.xml from memory", |b| {
        b.iter(|| {
            phr_exports::apple_health::parse_apple_health_xml(
                xml.as_bytes(),
                "export.xml",
                chrono_tz::Asia::Tokyo,
                &mut |_| ControlFlow::Continue(()),
            )
            .expect("parses")
        })
    });
    group.finish();
}

criterion_group!(benches, apple_health);
criterion_main!(benches);
