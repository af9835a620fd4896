//! Plain-language texts for caregivers, in English and Japanese: alert
//! explanations and the weekly digest.

use chrono::{Duration, NaiveDateTime, NaiveTime};

use crate::features::{DayFeatures, Span};
use crate::rules::{
    median_mad, weekly_rhythm, Alert, AlertKind, Explanation, RhythmChange, Severity,
};
use phr_model::Lang;

fn hm_en(minutes: u32) -> String {
    format!("{} h {} min", minutes / 60, minutes % 60)
}

fn hm_ja(minutes: u32) -> String {
    format!("{}時間{}分", minutes / 60, minutes % 60)
}

/// Minutes, as "45 min" under an hour and "2 h 10 min" above.
fn short_en(minutes: u32) -> String {
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        hm_en(minutes)
    }
}

fn short_ja(minutes: u32) -> String {
    if minutes < 60 {
        format!("{minutes}分")
    } else {
        hm_ja(minutes)
    }
}

fn clock(t: NaiveDateTime) -> String {
    t.format("%H:%M").to_string()
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn times(ratio: f64) -> String {
    if ratio >= 3.0 {
        format!("{ratio:.0}")
    } else {
        format!("{ratio:.1}")
    }
}

pub(crate) fn night_activity(
    bout: Span,
    night: &crate::features::NightFeatures,
    ratio: Option<f64>,
    active_minutes: u32,
    usual_minutes: f64,
    nights: usize,
) -> Explanation {
    let (from, to, length) = (clock(bout.start), clock(bout.end), bout.minutes());
    let (night_from, night_to) = (clock(night.window.start), clock(night.window.end));
    let (en_night, ja_night) = if night.learned {
        (
            format!("in their usual night ({night_from}–{night_to})"),
            format!("普段の夜間（{night_from}〜{night_to}）の"),
        )
    } else {
        (
            format!("in the default night ({night_from}–{night_to}) until their own is known"),
            format!("夜間（{night_from}〜{night_to}、本人の夜間がわかるまでの既定）の"),
        )
    };
    let en_level = match ratio {
        Some(r) => format!("about {} times the usual night-time level", times(r)),
        None => "while the usual night is almost motionless".to_string(),
    };
    let ja_level = match ratio {
        Some(r) => format!("普段の夜間の約{}倍の活動量です", times(r)),
        None => "普段の夜間はほとんど動きがありません".to_string(),
    };
    Explanation {
        en: format!(
            "Active for {} between {from} and {to} {en_night}, {en_level} ({active_minutes} \
             active minutes against a usual {usual_minutes:.0}; baseline: {nights} nights).",
            hm_en(length)
        ),
        ja: format!(
            "{ja_night}{from}から{to}まで{}活動していました。{ja_level}（活動した時間\
             {active_minutes}分、普段は{usual_minutes:.0}分。基準：過去{nights}夜）。",
            hm_ja(length)
        ),
    }
}

pub(crate) fn inactivity(still: Span, usual_minutes: f64, days: usize) -> Explanation {
    let (from, to, length) = (clock(still.start), clock(still.end), still.minutes());
    let usual = usual_minutes.round() as u32;
    Explanation {
        en: format!(
            "No movement for {} between {from} and {to} while the device was worn; the usual \
             longest still spell in the daytime is {} (baseline: {days} days).",
            hm_en(length),
            short_en(usual)
        ),
        ja: format!(
            "装着中に{from}から{to}まで{}、動きがありませんでした。普段の日中の最長の静止時間は\
             {}です（基準：過去{days}日）。",
            hm_ja(length),
            short_ja(usual)
        ),
    }
}

pub(crate) fn not_worn(run: Span, limit_hours: u32) -> Explanation {
    let (from, to, length) = (stamp(run.start), stamp(run.end), run.minutes());
    Explanation {
        en: format!(
            "No data from a worn device for {}, from {from} to {to} (limit: {limit_hours} h). \
             The device may be off the wrist or not synced.",
            hm_en(length)
        ),
        ja: format!(
            "{from}から{to}まで{}、装着中のデータがありません（基準：{limit_hours}時間）。\
             外されているか、同期されていない可能性があります。",
            hm_ja(length)
        ),
    }
}

fn onset_clock(minutes_after_noon: f64) -> String {
    let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN);
    let t = noon + Duration::minutes(minutes_after_noon.round() as i64);
    t.format("%H:%M").to_string()
}

pub(crate) fn rhythm_decline(change: &RhythmChange) -> Explanation {
    let (r, u) = (change.recent, change.usual);
    let mut en = Vec::new();
    let mut ja = Vec::new();
    if change.is_drop {
        en.push(format!(
            "day-to-day regularity (IS) {:.2}, usually {:.2}",
            r.is, u.is
        ));
        ja.push(format!(
            "日ごとの規則性（IS）{:.2}（普段{:.2}）",
            r.is, u.is
        ));
    }
    if change.iv_rise {
        en.push(format!(
            "fragmentation (IV) {:.2}, usually {:.2}",
            r.iv, u.iv
        ));
        ja.push(format!("活動の分断（IV）{:.2}（普段{:.2}）", r.iv, u.iv));
    }
    if change.ra_drop {
        en.push(format!(
            "day/night contrast (RA) {:.2}, usually {:.2}",
            r.ra, u.ra
        ));
        ja.push(format!(
            "昼夜のメリハリ（RA）{:.2}（普段{:.2}）",
            r.ra, u.ra
        ));
    }
    if let Some((recent, usual)) = change.onset_delay {
        en.push(format!(
            "sleep onset {}, usually {}",
            onset_clock(recent),
            onset_clock(usual)
        ));
        ja.push(format!(
            "入眠時刻{}（普段{}）",
            onset_clock(recent),
            onset_clock(usual)
        ));
    }
    let days = change.baseline_days;
    Explanation {
        en: format!(
            "Over the last 7 days the daily rhythm was weaker than usual: {} (baseline: {days} \
             days before that week).",
            en.join("; ")
        ),
        ja: format!(
            "直近7日間、生活リズムが普段より弱まっています：{}（基準：その前の{days}日間）。",
            ja.join("、")
        ),
    }
}

fn kind_label(kind: AlertKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (AlertKind::NightActivity, Lang::En) => "night activity",
        (AlertKind::Inactivity, Lang::En) => "inactivity",
        (AlertKind::NotWorn, Lang::En) => "not worn",
        (AlertKind::RhythmDecline, Lang::En) => "rhythm decline",
        (AlertKind::NightActivity, Lang::Ja) => "夜間の活動",
        (AlertKind::Inactivity, Lang::Ja) => "長時間動きなし",
        (AlertKind::NotWorn, Lang::Ja) => "未装着",
        (AlertKind::RhythmDecline, Lang::Ja) => "生活リズムの低下",
    }
}

fn severity_label(severity: Severity, lang: Lang) -> &'static str {
    match (severity, lang) {
        (Severity::Info, Lang::En) => "info",
        (Severity::Warning, Lang::En) => "warning",
        (Severity::Urgent, Lang::En) => "urgent",
        (Severity::Info, Lang::Ja) => "情報",
        (Severity::Warning, Lang::Ja) => "注意",
        (Severity::Urgent, Lang::Ja) => "緊急",
    }
}

fn typical(values: impl Iterator<Item = f64>) -> Option<f64> {
    median_mad(&values.collect::<Vec<_>>()).map(|(median, _)| median)
}

/// A short summary of a week (or any run of days) for caregivers: wear,
/// sleep, night and daytime activity, rhythm, and the alerts overlapping
/// those days. `days` in date order.
pub fn weekly_digest(days: &[DayFeatures], alerts: &[Alert], lang: Lang) -> String {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return match lang {
            Lang::En => "No data for this week.".to_string(),
            Lang::Ja => "この週のデータはありません。".to_string(),
        };
    };
    let en = lang == Lang::En;
    let mut lines = Vec::new();
    let (from, to) = (first.date.format("%Y-%m-%d"), last.date.format("%Y-%m-%d"));
    lines.push(if en {
        format!("Week {from} to {to}")
    } else {
        format!("{from}〜{to}の週のまとめ")
    });

    let worn: Vec<&DayFeatures> = days.iter().filter(|d| d.worn_minutes >= 60).collect();
    let worn_hours = typical(worn.iter().map(|d| f64::from(d.worn_minutes) / 60.0));
    lines.push(match (en, worn_hours) {
        (true, Some(h)) => format!(
            "Worn: {} of {} days (typically {h:.1} h on those days).",
            worn.len(),
            days.len()
        ),
        (true, None) => format!("Worn: 0 of {} days.", days.len()),
        (false, Some(h)) => format!(
            "装着：{}日中{}日（装着した日はふだん{h:.1}時間）",
            days.len(),
            worn.len()
        ),
        (false, None) => format!("装着：{}日中0日", days.len()),
    });

    let sleeps: Vec<Span> = days.iter().filter_map(|d| d.sleep).collect();
    let onset = typical(sleeps.iter().map(|s| {
        let noon = (s.end.date() - Duration::days(1)).and_hms_opt(12, 0, 0);
        noon.map_or(0.0, |noon| (s.start - noon).num_minutes() as f64)
    }));
    let wake = typical(
        sleeps
            .iter()
            .map(|s| f64::from(crate::features::minute_of_day(s.end))),
    );
    let length = typical(sleeps.iter().map(|s| f64::from(s.minutes())));
    lines.push(match (onset, wake, length) {
        (Some(onset), Some(wake), Some(length)) => {
            let wake = onset_clock(wake - 720.0);
            let (onset, length) = (onset_clock(onset), length.round() as u32);
            if en {
                format!(
                    "Sleep: {} nights recorded, typically {onset} to {wake} ({}).",
                    sleeps.len(),
                    hm_en(length)
                )
            } else {
                format!(
                    "睡眠：{}夜の記録、ふだんは{onset}〜{wake}（{}）",
                    sleeps.len(),
                    hm_ja(length)
                )
            }
        }
        _ if en => "Sleep: no sleep recorded by the device.".to_string(),
        _ => "睡眠：デバイスによる睡眠の記録はありません".to_string(),
    });

    let nights: Vec<&DayFeatures> = days.iter().filter(|d| d.night.worn_minutes > 0).collect();
    if let Some(usual) = typical(nights.iter().map(|d| f64::from(d.night.active_minutes))) {
        let most = nights
            .iter()
            .map(|d| d.night.active_minutes)
            .max()
            .unwrap_or(0);
        let usual = usual.round() as u32;
        lines.push(if en {
            format!(
                "Nights: typically {} active (most: {}).",
                short_en(usual),
                short_en(most)
            )
        } else {
            format!(
                "夜間：活動した時間はふだん{}（最大{}）",
                short_ja(usual),
                short_ja(most)
            )
        });
    }

    let daytime: Vec<&DayFeatures> = days.iter().filter(|d| d.day_worn_minutes > 0).collect();
    if let Some(active) = typical(daytime.iter().map(|d| f64::from(d.day_active_minutes))) {
        let still = daytime
            .iter()
            .filter_map(|d| d.longest_still)
            .map(|s| s.minutes())
            .max()
            .unwrap_or(0);
        let active = active.round() as u32;
        lines.push(if en {
            format!(
                "Daytime: typically {} active; longest still spell {}.",
                short_en(active),
                short_en(still)
            )
        } else {
            format!(
                "日中：活動した時間はふだん{}、最長の静止時間は{}",
                short_ja(active),
                short_ja(still)
            )
        });
    }

    if let Some(rhythm) = weekly_rhythm(days) {
        lines.push(if en {
            format!(
                "Rhythm: regularity IS {:.2}, fragmentation IV {:.2}, day/night contrast RA {:.2}.",
                rhythm.is, rhythm.iv, rhythm.ra
            )
        } else {
            format!(
                "リズム：規則性IS {:.2}、分断IV {:.2}、昼夜のメリハリRA {:.2}",
                rhythm.is, rhythm.iv, rhythm.ra
            )
        });
    }

    let week_start = first.day_start();
    let week_end = last.day_start() + Duration::days(1);
    let mut shown: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.start < week_end && a.end > week_start)
        .collect();
    shown.sort_by_key(|a| (a.start, a.kind));
    let count = |severity: Severity| shown.iter().filter(|a| a.severity == severity).count();
    let tally: Vec<String> = [Severity::Urgent, Severity::Warning, Severity::Info]
        .into_iter()
        .filter(|&s| count(s) > 0)
        .map(|s| {
            if en {
                format!("{} {}", count(s), severity_label(s, lang))
            } else {
                format!("{}{}件", severity_label(s, lang), count(s))
            }
        })
        .collect();
    lines.push(match (en, shown.is_empty()) {
        (true, true) => "Alerts: none.".to_string(),
        (false, true) => "お知らせ：なし".to_string(),
        (true, false) => format!("Alerts: {} ({}).", shown.len(), tally.join(", ")),
        (false, false) => format!("お知らせ：{}件（{}）", shown.len(), tally.join("、")),
    });
    for alert in shown {
        let when = format!(
            "{} {}–{}",
            alert.start.format("%m-%d"),
            clock(alert.start),
            if alert.end.date() == alert.start.date()
                || alert.end == (alert.start.date() + Duration::days(1)).and_time(NaiveTime::MIN)
            {
                clock(alert.end)
            } else {
                alert.end.format("%m-%d %H:%M").to_string()
            }
        );
        lines.push(if en {
            format!(
                "- {when} {} ({})",
                kind_label(alert.kind, lang),
                severity_label(alert.severity, lang)
            )
        } else {
            format!(
                "・{when} {}（{}）",
                kind_label(alert.kind, lang),
                severity_label(alert.severity, lang)
            )
        });
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn durations_and_times_read_naturally() {
        assert_eq!(hm_en(130), "2 h 10 min");
        assert_eq!(hm_ja(130), "2時間10分");
        assert_eq!(short_en(45), "45 min");
        assert_eq!(times(6.3), "6");
        assert_eq!(times(2.46), "2.5");
        assert_eq!(onset_clock(680.0), "23:20");
        assert_eq!(onset_clock(760.0), "00:40");
    }

    #[test]
    fn not_worn_text_names_both_ends() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).expect("date");
        let run = Span {
            start: d.and_hms_opt(20, 40, 0).expect("t"),
            end: (d + Duration::days(3)).and_hms_opt(5, 0, 0).expect("t"),
        };
        let text = not_worn(run, 12);
        assert_eq!(
            text.en,
            "No data from a worn device for 56 h 20 min, from 2026-03-08 20:40 to \
             2026-03-11 05:00 (limit: 12 h). The device may be off the wrist or not synced."
        );
        assert!(text
            .ja
            .starts_with("2026-03-08 20:40から2026-03-11 05:00まで56時間20分"));
    }

    #[test]
    fn empty_week_digest() {
        assert_eq!(weekly_digest(&[], &[], Lang::En), "No data for this week.");
        assert_eq!(
            weekly_digest(&[], &[], Lang::Ja),
            "この週のデータはありません。"
        );
    }
}
