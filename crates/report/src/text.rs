//! Every word the report prints, in English and Japanese, and the number
//! and date formats of each language.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use phr_model::Lang;

/// The fixed words of a report in one language.
pub(crate) struct Labels {
    pub title: &'static str,
    pub person: &'static str,
    pub period: &'static str,
    pub time_zone: &'static str,
    pub generated: &'static str,
    pub at_a_glance: &'static str,
    pub mean_sleep: &'static str,
    pub mean_efficiency: &'static str,
    pub mean_steps: &'static str,
    pub worn: &'static str,
    pub nights_found: &'static str,
    pub alerts_in_period: &'static str,
    pub actogram: &'static str,
    pub actogram_caption: &'static str,
    pub circadian: &'static str,
    pub metric: &'static str,
    pub value: &'static str,
    pub meaning: &'static str,
    pub weekly_trend: &'static str,
    pub week_of: &'static str,
    pub thin_week: &'static str,
    pub days_table: &'static str,
    pub date: &'static str,
    pub steps: &'static str,
    pub bed: &'static str,
    pub onset: &'static str,
    pub wake: &'static str,
    pub tst: &'static str,
    pub efficiency: &'static str,
    pub waso: &'static str,
    pub awakenings: &'static str,
    pub completeness: &'static str,
    pub alerts: &'static str,
    pub no_alerts: &'static str,
    pub severity: &'static str,
    pub kind: &'static str,
    pub when: &'static str,
    pub explanation: &'static str,
    pub acknowledged: &'static str,
    pub sources: &'static str,
    pub device: &'static str,
    pub model: &'static str,
    pub serial: &'static str,
    pub firmware: &'static str,
    pub no_sources: &'static str,
    pub settings: &'static str,
    pub software: &'static str,
    pub footer: &'static str,
    pub key_activity: &'static str,
    pub key_no_data: &'static str,
    pub key_night: &'static str,
    pub key_clock_changed: &'static str,
}

const EN: Labels = Labels {
    title: "Activity and sleep summary",
    person: "Person",
    period: "Period",
    time_zone: "Time zone",
    generated: "Made",
    at_a_glance: "At a glance",
    mean_sleep: "Mean total sleep",
    mean_efficiency: "Mean sleep efficiency",
    mean_steps: "Mean steps per day",
    worn: "Worn",
    nights_found: "Nights found",
    alerts_in_period: "Alerts",
    actogram: "Actogram (double-plotted)",
    actogram_caption: "Each row is a day and the next day (48 hours); bar height is activity. The key under the chart names the marks; the pale band is each rest period the analysis detected (the night).",
    circadian: "Rest-activity rhythm",
    metric: "Metric",
    value: "Value",
    meaning: "What it means",
    weekly_trend: "Trend by week",
    week_of: "Week from",
    thin_week: "few data: read with care",
    days_table: "Nights and days",
    date: "Date",
    steps: "Steps",
    bed: "Bed",
    onset: "Asleep",
    wake: "Wake",
    tst: "Sleep",
    efficiency: "Efficiency",
    waso: "WASO",
    awakenings: "Awak.",
    completeness: "Data completeness",
    alerts: "Alerts in the period",
    no_alerts: "No alerts in this period.",
    severity: "Severity",
    kind: "Alert",
    when: "When",
    explanation: "Why",
    acknowledged: "Acknowledged",
    sources: "Sources and settings",
    device: "Device",
    model: "Model",
    serial: "Serial",
    firmware: "Firmware",
    no_sources: "No devices.",
    settings: "Analysis settings",
    software: "Software",
    footer: "Made from wearable data held by the person. Actigraphy estimates sleep from movement; it is not polysomnography.",
    key_activity: "Activity",
    key_no_data: "No data (not worn or not recorded)",
    key_night: "Night (detected rest period)",
    key_clock_changed: "Clock changed (hour skipped)",
};

const JA: Labels = Labels {
    title: "活動と睡眠のサマリー",
    person: "対象者",
    period: "期間",
    time_zone: "タイムゾーン",
    generated: "作成",
    at_a_glance: "概要",
    mean_sleep: "平均総睡眠時間",
    mean_efficiency: "平均睡眠効率",
    mean_steps: "1日の平均歩数",
    worn: "装着率",
    nights_found: "検出した夜",
    alerts_in_period: "アラート",
    actogram: "アクトグラム（ダブルプロット）",
    actogram_caption: "各行はその日と翌日（48時間）を示し、棒の高さは活動量です。記号の意味はグラフ下の凡例のとおりで、薄い帯は解析で検出した休息期間（夜間）です。",
    circadian: "休息・活動リズム",
    metric: "指標",
    value: "値",
    meaning: "意味",
    weekly_trend: "週ごとの推移",
    week_of: "週の開始日",
    thin_week: "データ不足：解釈に注意",
    days_table: "夜と日ごとの記録",
    date: "日付",
    steps: "歩数",
    bed: "就床",
    onset: "入眠",
    wake: "起床",
    tst: "睡眠",
    efficiency: "睡眠効率",
    waso: "中途覚醒",
    awakenings: "覚醒回数",
    completeness: "データの充足度",
    alerts: "期間中のアラート",
    no_alerts: "この期間のアラートはありません。",
    severity: "重要度",
    kind: "種類",
    when: "日時",
    explanation: "理由",
    acknowledged: "確認済み",
    sources: "データ元と設定",
    device: "機器",
    model: "機種",
    serial: "シリアル",
    firmware: "ファームウェア",
    no_sources: "機器はありません。",
    settings: "解析の設定",
    software: "ソフトウェア",
    footer: "本人が保持するウェアラブルのデータから作成。アクチグラフィは体動から睡眠を推定するもので、睡眠ポリグラフ検査ではありません。",
    key_activity: "活動量",
    key_no_data: "データなし（未装着・未記録）",
    key_night: "夜間（検出した休息期間）",
    key_clock_changed: "時刻変更（存在しない時間帯）",
};

pub(crate) fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::En => &EN,
        Lang::Ja => &JA,
    }
}

/// One-line meanings of the circadian metrics.
pub(crate) fn metric_meaning(lang: Lang, metric: &str) -> &'static str {
    match (lang, metric) {
        (Lang::En, "IS") => "Interdaily stability: how alike the days are (0 to 1; higher is more regular).",
        (Lang::En, "IV") => "Intradaily variability: how broken up activity is within a day (0 to 2; higher is more fragmented).",
        (Lang::En, "RA") => "Relative amplitude: contrast between the most active 10 h and the least active 5 h (0 to 1; higher is a stronger rhythm).",
        (Lang::En, "L5") => "Mean activity of the least active 5 hours, usually the night, and when they start.",
        (Lang::En, "M10") => "Mean activity of the most active 10 hours, and when they start.",
        (Lang::Ja, "IS") => "日間安定性：毎日のリズムがどれだけそろっているか（0〜1、高いほど規則的）。",
        (Lang::Ja, "IV") => "日内変動性：1日の中で活動がどれだけ途切れるか（0〜2、高いほど断片的）。",
        (Lang::Ja, "RA") => "相対振幅：最も活動的な10時間と最も静かな5時間の差（0〜1、高いほどメリハリがある）。",
        (Lang::Ja, "L5") => "最も活動が少ない5時間（通常は夜間）の平均活動量と開始時刻。",
        (Lang::Ja, "M10") => "最も活動が多い10時間の平均活動量と開始時刻。",
        _ => "",
    }
}

/// Why an IS above 1 is printed as it is: IS as pyActigraphy computes it
/// (hourly means over the number of hours) can exceed 1 when the
/// recording is short or has gaps. Said wherever such a figure shows.
pub(crate) fn is_above_one(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Above 1 here: too few whole days for a stable estimate (on short or gappy recordings the formula can exceed 1); read with care.",
        Lang::Ja => "1を超えています：安定した推定には丸1日分の記録が足りません（短い記録や欠測の多い記録では1を超えることがあります）。解釈に注意。",
    }
}

/// Localised name of an alert kind.
pub(crate) fn alert_kind(lang: Lang, kind: &str) -> String {
    let text = match (lang, kind) {
        (Lang::En, "night_activity") => "Night-time activity",
        (Lang::En, "inactivity") => "Long inactivity",
        (Lang::En, "not_worn") => "Not worn",
        (Lang::En, "rhythm_decline") => "Rhythm decline",
        (Lang::Ja, "night_activity") => "夜間の活動",
        (Lang::Ja, "inactivity") => "長時間の無動",
        (Lang::Ja, "not_worn") => "未装着",
        (Lang::Ja, "rhythm_decline") => "リズムの低下",
        _ => return kind.to_string(),
    };
    text.to_string()
}

/// Localised severity (words, never colour alone).
pub(crate) fn severity(lang: Lang, severity: &str) -> String {
    let text = match (lang, severity) {
        (Lang::En, "info") => "Info",
        (Lang::En, "warning") => "Warning",
        (Lang::En, "urgent") => "Urgent",
        (Lang::Ja, "info") => "情報",
        (Lang::Ja, "warning") => "注意",
        (Lang::Ja, "urgent") => "緊急",
        _ => return severity.to_string(),
    };
    text.to_string()
}

fn weekday(lang: Lang, day: Weekday) -> &'static str {
    let i = day.num_days_from_monday() as usize;
    match lang {
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
        Lang::Ja => ["月", "火", "水", "木", "金", "土", "日"][i],
    }
}

/// A day with its weekday: `Mon 2026-11-02` / `2026-11-02(月)`.
pub(crate) fn date(lang: Lang, date: NaiveDate) -> String {
    match lang {
        Lang::En => format!(
            "{} {}",
            weekday(lang, date.weekday()),
            date.format("%Y-%m-%d")
        ),
        Lang::Ja => format!(
            "{}({})",
            date.format("%Y-%m-%d"),
            weekday(lang, date.weekday())
        ),
    }
}

/// A clock time, with `+1` when it falls on the day after `base`.
pub(crate) fn clock(time: NaiveDateTime, base: NaiveDate) -> String {
    let days = (time.date() - base).num_days();
    let text = time.format("%H:%M").to_string();
    match days {
        0 => text,
        d if d > 0 => format!("{text} (+{d})"),
        d => format!("{text} ({d})"),
    }
}

/// A clock time of day.
pub(crate) fn time_of_day(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// A local date-time span for alerts.
pub(crate) fn span(lang: Lang, start: NaiveDateTime, end: NaiveDateTime) -> String {
    let first = format!("{} {}", date(lang, start.date()), start.format("%H:%M"));
    if start.date() == end.date() {
        format!("{first}–{}", end.format("%H:%M"))
    } else {
        format!(
            "{first} – {} {}",
            date(lang, end.date()),
            end.format("%H:%M")
        )
    }
}

/// Minutes as hours and minutes: `7 h 05 min` / `7時間05分`.
pub(crate) fn duration(lang: Lang, minutes: f64) -> String {
    let total = minutes.round().max(0.0) as u64;
    match lang {
        Lang::En => format!("{} h {:02} min", total / 60, total % 60),
        Lang::Ja => format!("{}時間{:02}分", total / 60, total % 60),
    }
}

/// Whole minutes: `42 min` / `42分`.
pub(crate) fn minutes(lang: Lang, minutes: f64) -> String {
    let m = minutes.round().max(0.0) as u64;
    match lang {
        Lang::En => format!("{m} min"),
        Lang::Ja => format!("{m}分"),
    }
}

/// A share as a whole percentage.
pub(crate) fn percent(fraction: f64) -> String {
    format!("{:.0}%", (fraction * 100.0).clamp(0.0, 100.0))
}

/// An integer with thousands separators (both languages use commas).
pub(crate) fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A metric value with `decimals`, or a dash.
pub(crate) fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn dates_and_durations_in_both_languages() {
        let d = day(2026, 11, 2);
        assert_eq!(date(Lang::En, d), "Mon 2026-11-02");
        assert_eq!(date(Lang::Ja, d), "2026-11-02(月)");
        assert_eq!(duration(Lang::En, 425.4), "7 h 05 min");
        assert_eq!(duration(Lang::Ja, 425.6), "7時間06分");
        assert_eq!(minutes(Lang::Ja, 41.5), "42分");
    }

    #[test]
    fn clock_marks_the_next_day() {
        let base = day(2026, 11, 2);
        let at = |d: NaiveDate, h, m| d.and_hms_opt(h, m, 0).expect("valid time");
        assert_eq!(clock(at(base, 23, 10), base), "23:10");
        assert_eq!(clock(at(day(2026, 11, 3), 6, 5), base), "06:05 (+1)");
    }

    #[test]
    fn grouping_and_percentages() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(percent(0.876), "88%");
        assert_eq!(percent(1.2), "100%");
        assert_eq!(number(None, 2), "–");
        assert_eq!(number(Some(0.5), 3), "0.500");
    }

    #[test]
    fn every_meaning_and_name_exists_in_both_languages() {
        for lang in [Lang::En, Lang::Ja] {
            for metric in ["IS", "IV", "RA", "L5", "M10"] {
                assert!(!metric_meaning(lang, metric).is_empty(), "{metric}");
            }
            for kind in ["night_activity", "inactivity", "not_worn", "rhythm_decline"] {
                assert_ne!(alert_kind(lang, kind), kind);
            }
            for s in ["info", "warning", "urgent"] {
                assert_ne!(severity(lang, s), s);
            }
        }
    }
}
