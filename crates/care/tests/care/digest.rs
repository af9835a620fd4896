//! The weekly digest and the alert JSON shape, over synthetic weeks.

use chrono::{Duration, NaiveDate};
use phr_care::{
    daily_features, evaluate_history, weekly_digest, AlertSettings, FeatureSettings, Recordings,
};
use phr_model::{Lang, PersonId};
use phr_synth::{generate, Scenario};

fn three_weeks() -> (Vec<phr_care::DayFeatures>, Vec<phr_care::Alert>) {
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let zone = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let mut scenario = Scenario::ordinary(5, start, 21, zone);
    scenario.wandering_nights = vec![start + Duration::days(17)];
    let log = generate(&scenario);
    let recordings = Recordings {
        activity: &log.activity,
        heart_rate: &log.heart_rate,
        sleep: &log.sleep,
    };
    let days = daily_features(
        &recordings,
        start,
        start + Duration::days(20),
        &FeatureSettings::default(),
    );
    let alerts = evaluate_history(PersonId(1), &days, &AlertSettings::default());
    (days, alerts)
}

#[test]
fn digest_in_english_and_japanese() {
    let (days, alerts) = three_weeks();
    let en = weekly_digest(&days[14..], &alerts, Lang::En);
    let ja = weekly_digest(&days[14..], &alerts, Lang::Ja);
    eprintln!("{en}\n{ja}");
    let en_lines: Vec<&str> = en.lines().collect();
    assert_eq!(en_lines[0], "Week 2026-03-16 to 2026-03-22");
    assert!(en_lines[1].starts_with("Worn: 7 of 7 days"), "{en}");
    assert!(
        en_lines[2].starts_with("Sleep: 7 nights recorded, typically 2"),
        "{en}"
    );
    assert!(en.contains("Alerts: "), "{en}");
    assert!(en.contains("- 03-20 0"), "{en}");
    assert!(en.contains("night activity (urgent)") || en.contains("night activity (warning)"));
    assert!(
        ja.starts_with("2026-03-16〜2026-03-22の週のまとめ\n装着：7日中7日"),
        "{ja}"
    );
    assert!(ja.contains("夜間の活動"), "{ja}");
    // Alerts outside the week are left out.
    let first_week = weekly_digest(&days[..7], &alerts, Lang::En);
    assert!(first_week.contains("Alerts: none."), "{first_week}");
}

#[test]
fn alert_json_has_the_command_contract_keys() {
    let (_, alerts) = three_weeks();
    let alert = alerts.first().expect("an alert");
    let json = serde_json::to_value(alert).expect("json");
    let object = json.as_object().expect("object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    for key in [
        "id",
        "person",
        "kind",
        "start",
        "end",
        "severity",
        "explanation",
    ] {
        assert!(keys.contains(&key), "{key} missing from {json}");
    }
    assert_eq!(json["kind"], "night_activity");
    let start = json["start"].as_str().expect("start");
    assert_eq!(start.len(), "2026-03-20T01:40:00".len(), "{start}");
    assert_eq!(start, alert.start.format("%Y-%m-%dT%H:%M:%S").to_string());
    assert!(json["explanation"]["ja"].is_string());
}
