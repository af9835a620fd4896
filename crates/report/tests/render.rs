//! Renders a constructed two-week report in both languages: HTML against
//! committed snapshots, PDF through poppler (`pdftoppm`, `pdftotext`,
//! `pdffonts`), font coverage of every printed character.

use chrono::{Duration, NaiveDate, NaiveTime};
use phr_model::{CircadianMetrics, Lang};
use phr_report::{AlertItem, DayActivity, Night, ReportFonts, ReportInput, Source, Week};
use std::path::Path;
use std::process::Command;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("valid date")
}

/// Fourteen days: active 07:00–22:59, asleep otherwise, a two-hour gap on
/// day 5, an unworn day 9, a restless night on day 11.
fn input(lang: Lang) -> ReportInput {
    let from = day(2);
    let days: Vec<DayActivity> = (0..14)
        .map(|i| {
            let date = from + Duration::days(i);
            let minutes = (0..1440)
                .map(|m| {
                    let hour = m / 60;
                    if i == 7 || (i == 3 && (600..720).contains(&m)) {
                        return None;
                    }
                    let awake = (7..23).contains(&hour) || (i == 9 && (2..4).contains(&hour));
                    Some(if awake {
                        150.0 + f64::from((m * 37 + i as u32 * 11) % 97)
                    } else {
                        f64::from(m % 3)
                    })
                })
                .collect();
            DayActivity {
                date,
                minutes,
                skipped: 0..0,
            }
        })
        .collect();
    let nights: Vec<Night> = (0..13)
        .filter(|i| *i != 7 && *i != 6)
        .map(|i| {
            let date = from + Duration::days(i);
            let at = |d: NaiveDate, h, m| d.and_hms_opt(h, m, 0).expect("valid time");
            Night {
                night_of: date,
                bed: at(date, 23, 0),
                onset: at(date, 23, 12),
                wake: at(date + Duration::days(1), 7, 0),
                total_sleep_minutes: if i == 9 { 330.0 } else { 445.0 },
                efficiency: if i == 9 { 0.69 } else { 0.93 },
                waso_minutes: if i == 9 { 130.0 } else { 21.0 },
                awakenings: if i == 9 { 9 } else { 2 },
            }
        })
        .collect();
    let metrics = |is: f64| CircadianMetrics {
        is: Some(is),
        iv: Some(0.42),
        ra: Some(0.97),
        l5: Some(1.1),
        m10: Some(198.4),
        l5_onset: NaiveTime::from_hms_opt(1, 0, 0),
        m10_onset: NaiveTime::from_hms_opt(9, 0, 0),
    };
    let explanation = match lang {
        Lang::En => "Active 118 minutes between 02:00 and 04:00, usually 6 (14-day median).",
        Lang::Ja => "02:00〜04:00に118分活動しました（普段は6分、14日間の中央値）。",
    };
    ReportInput {
        lang,
        person_name: "Hanako Sato".into(),
        time_zone: "Asia/Tokyo".into(),
        from,
        to: day(15),
        generated: day(16).and_hms_opt(9, 30, 0).expect("valid time"),
        software: "phr 0.0.0-test".into(),
        steps: (0..14)
            .map(|i| {
                (
                    from + Duration::days(i),
                    (i != 7).then_some(4000 + 250 * i as u64),
                )
            })
            .collect(),
        worn: (0..14)
            .map(|i| {
                let f = match i {
                    7 => 0.0,
                    3 => 0.92,
                    _ => 1.0,
                };
                (from + Duration::days(i), f)
            })
            .collect(),
        days,
        nights,
        circadian: metrics(0.71),
        weekly: vec![
            Week {
                from,
                metrics: metrics(0.74),
                worn_fraction: 0.99,
            },
            Week {
                from: from + Duration::days(7),
                metrics: metrics(0.63),
                worn_fraction: 0.84,
            },
        ],
        alerts: vec![AlertItem {
            kind: "night_activity".into(),
            severity: "warning".into(),
            start: day(12).and_hms_opt(2, 0, 0).expect("valid time"),
            end: day(12).and_hms_opt(4, 0, 0).expect("valid time"),
            explanation: explanation.into(),
            acknowledged_note: Some("Called her daughter <ok>".into()),
        }],
        sources: vec![Source {
            label: "Bangle.js 2".into(),
            model: Some("Bangle.js 2".into()),
            serial: Some("F1:22:33:44:55:66".into()),
            firmware: Some("2v25".into()),
        }],
        settings: vec![(
            "Sleep scoring".into(),
            "Cole-Kripke (mean), Webster rescoring".into(),
        )],
    }
}

fn check_snapshot(name: &str, html: &str) {
    // Charts are checked on their own; the snapshot covers the text.
    let mut normalised = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        normalised.push_str(&rest[..start]);
        normalised.push_str("<svg/>");
        let end = rest[start..]
            .find("</svg>")
            .map_or(rest.len(), |e| start + e + 6);
        rest = &rest[end..];
    }
    normalised.push_str(rest);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &normalised).expect("write snapshot");
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {name}; run with UPDATE_SNAPSHOTS=1"));
    assert_eq!(
        normalised, expected,
        "HTML of {name} changed; review and run with UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn html_matches_snapshots_in_both_languages() {
    for (lang, name) in [(Lang::En, "report.en.html"), (Lang::Ja, "report.ja.html")] {
        let html = phr_report::html(&input(lang)).expect("html");
        assert_eq!(html.matches("<svg").count(), 2, "actogram and trend");
        assert!(!html.contains("<script"), "no scripts");
        for remote in ["src=\"http", "href=\"http", "<link", "url(http", "@import"] {
            assert!(!html.contains(remote), "remote content: {remote}");
        }
        assert!(
            html.contains("Called her daughter &lt;ok&gt;"),
            "text is escaped"
        );
        // The embedded actogram is the same SVG the PDF draws: clock-time
        // ticks and the key.
        let key = match lang {
            Lang::En => "Night (detected rest period)",
            Lang::Ja => "夜間（検出した休息期間）",
        };
        assert!(html.contains("06:00") && !html.contains("06hour") && html.contains(key));
        check_snapshot(name, &html);
    }
}

fn tool(name: &str, args: &[&str]) -> std::process::Output {
    let output = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} (poppler-utils) must be installed: {e}"));
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn pdf_renders_and_reads_back_in_both_languages() {
    let fonts = ReportFonts::find().expect("Noto Sans CJK must be installed (fonts-noto-cjk)");
    let dir = tempfile::tempdir().expect("temp dir");
    for (lang, title, tst) in [
        (Lang::En, "Activity and sleep summary", "7 h 25 min"),
        (Lang::Ja, "活動と睡眠のサマリー", "7時間25分"),
    ] {
        let input = input(lang);
        let text = phr_report::printed_text(&input).expect("text");
        assert!(
            fonts.covers(&text),
            "the font lacks a glyph the {lang:?} report prints"
        );
        let pdf = phr_report::pdf(&input, &fonts).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        // The CJK font is ~19 MB; a subset keeps the file small.
        assert!(
            pdf.len() < 1_500_000,
            "{} bytes: font not subset?",
            pdf.len()
        );
        let path = dir.path().join(format!("report-{}.pdf", lang.tag()));
        std::fs::write(&path, &pdf).expect("write pdf");
        if let Some(keep) = std::env::var_os("REPORT_KEEP_DIR") {
            // For looking at the pages by eye.
            std::fs::copy(
                &path,
                Path::new(&keep).join(path.file_name().expect("name")),
            )
            .expect("copy");
        }
        let p = path.to_str().expect("utf-8 path");
        let fonts_out = String::from_utf8(tool("pdffonts", &[p]).stdout).expect("utf-8");
        let embedded: Vec<&str> = fonts_out.lines().skip(2).collect();
        assert!(!embedded.is_empty(), "{fonts_out}");
        for line in &embedded {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // name type encoding emb sub uni object ID
            let n = cols.len();
            assert_eq!(
                &cols[n - 5..n - 2],
                &["yes", "yes", "yes"],
                "embedded, subset, unicode: {line}"
            );
        }
        let extracted =
            String::from_utf8(tool("pdftotext", &["-layout", p, "-"]).stdout).expect("utf-8");
        assert!(extracted.contains(title), "{extracted}");
        assert!(extracted.contains(tst), "total sleep shown");
        assert!(extracted.contains("Hanako Sato"));
        // Two full pages; the analysis settings once spilled onto a third
        // page of their own.
        let pages: Vec<&str> = extracted
            .split('\x0c')
            .filter(|p| !p.trim().is_empty())
            .collect();
        assert_eq!(pages.len(), 2, "{lang:?}: {} pages", pages.len());
        let settings = match lang {
            Lang::En => "Analysis settings",
            Lang::Ja => "解析の設定",
        };
        assert!(
            pages[1].contains(settings) && pages[1].contains("Cole-Kripke"),
            "the settings heading stays with its lines"
        );
        let png = dir.path().join(format!("page-{}", lang.tag()));
        tool(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "40",
                "-f",
                "1",
                "-l",
                "1",
                p,
                png.to_str().expect("utf-8"),
            ],
        );
        let page = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("page-{}", lang.tag()))
            })
            .expect("a PNG page");
        let bytes = std::fs::read(page.path()).expect("png");
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000,
            "{} bytes",
            bytes.len()
        );
    }
}

/// A harder fortnight: clocks go forward on day 6 (02:00–02:59 skipped),
/// IS above 1, and alerts with long texts in both languages.
fn hard_input(lang: Lang) -> ReportInput {
    let mut input = input(lang);
    let spring = &mut input.days[5];
    spring.skipped = 120..180;
    for m in &mut spring.minutes[120..180] {
        *m = None;
    }
    input.circadian.is = Some(1.08);
    input.weekly[1].metrics.is = Some(1.21);
    let at = |d, h| day(d).and_hms_opt(h, 0, 0).expect("valid time");
    let (why, note) = match lang {
        Lang::En => (
            "Interdaily stability fell from 0.74 to 0.41 over two weeks while night-time activity rose to 118 minutes, usually 6 (14-day median).",
            "Called her daughter; a home visit is booked for next Wednesday morning",
        ),
        Lang::Ja => (
            "2週間で日間安定性が0.74から0.41に低下し、夜間の活動が118分に増えました（普段は6分、14日間の中央値）。",
            "娘さんに電話し、来週水曜日の午前に訪問を予約しました",
        ),
    };
    input.alerts.push(AlertItem {
        kind: "rhythm_decline".into(),
        severity: "urgent".into(),
        start: at(9, 22),
        end: at(13, 6),
        explanation: why.into(),
        acknowledged_note: Some(note.into()),
    });
    input
}

#[test]
fn a_hard_period_explains_itself_in_both_languages() {
    let fonts = ReportFonts::find().expect("a report font");
    let dir = tempfile::tempdir().expect("temp dir");
    for (lang, is_note, key) in [
        (Lang::En, "Above 1 here", "Clock changed"),
        (Lang::Ja, "1を超えています", "時刻変更"),
    ] {
        let input = hard_input(lang);
        let html = phr_report::html(&input).expect("html");
        assert!(html.contains(is_note) && html.contains("1.080") && html.contains("1.210 *"));
        assert!(html.contains(key));
        let text = phr_report::printed_text(&input).expect("text");
        assert!(
            fonts.covers(&text),
            "the font lacks a glyph the {lang:?} report prints"
        );
        let pdf = phr_report::pdf(&input, &fonts).expect("pdf");
        let path = dir.path().join(format!("hard-{}.pdf", lang.tag()));
        std::fs::write(&path, &pdf).expect("write pdf");
        if let Some(keep) = std::env::var_os("REPORT_KEEP_DIR") {
            std::fs::copy(
                &path,
                Path::new(&keep).join(path.file_name().expect("name")),
            )
            .expect("copy");
        }
        let p = path.to_str().expect("utf-8 path");
        let extracted = String::from_utf8(tool("pdftotext", &[p, "-"]).stdout).expect("utf-8");
        assert!(extracted.contains(is_note), "{extracted}");
        // The last section stays whole rather than leaving its last lines
        // alone on a page.
        let last = extracted
            .split('\x0c')
            .rfind(|p| !p.trim().is_empty())
            .expect("a page");
        let sources = match lang {
            Lang::En => "Sources and settings",
            Lang::Ja => "データ元と設定",
        };
        assert!(
            last.contains(sources) && last.contains("Cole-Kripke"),
            "{last}"
        );
        // The longest gap is day 9's 24 hours, not the skipped hour.
        assert!(!extracted.contains("2026-11-07 02:00"));
    }
}
