//! The clinician's summary from a vault holding a year of minute data for
//! each of three people (the owner and two people cared for): a 90-day
//! report, as PDF and as HTML, end to end (vault reads, analysis, alert
//! evaluation, charts, layout, font subsetting, audit entry).
#![allow(missing_docs)]

use chrono::{Days, NaiveDate};
use criterion::Criterion;
use phr_api::{Lang, Phr, ReportFormat};

fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let today = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let mut phr = Phr::init(
        &dir.path().join("bench.phr"),
        "bench passphrase 1234",
        "Owner",
        "Asia/Tokyo",
    )
    .expect("vault");
    phr.add_person("Tanaka Haruko", "Asia/Tokyo")
        .expect("person");
    phr.add_person("Sato Kenji", "Asia/Tokyo").expect("person");
    for (person, seed) in [("1", 1), ("2", 2), ("3", 3)] {
        phr.sync_demo(Some(person), today, 365, seed)
            .expect("a year");
    }
    let days = phr.days(Some("2")).expect("days");
    let bytes: u64 = ["bench.phr", "bench.phr-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    eprintln!("vault: 3 people, {} days each, {bytes} bytes", days.len());
    let (from, to) = (today - Days::new(90), today - Days::new(1));
    let now = chrono::NaiveDateTime::new(today, chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp();
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    let mut group = c.benchmark_group("report_90_days_of_a_year");
    for (name, format) in [("pdf", ReportFormat::Pdf), ("html", ReportFormat::Html)] {
        let rendered = phr
            .report(Some("2"), from, to, Lang::Ja, format, now)
            .expect("report");
        eprintln!(
            "{name}: {} bytes, {} nights, {} alerts",
            rendered.bytes.len(),
            rendered.nights,
            rendered.alerts
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                phr.report(Some("2"), from, to, Lang::Ja, format, now)
                    .expect("report")
            })
        });
    }
    group.finish();
    c.final_summary();
}
