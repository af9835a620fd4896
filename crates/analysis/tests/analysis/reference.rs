//! Differential tests against pyActigraphy 1.2.2 fixtures
//! (`tests/reference/{recordings,expected}`, produced by
//! `tests/reference/generate.py`).

use std::path::PathBuf;

use chrono::NaiveDateTime;
use phr_analysis::{
    cole_kripke, inactivity_mask, oakley, roenneberg, sadeh, scripps, ColeKripkeOptions,
    ColeKripkeSettings, CountScale, EpochSeries, IsIvOptions, OakleyThreshold, Recording,
    RoennebergOptions, SadehOptions, SleepScores, WindowActivity,
};
use phr_model::CircadianMetrics;
use serde_json::Value;

const REL_TOL: f64 = 1e-9;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference")
}

fn parse_time(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("timestamp")
}

/// Plain-std CSV reader: `timestamp,count`, empty count = missing.
fn load_csv(name: &str) -> EpochSeries {
    let path = fixture_dir().join("recordings").join(format!("{name}.csv"));
    let text = std::fs::read_to_string(&path).expect("read csv");
    let mut times = Vec::new();
    let mut counts = Vec::new();
    for line in text.lines().skip(1) {
        let (ts, c) = line.split_once(',').expect("two columns");
        times.push(parse_time(ts));
        counts.push(if c.is_empty() {
            None
        } else {
            Some(c.parse::<f64>().expect("count"))
        });
    }
    let epoch = (times[1] - times[0]).num_seconds() as u32;
    for w in times.windows(2) {
        assert_eq!(
            (w[1] - w[0]).num_seconds(),
            i64::from(epoch),
            "regular series"
        );
    }
    EpochSeries::new(times[0], epoch, counts).expect("series")
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = fixture_dir().join("expected");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("expected dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "fixtures present");
    names
        .into_iter()
        .map(|p| {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
            (
                p.file_stem().expect("stem").to_string_lossy().into_owned(),
                v,
            )
        })
        .collect()
}

#[derive(Default)]
struct Report {
    checks: usize,
    failures: Vec<String>,
}

impl Report {
    fn fail(&mut self, msg: String) {
        self.failures.push(msg);
    }

    /// Compare a float metric: a number needs `|a-b| <= 1e-9 |b|` (or both 0);
    /// `null` (NaN in pyActigraphy) and `{"error": ..}` (pyActigraphy raises)
    /// need `None`.
    fn num(&mut self, what: &str, expected: &Value, got: Option<f64>) {
        self.checks += 1;
        match (expected.as_f64(), got) {
            (Some(e), Some(g)) => {
                if !close(e, g) {
                    self.fail(format!("{what}: expected {e:e}, got {g:e}"));
                }
            }
            (None, None) => {}
            (e, g) => self.fail(format!("{what}: expected {expected} ({e:?}), got {g:?}")),
        }
    }

    fn list(&mut self, what: &str, expected: &Value, got: &[Option<f64>]) {
        let Some(arr) = expected.as_array() else {
            self.fail(format!("{what}: pyActigraphy error {expected}"));
            return;
        };
        if arr.len() != got.len() {
            self.fail(format!(
                "{what}: {} periods expected, got {}",
                arr.len(),
                got.len()
            ));
            return;
        }
        for (i, (e, g)) in arr.iter().zip(got).enumerate() {
            self.num(&format!("{what}[{i}]"), e, *g);
        }
    }

    fn window(&mut self, what: &str, expected: &Value, got: Option<WindowActivity>) {
        self.checks += 1;
        if expected.get("error").is_some() {
            if got.is_some() {
                self.fail(format!("{what}: pyActigraphy raised, we returned {got:?}"));
            }
            return;
        }
        let Some(g) = got else {
            self.fail(format!("{what}: expected {expected}, got None"));
            return;
        };
        self.num(&format!("{what}.value"), &expected["value"], Some(g.value));
        let ties: Vec<u64> = expected["tied_onsets"]
            .as_array()
            .expect("ties")
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let onset = expected["onset_seconds"].as_u64().expect("onset");
        let ok = if ties.len() <= 1 {
            u64::from(g.onset_seconds) == onset
        } else {
            ties.contains(&u64::from(g.onset_seconds))
        };
        if !ok {
            self.fail(format!(
                "{what}.onset: expected {onset} (ties {ties:?}), got {}",
                g.onset_seconds
            ));
        }
    }

    fn scores(&mut self, what: &str, expected: &Value, got: Option<&SleepScores>) {
        self.checks += 1;
        if expected.get("error").is_some() {
            if let Some(g) = got {
                self.fail(format!(
                    "{what}: pyActigraphy raised, we scored {} epochs",
                    g.sleep.len()
                ));
            }
            return;
        }
        let Some(g) = got else {
            self.fail(format!("{what}: we failed, pyActigraphy scored"));
            return;
        };
        let start = parse_time(expected["start"].as_str().expect("start"));
        if g.start != start {
            self.fail(format!("{what}: start {start} vs {}", g.start));
        }
        if u64::from(g.epoch_seconds) != expected["epoch_seconds"].as_u64().expect("epoch") {
            self.fail(format!("{what}: epoch differs"));
        }
        let got_rle = rle(g.sleep.iter().map(|&s| Some(u8::from(s))));
        compare_rle(self, what, &expected["rle"], &got_rle);
    }
}

fn rle(values: impl Iterator<Item = Option<u8>>) -> Vec<(Option<u8>, usize)> {
    let mut out: Vec<(Option<u8>, usize)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

fn compare_rle(report: &mut Report, what: &str, expected: &Value, got: &[(Option<u8>, usize)]) {
    let exp: Vec<(Option<u8>, usize)> = expected
        .as_array()
        .expect("rle")
        .iter()
        .map(|r| {
            (
                r[0].as_u64().map(|v| v as u8),
                r[1].as_u64().expect("len") as usize,
            )
        })
        .collect();
    if exp != got {
        // Locate the first differing epoch.
        let expand = |r: &[(Option<u8>, usize)]| -> Vec<Option<u8>> {
            r.iter()
                .flat_map(|(v, n)| std::iter::repeat_n(*v, *n))
                .collect()
        };
        let (a, b) = (expand(&exp), expand(got));
        let first = a.iter().zip(&b).position(|(x, y)| x != y);
        let ndiff = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        report.fail(format!(
            "{what}: series differ (len {} vs {}, first diff at {first:?}, {ndiff} epochs differ)",
            a.len(),
            b.len()
        ));
    }
}

fn close(e: f64, g: f64) -> bool {
    e == g || (e - g).abs() <= REL_TOL * e.abs().max(g.abs())
}

fn scale_of(label: &str) -> CountScale {
    if label == "bin" {
        CountScale::Binarized { threshold: 4.0 }
    } else {
        CountScale::Raw
    }
}

fn period_seconds(p: &str) -> u64 {
    let days: u64 = p.trim_end_matches('D').parse().expect("period in days");
    days * 86_400
}

#[test]
fn circadian_metrics_match_pyactigraphy() {
    let mut report = Report::default();
    for (name, exp) in fixtures() {
        let series = load_csv(&name);
        assert_eq!(
            series.len() as u64,
            exp["len"].as_u64().expect("len"),
            "{name}"
        );
        let rec = Recording::new(&series);
        for label in ["raw", "bin"] {
            let e = &exp["circadian"][label];
            let scale = scale_of(label);
            let w = |what: &str| format!("{name}/{label}/{what}");
            for (key, freq) in [
                ("", 3600u32),
                ("_30min", 1800),
                ("_2h", 7200),
                ("_native", series.epoch_seconds),
            ] {
                let opts = IsIvOptions {
                    freq_seconds: freq,
                    scale,
                };
                report.num(
                    &w(&format!("IS{key}")),
                    &e[format!("IS{key}")],
                    rec.interdaily_stability(opts),
                );
                report.num(
                    &w(&format!("IV{key}")),
                    &e[format!("IV{key}")],
                    rec.intradaily_variability(opts),
                );
            }
            report.num(&w("L5"), &e["L5"], rec.l5(scale).map(|x| x.value));
            report.num(&w("M10"), &e["M10"], rec.m10(scale).map(|x| x.value));
            report.num(&w("RA"), &e["RA"], rec.relative_amplitude(scale));
            report.window(&w("L5_detail"), &e["L5_detail"], rec.l5(scale));
            report.window(&w("M10_detail"), &e["M10_detail"], rec.m10(scale));
            let p = period_seconds(e["period"].as_str().expect("period"));
            let opts = IsIvOptions {
                freq_seconds: 3600,
                scale,
            };
            report.list(
                &w("ISp"),
                &e["ISp"],
                &rec.interdaily_stability_per_period(p, opts),
            );
            report.list(
                &w("IVp"),
                &e["IVp"],
                &rec.intradaily_variability_per_period(p, opts),
            );
            let v = |x: Vec<Option<WindowActivity>>| {
                x.into_iter()
                    .map(|o| o.map(|w| w.value))
                    .collect::<Vec<_>>()
            };
            report.list(&w("L5p"), &e["L5p"], &v(rec.l5_per_period(p, scale)));
            report.list(&w("M10p"), &e["M10p"], &v(rec.m10_per_period(p, scale)));
            report.list(
                &w("RAp"),
                &e["RAp"],
                &rec.relative_amplitude_per_period(p, scale),
            );
        }
        // The fused full metric set is bit-identical to the individual methods.
        assert_full_set_matches(&rec, &name);
        let mask = inactivity_mask(&series, 120 * 60 / series.epoch_seconds as usize);
        assert_full_set_matches(
            &Recording::with_wear_mask(&series, &mask).expect("mask"),
            &name,
        );
    }
    println!("{} circadian checks", report.checks);
    assert!(
        report.failures.is_empty(),
        "{} failures:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
}

fn assert_full_set_matches(rec: &Recording, name: &str) {
    let all = rec.metrics(&Default::default());
    for (set, scale) in [
        (all.raw, CountScale::Raw),
        (all.binarized, CountScale::Binarized { threshold: 4.0 }),
    ] {
        let opts = IsIvOptions {
            freq_seconds: 3600,
            scale,
        };
        let (l5, m10) = (rec.l5(scale), rec.m10(scale));
        let single = CircadianMetrics {
            is: rec.interdaily_stability(opts),
            iv: rec.intradaily_variability(opts),
            l5: l5.map(|w| w.value),
            m10: m10.map(|w| w.value),
            ra: rec.relative_amplitude(scale),
            l5_onset: l5.map(|w| w.onset()),
            m10_onset: m10.map(|w| w.onset()),
        };
        assert_eq!(set, single, "{name} {scale:?}");
    }
}

#[test]
fn masked_metrics_match_pyactigraphy() {
    let mut report = Report::default();
    for (name, exp) in fixtures() {
        let series = load_csv(&name);
        let e = &exp["masked"];
        let min_epochs = e["min_epochs"].as_u64().expect("min") as usize;
        let mask = inactivity_mask(&series, min_epochs);
        let got = rle(mask.iter().map(|&m| Some(u8::from(m))));
        compare_rle(&mut report, &format!("{name}/mask"), &e["mask_rle"], &got);
        let rec = Recording::with_wear_mask(&series, &mask).expect("mask");
        for label in ["raw", "bin"] {
            let scale = scale_of(label);
            let w = |what: &str| format!("{name}/masked/{label}/{what}");
            let opts = IsIvOptions {
                freq_seconds: 3600,
                scale,
            };
            let m = &e[label];
            report.num(&w("IS"), &m["IS"], rec.interdaily_stability(opts));
            report.num(&w("IV"), &m["IV"], rec.intradaily_variability(opts));
            report.num(&w("L5"), &m["L5"], rec.l5(scale).map(|x| x.value));
            report.num(&w("M10"), &m["M10"], rec.m10(scale).map(|x| x.value));
            report.num(&w("RA"), &m["RA"], rec.relative_amplitude(scale));
        }
    }
    println!("{} masked checks", report.checks);
    assert!(
        report.failures.is_empty(),
        "{} failures:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
}

#[test]
fn sleep_wake_scorers_match_pyactigraphy() {
    let mut report = Report::default();
    for (name, exp) in fixtures() {
        let series = load_csv(&name);
        let s = &exp["scoring"];
        for (key, settings) in [
            ("mean", ColeKripkeSettings::Mean),
            ("10sec_max_overlap", ColeKripkeSettings::TenSecMaxOverlap),
            (
                "10sec_max_non_overlap",
                ColeKripkeSettings::TenSecMaxNonOverlap,
            ),
            (
                "30sec_max_non_overlap",
                ColeKripkeSettings::ThirtySecMaxNonOverlap,
            ),
        ] {
            for rescoring in [true, false] {
                let k = format!("CK_{key}{}", if rescoring { "" } else { "_norescore" });
                let opts = ColeKripkeOptions {
                    settings,
                    threshold: 1.0,
                    rescoring,
                };
                let got = cole_kripke(&series, &opts).ok();
                report.scores(&format!("{name}/{k}"), &s[&k], got.as_ref());
            }
        }
        report.scores(
            &format!("{name}/Sadeh"),
            &s["Sadeh"],
            Some(&sadeh(&series, &SadehOptions::default())),
        );
        report.scores(
            &format!("{name}/Scripps"),
            &s["Scripps"],
            Some(&scripps(&series, 1.0)),
        );
        for (key, thr) in [
            ("Oakley_20", OakleyThreshold::Fixed(20.0)),
            ("Oakley_40", OakleyThreshold::Fixed(40.0)),
            ("Oakley_80", OakleyThreshold::Fixed(80.0)),
            ("Oakley_automatic", OakleyThreshold::Automatic),
        ] {
            let got = oakley(&series, thr).ok();
            if s.get(key).is_some() {
                report.scores(&format!("{name}/{key}"), &s[key], got.as_ref());
            } else {
                report.checks += 1;
                if got.is_some() {
                    report.fail(format!(
                        "{name}/{key}: epoch not supported by Oakley but we scored"
                    ));
                }
            }
        }
    }
    for (name, exp) in fixtures() {
        let series = load_csv(&name);
        let s = &exp["scoring"];
        // Roenneberg: 1 rest, 0 activity, null = NaN (undefined trend).
        let det = roenneberg(&series, &RoennebergOptions::default());
        assert_eq!(
            phr_analysis::rest_periods(&series, &RoennebergOptions::default()),
            det.periods,
            "{name}: the periods alone are roenneberg's"
        );
        let e = &s["Roenneberg"];
        report.checks += 1;
        if e.get("error").is_none() {
            let got = rle(det.rest.iter().map(|v| v.map(u8::from)));
            compare_rle(&mut report, &format!("{name}/Roenneberg"), &e["rle"], &got);
        }
    }
    println!("{} scoring checks", report.checks);
    assert!(
        report.failures.is_empty(),
        "{} failures:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
}

/// Not a pyActigraphy comparison (it has no per-night summary): Roenneberg
/// rest periods + Cole-Kripke on the 1-minute fixtures give one plausible
/// episode per night, and the episode metrics are internally consistent.
#[test]
fn sleep_episodes_are_consistent_on_fixtures() {
    for name in ["regular_9d", "partial_days", "odd_start_gaps", "zero_days"] {
        let series = load_csv(name);
        let det = phr_analysis::roenneberg(&series, &RoennebergOptions::default());
        let ck = cole_kripke(
            &series,
            &ColeKripkeOptions {
                settings: ColeKripkeSettings::Mean,
                ..Default::default()
            },
        )
        .expect("ck");
        let eps = phr_analysis::sleep_episodes(&series, &det.periods, &ck, 1);
        assert!(eps.len() >= 5, "{name}: {} episodes", eps.len());
        for e in &eps {
            assert!(
                e.total_sleep_seconds + e.sleep_onset_latency_seconds + e.waso_seconds
                    <= e.time_in_bed_seconds,
                "{name}: {e:?}"
            );
            assert!((0.0..=1.0).contains(&e.sleep_efficiency));
            assert!(
                e.time_in_bed_seconds >= 30 * 60 && e.time_in_bed_seconds <= 12 * 3600,
                "{name}: {e:?}"
            );
        }
        // On the regular recording: the 30-min naps every third day are
        // episodes too; the main episodes (>= 3 h) are one per night.
        if name == "regular_9d" {
            let main: Vec<_> = eps
                .iter()
                .filter(|e| e.time_in_bed_seconds >= 3 * 3600)
                .collect();
            let naps = eps.len() - main.len();
            assert!((1..=3).contains(&naps), "{eps:#?}");
            let mut nights: Vec<_> = main.iter().map(|e| e.night_of).collect();
            nights.dedup();
            assert_eq!(nights.len(), main.len(), "{eps:#?}");
            assert_eq!(main.len(), 9);
            let mean_tib =
                main.iter().map(|e| e.time_in_bed_seconds).sum::<u64>() as f64 / main.len() as f64;
            assert!(
                (6.0 * 3600.0..10.0 * 3600.0).contains(&mean_tib),
                "mean TIB {mean_tib}"
            );
        }
    }
}
