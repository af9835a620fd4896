//! A report laid out as text: every figure formatted in the report's
//! language. Both renderers (HTML and PDF) draw this same view, so they
//! cannot disagree.

use crate::model::ReportInput;
use crate::text::{self, labels};
use crate::{charts, ReportError};
use phr_model::Lang;
use serde::Serialize;
use std::collections::BTreeMap;

/// Days with less than this share worn are flagged in the days table, and
/// weeks below it in the trend.
const THIN: f64 = 0.7;

/// A table: headers and rows of cells.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Relative column widths (PDF).
    #[serde(skip)]
    pub widths: Vec<f32>,
}

/// A labelled figure.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Figure {
    pub label: String,
    pub value: String,
}

/// A metric with its one-line meaning.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MetricLine {
    pub name: String,
    pub value: String,
    pub meaning: String,
}

/// The whole report as text and SVG.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct View {
    pub lang: &'static str,
    pub title: String,
    pub header: Vec<Figure>,
    pub glance_title: String,
    pub glance: Vec<Figure>,
    pub actogram_title: String,
    pub actogram_caption: String,
    pub actogram_svg: String,
    pub circadian_title: String,
    pub metrics_headers: Vec<String>,
    pub metrics: Vec<MetricLine>,
    pub weekly_title: String,
    pub weekly_svg: String,
    pub weekly: Table,
    /// Said under the weekly table when a week's IS is above 1 (marked `*`).
    pub weekly_note: Option<String>,
    pub days_title: String,
    pub days: Table,
    pub completeness_title: String,
    pub completeness: Vec<String>,
    pub alerts_title: String,
    pub alerts: Table,
    pub no_alerts: Option<String>,
    pub sources_title: String,
    pub sources: Table,
    pub no_sources: Option<String>,
    pub settings_title: String,
    pub settings: Vec<Figure>,
    pub footer: String,
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn completeness_lines(input: &ReportInput) -> Vec<String> {
    let lang = input.lang;
    let days = input.worn.len();
    let worn = mean(input.worn.iter().map(|(_, f)| *f)).unwrap_or(0.0);
    let thin: Vec<String> = input
        .worn
        .iter()
        .filter(|(_, f)| *f < THIN)
        .map(|(d, f)| format!("{} ({})", text::date(lang, *d), text::percent(*f)))
        .collect();
    // The longest run of consecutive minutes without data. Minutes a clock
    // change skipped did not exist: they neither count nor end a run.
    let mut longest = (0usize, None);
    let mut run = (0usize, None);
    for day in &input.days {
        for (i, m) in day.minutes.iter().enumerate() {
            if day.skipped.contains(&i) {
                continue;
            }
            if m.is_none() {
                if run.0 == 0 {
                    run.1 = day
                        .date
                        .and_hms_opt(0, 0, 0)
                        .map(|t| t + chrono::Duration::minutes(i as i64));
                }
                run.0 += 1;
                if run.0 > longest.0 {
                    longest = run;
                }
            } else {
                run = (0, None);
            }
        }
    }
    let mut lines = Vec::new();
    match lang {
        Lang::En => {
            lines.push(format!(
                "Worn {} of the {days} days' minutes (non-wear: 90 min or more of zero counts).",
                text::percent(worn)
            ));
            if thin.is_empty() {
                lines.push(format!(
                    "Every day was worn at least {}.",
                    text::percent(THIN)
                ));
            } else {
                lines.push(format!(
                    "Days worn less than {}: {}.",
                    text::percent(THIN),
                    thin.join(", ")
                ));
            }
            if let (n, Some(start)) = longest {
                lines.push(format!(
                    "Longest gap: {} from {}.",
                    text::duration(lang, n as f64),
                    start.format("%Y-%m-%d %H:%M")
                ));
            }
        }
        Lang::Ja => {
            lines.push(format!(
                "期間{days}日間の装着率は{}です（未装着：活動量0が90分以上続く区間）。",
                text::percent(worn)
            ));
            if thin.is_empty() {
                lines.push(format!(
                    "すべての日で装着率は{}以上です。",
                    text::percent(THIN)
                ));
            } else {
                lines.push(format!(
                    "装着率{}未満の日：{}。",
                    text::percent(THIN),
                    thin.join("、")
                ));
            }
            if let (n, Some(start)) = longest {
                lines.push(format!(
                    "最長の欠測：{}から{}。",
                    start.format("%Y-%m-%d %H:%M"),
                    text::duration(lang, n as f64)
                ));
            }
        }
    }
    lines
}

/// The key figures of the period, in one paragraph.
pub(crate) fn conclusion(input: &ReportInput) -> String {
    let lang = input.lang;
    let c = &input.circadian;
    let nights = input.nights.len();
    let tst = mean(input.nights.iter().map(|n| n.total_sleep_minutes));
    let se = mean(input.nights.iter().map(|n| n.efficiency));
    let worn = mean(input.worn.iter().map(|(_, f)| *f)).unwrap_or(0.0);
    let alerts = input.alerts.len();
    let (is, iv, ra) = (
        text::number(c.is, 2),
        text::number(c.iv, 2),
        text::number(c.ra, 2),
    );
    match lang {
        Lang::En => format!(
            "{} to {}: {nights} nights, mean total sleep {} (efficiency {}); IS {is}, IV {iv}, RA {ra}; worn {}; {alerts} alert(s).",
            input.from,
            input.to,
            tst.map_or_else(|| "–".into(), |m| text::duration(lang, m)),
            se.map_or_else(|| "–".into(), text::percent),
            text::percent(worn),
        ),
        Lang::Ja => format!(
            "{}〜{}：{nights}夜、平均総睡眠時間{}（睡眠効率{}）、IS {is}・IV {iv}・RA {ra}、装着率{}、アラート{alerts}件。",
            input.from,
            input.to,
            tst.map_or_else(|| "–".into(), |m| text::duration(lang, m)),
            se.map_or_else(|| "–".into(), text::percent),
            text::percent(worn),
        ),
    }
}

/// Lays out `input` as text and charts.
pub(crate) fn build(input: &ReportInput) -> Result<View, ReportError> {
    let lang = input.lang;
    let l = labels(lang);
    let dash = || "–".to_string();
    let steps: BTreeMap<_, _> = input.steps.iter().copied().collect();
    let worn: BTreeMap<_, _> = input.worn.iter().copied().collect();
    let header = vec![
        Figure {
            label: l.person.into(),
            value: input.person_name.clone(),
        },
        Figure {
            label: l.period.into(),
            value: format!(
                "{} – {}",
                text::date(lang, input.from),
                text::date(lang, input.to)
            ),
        },
        Figure {
            label: l.time_zone.into(),
            value: input.time_zone.clone(),
        },
        Figure {
            label: l.generated.into(),
            value: input.generated.format("%Y-%m-%d %H:%M").to_string(),
        },
    ];
    let mean_tst = mean(input.nights.iter().map(|n| n.total_sleep_minutes));
    let mean_se = mean(input.nights.iter().map(|n| n.efficiency));
    let mean_steps = mean(input.steps.iter().filter_map(|(_, s)| s.map(|s| s as f64)));
    let mean_worn = mean(input.worn.iter().map(|(_, f)| *f));
    let c = &input.circadian;
    let glance = vec![
        Figure {
            label: l.mean_sleep.into(),
            value: mean_tst.map_or_else(dash, |m| text::duration(lang, m)),
        },
        Figure {
            label: l.mean_efficiency.into(),
            value: mean_se.map_or_else(dash, text::percent),
        },
        Figure {
            label: l.mean_steps.into(),
            value: mean_steps.map_or_else(dash, |s| text::grouped(s.round() as u64)),
        },
        Figure {
            label: l.worn.into(),
            value: mean_worn.map_or_else(dash, text::percent),
        },
        Figure {
            label: "IS / IV / RA".into(),
            value: format!(
                "{} / {} / {}",
                text::number(c.is, 2),
                text::number(c.iv, 2),
                text::number(c.ra, 2)
            ),
        },
        Figure {
            label: l.nights_found.into(),
            value: input.nights.len().to_string(),
        },
        Figure {
            label: l.alerts_in_period.into(),
            value: input.alerts.len().to_string(),
        },
    ];
    let onset = |t: Option<chrono::NaiveTime>| t.map(text::time_of_day);
    let metrics = vec![
        ("IS", text::number(c.is, 3)),
        ("IV", text::number(c.iv, 3)),
        ("RA", text::number(c.ra, 3)),
        (
            "L5",
            format!(
                "{} ({})",
                text::number(c.l5, 1),
                onset(c.l5_onset).unwrap_or_else(dash)
            ),
        ),
        (
            "M10",
            format!(
                "{} ({})",
                text::number(c.m10, 1),
                onset(c.m10_onset).unwrap_or_else(dash)
            ),
        ),
    ]
    .into_iter()
    .map(|(name, value)| {
        let mut meaning = text::metric_meaning(lang, name).to_string();
        if name == "IS" && c.is.is_some_and(|is| is > 1.0) {
            meaning = format!("{meaning} {}", text::is_above_one(lang));
        }
        MetricLine {
            name: name.into(),
            value,
            meaning,
        }
    })
    .collect();
    let weekly = Table {
        headers: vec![
            l.week_of.into(),
            "IS".into(),
            "IV".into(),
            "RA".into(),
            "L5".into(),
            "M10".into(),
            l.worn.into(),
        ],
        rows: input
            .weekly
            .iter()
            .map(|w| {
                let mut worn = text::percent(w.worn_fraction);
                if w.worn_fraction < THIN {
                    worn = format!("{worn} ▲ {}", l.thin_week);
                }
                let mut is = text::number(w.metrics.is, 3);
                if w.metrics.is.is_some_and(|is| is > 1.0) {
                    is.push_str(" *");
                }
                vec![
                    text::date(lang, w.from),
                    is,
                    text::number(w.metrics.iv, 3),
                    text::number(w.metrics.ra, 3),
                    text::number(w.metrics.l5, 1),
                    text::number(w.metrics.m10, 1),
                    worn,
                ]
            })
            .collect(),
        widths: vec![1.3, 0.7, 0.7, 0.7, 0.7, 0.8, 2.2],
    };
    let mut nights_by_day: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for night in &input.nights {
        nights_by_day.entry(night.night_of).or_default().push(night);
    }
    let mut day_rows = Vec::new();
    let mut date = input.from;
    while date <= input.to {
        let steps = steps
            .get(&date)
            .copied()
            .flatten()
            .map_or_else(dash, text::grouped);
        let worn = worn.get(&date).map_or_else(dash, |f| {
            let p = text::percent(*f);
            if *f < THIN {
                format!("{p} ▲")
            } else {
                p
            }
        });
        let nights = nights_by_day.get(&date).cloned().unwrap_or_default();
        if nights.is_empty() {
            day_rows.push(vec![
                text::date(lang, date),
                steps.clone(),
                worn.clone(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
            ]);
        }
        for (i, n) in nights.iter().enumerate() {
            let first = i == 0;
            day_rows.push(vec![
                if first {
                    text::date(lang, date)
                } else {
                    String::new()
                },
                if first { steps.clone() } else { String::new() },
                if first { worn.clone() } else { String::new() },
                text::clock(n.bed, date),
                text::clock(n.onset, date),
                text::clock(n.wake, date),
                text::duration(lang, n.total_sleep_minutes),
                text::percent(n.efficiency),
                text::minutes(lang, n.waso_minutes),
                n.awakenings.to_string(),
            ]);
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    let days = Table {
        headers: vec![
            l.date.into(),
            l.steps.into(),
            l.worn.into(),
            l.bed.into(),
            l.onset.into(),
            l.wake.into(),
            l.tst.into(),
            l.efficiency.into(),
            l.waso.into(),
            l.awakenings.into(),
        ],
        rows: day_rows,
        widths: vec![1.5, 0.8, 0.7, 0.9, 0.9, 0.9, 1.2, 0.8, 0.8, 0.6],
    };
    let alerts = Table {
        headers: vec![
            l.severity.into(),
            l.kind.into(),
            l.when.into(),
            l.explanation.into(),
            l.acknowledged.into(),
        ],
        rows: input
            .alerts
            .iter()
            .map(|a| {
                vec![
                    text::severity(lang, &a.severity),
                    text::alert_kind(lang, &a.kind),
                    text::span(lang, a.start, a.end),
                    a.explanation.clone(),
                    a.acknowledged_note.clone().unwrap_or_default(),
                ]
            })
            .collect(),
        // "When" holds a date and a time span (two lines at most, even when
        // the span crosses midnight in Japanese); "Why" gets the rest.
        widths: vec![0.75, 1.1, 1.85, 3.0, 1.3],
    };
    let sources = Table {
        headers: vec![
            l.device.into(),
            l.model.into(),
            l.serial.into(),
            l.firmware.into(),
        ],
        rows: input
            .sources
            .iter()
            .map(|s| {
                vec![
                    s.label.clone(),
                    s.model.clone().unwrap_or_else(dash),
                    s.serial.clone().unwrap_or_else(dash),
                    s.firmware.clone().unwrap_or_else(dash),
                ]
            })
            .collect(),
        widths: vec![2.0, 1.6, 1.2, 1.0],
    };
    let mut settings = vec![Figure {
        label: l.software.into(),
        value: input.software.clone(),
    }];
    settings.extend(input.settings.iter().map(|(label, value)| Figure {
        label: label.clone(),
        value: value.clone(),
    }));
    Ok(View {
        lang: lang.tag(),
        title: l.title.into(),
        header,
        glance_title: l.at_a_glance.into(),
        glance,
        actogram_title: l.actogram.into(),
        actogram_caption: l.actogram_caption.into(),
        actogram_svg: charts::actogram(&input.days, &input.nights, lang)?,
        circadian_title: l.circadian.into(),
        metrics_headers: vec![l.metric.into(), l.value.into(), l.meaning.into()],
        metrics,
        weekly_title: l.weekly_trend.into(),
        weekly_svg: charts::weekly_trend(&input.weekly, lang)?,
        weekly_note: input
            .weekly
            .iter()
            .any(|w| w.metrics.is.is_some_and(|is| is > 1.0))
            .then(|| format!("* IS: {}", text::is_above_one(lang))),
        weekly,
        days_title: l.days_table.into(),
        days,
        completeness_title: l.completeness.into(),
        completeness: completeness_lines(input),
        alerts_title: l.alerts.into(),
        no_alerts: alerts.rows.is_empty().then(|| l.no_alerts.into()),
        alerts,
        sources_title: l.sources.into(),
        no_sources: sources.rows.is_empty().then(|| l.no_sources.into()),
        sources,
        settings_title: l.settings.into(),
        settings,
        footer: l.footer.into(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::DayActivity;
    use chrono::NaiveDate;
    use phr_model::CircadianMetrics;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("valid date")
    }

    /// A small input in `lang` over `days`, with no nights or alerts.
    pub(crate) fn input(lang: Lang, days: Vec<DayActivity>) -> ReportInput {
        let from = days.first().map_or(date(1), |d| d.date);
        let to = days.last().map_or(date(1), |d| d.date);
        ReportInput {
            lang,
            person_name: "Test".into(),
            time_zone: "Europe/London".into(),
            from,
            to,
            generated: to.and_hms_opt(12, 0, 0).expect("valid time"),
            software: "test".into(),
            steps: Vec::new(),
            worn: days.iter().map(|d| (d.date, 1.0)).collect(),
            days,
            nights: Vec::new(),
            circadian: CircadianMetrics::default(),
            weekly: Vec::new(),
            alerts: Vec::new(),
            sources: Vec::new(),
            settings: Vec::new(),
        }
    }

    #[test]
    fn skipped_minutes_are_not_a_gap() {
        // Clocks went forward at 01:00 (Europe/London, 29 March 2026):
        // 01:00–01:59 did not exist. A 30-minute gap later that day is the
        // longest; the skipped hour is not reported as missing.
        let mut minutes = vec![Some(5.0); 1440];
        for m in minutes.iter_mut().skip(60).take(60) {
            *m = None;
        }
        for m in minutes.iter_mut().skip(600).take(30) {
            *m = None;
        }
        let spring = DayActivity {
            date: date(29),
            minutes,
            skipped: 60..120,
        };
        let lines = completeness_lines(&input(Lang::En, vec![spring]));
        let gap = lines.iter().find(|l| l.starts_with("Longest gap"));
        assert_eq!(
            gap.map(String::as_str),
            Some("Longest gap: 0 h 30 min from 2026-03-29 10:00."),
            "{lines:?}"
        );
    }

    #[test]
    fn an_is_above_one_is_printed_as_it_is_and_explained() {
        for lang in [Lang::En, Lang::Ja] {
            let mut input = input(lang, Vec::new());
            input.circadian.is = Some(1.123);
            let mut week = crate::model::Week {
                from: date(2),
                metrics: CircadianMetrics::default(),
                worn_fraction: 1.0,
            };
            week.metrics.is = Some(1.25);
            input.weekly = vec![week.clone()];
            week.metrics.is = Some(0.8);
            input.weekly.push(week);
            let view = build(&input).expect("view");
            let is = view.metrics.iter().find(|m| m.name == "IS").expect("IS");
            assert_eq!(is.value, "1.123", "not clamped");
            assert!(
                is.meaning.contains(text::is_above_one(lang)),
                "{}",
                is.meaning
            );
            assert_eq!(view.weekly.rows[0][1], "1.250 *");
            assert_eq!(view.weekly.rows[1][1], "0.800");
            assert!(view
                .weekly_note
                .as_deref()
                .is_some_and(|n| n.contains(text::is_above_one(lang))));
            // Within range: no note.
            input.circadian.is = Some(0.9);
            input.weekly.truncate(0);
            let view = build(&input).expect("view");
            let is = view.metrics.iter().find(|m| m.name == "IS").expect("IS");
            assert_eq!(is.meaning, text::metric_meaning(lang, "IS"));
            assert!(view.weekly_note.is_none());
        }
    }
}
