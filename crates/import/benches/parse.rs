//! The readers on a year of 1-minute epochs (525,600 rows): the minute CSV
//! in its common fixed layout (read in place, by hand), the same rows in a
//! layout only chrono's format strings read (`2025/01/01 00:00:00`, the
//! general path), in a zone with daylight saving, and an Actiwatch AWD.
//! The counts are those of `crates/analysis/benches/actigraphy.rs` and
//! `tests/reference/year_csv.py` (same splitmix64 generator).

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The synthetic year's counts, `None` for the 3-hour gap every 40th day.
fn counts() -> Vec<Option<u64>> {
    (0..365 * 1440u64)
        .map(|i| {
            let (m, d) = (i % 1440, i / 1440);
            if d % 40 == 39 && (600..780).contains(&m) {
                return None;
            }
            let shifted = (m + 120) % 1440;
            let night = (i + 120) / 1440;
            let onset = 30 + splitmix64(night * 2) % 61;
            let offset = 510 + splitmix64(night * 2 + 1) % 61;
            let r = splitmix64(i + 1_000_000);
            Some(if shifted >= onset && shifted < offset {
                if r % 100 < 3 {
                    (r >> 8) % 50
                } else {
                    0
                }
            } else {
                50 + (r >> 8) % 400
            })
        })
        .collect()
}

/// The year as a minute CSV with dates written `YYYY{sep}MM{sep}DD`.
fn year_csv(counts: &[Option<u64>], sep: char) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    let date_format = format!("%Y{sep}%m{sep}%d");
    let mut out = String::from("timestamp,count\n");
    for (i, count) in counts.iter().enumerate() {
        let day = start + chrono::Days::new(i as u64 / 1440);
        let m = i % 1440;
        let date = day.format(&date_format);
        let _ = write!(out, "{date} {:02}:{:02}:00,", m / 60, m % 60);
        if let Some(c) = count {
            let _ = write!(out, "{c}");
        }
        out.push('\n');
    }
    out
}

/// The year as an AWD (gaps written as zero: AWD has no missing value).
fn year_awd(counts: &[Option<u64>]) -> String {
    let mut out = String::from("year\n01-Jan-2025\n00:00\n4\n40\nD12345\nM\n");
    for c in counts {
        let _ = writeln!(out, "{} , 0", c.unwrap_or(0));
    }
    out
}

fn bench(c: &mut Criterion) {
    let counts = counts();
    let fixed = year_csv(&counts, '-');
    let general = year_csv(&counts, '/');
    let awd = year_awd(&counts);
    let utc = chrono_tz::UTC;
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().expect("zone");
    let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().expect("zone");
    let csv = |text: &str, zone| {
        phr_import::parse_minute_csv(black_box(text.as_bytes()), "year.csv", zone, |_| {})
            .expect("parses")
    };
    assert_eq!(csv(&fixed, utc), csv(&general, utc));
    assert_eq!(csv(&fixed, utc).epochs.len(), 523_980);
    let mut group = c.benchmark_group("year_1min");
    group.sample_size(20);
    group.bench_function("minute_csv_fixed_layout_utc", |b| {
        b.iter(|| csv(&fixed, utc))
    });
    group.bench_function("minute_csv_fixed_layout_asia_tokyo", |b| {
        b.iter(|| csv(&fixed, tokyo))
    });
    group.bench_function("minute_csv_general_path_utc", |b| {
        b.iter(|| csv(&general, utc))
    });
    group.bench_function("minute_csv_fixed_layout_utc_to_grid", |b| {
        b.iter(|| csv(&fixed, utc).into_recording())
    });
    group.bench_function("awd", |b| {
        b.iter(|| phr_import::parse_awd(black_box(awd.as_bytes()), "year.awd", |_| {}))
    });
    // Berlin: the year's local times skip an hour in March, so only the
    // part before that parses; time the first 12 weeks.
    let weeks: String = fixed
        .lines()
        .take(1 + 12 * 7 * 1440)
        .map(|l| format!("{l}\n"))
        .collect();
    group.bench_function("minute_csv_fixed_layout_12_weeks_europe_berlin", |b| {
        b.iter(|| csv(&weeks, berlin))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
