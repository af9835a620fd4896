//! False alarms and detection on long synthetic recordings (phr-synth).
//! The bounds below were measured (see docs/care.md) and leave a margin.

use chrono::{Duration, NaiveDate, NaiveTime};
use phr_care::{
    daily_features, evaluate, evaluate_history, evaluate_synthetic, AlertKind, AlertSettings,
    EvaluationPlan, EvaluationReport, FeatureSettings, Recordings,
};
use phr_model::PersonId;
use phr_synth::{generate, Scenario};

fn plan(people: u32) -> EvaluationPlan {
    EvaluationPlan {
        people,
        first_seed: 1,
        weeks: 8,
        start: NaiveDate::from_ymd_opt(2026, 1, 5).expect("date"),
        zone: phr_model::parse_time_zone("Asia/Tokyo").expect("zone"),
    }
}

fn show(report: &EvaluationReport) {
    eprintln!("{report:#?}");
    for kind in AlertKind::ALL {
        eprintln!(
            "{kind}: {:.3} false alarms per person-week",
            report.false_alarm_rate(kind)
        );
    }
    eprintln!(
        "wandering caught {:.3}, unworn days caught {:.3}",
        report.wandering_detection(),
        report.unworn_detection()
    );
}

#[test]
fn defaults_are_quiet_on_ordinary_days_and_catch_the_events() {
    let report = evaluate_synthetic(
        &plan(20),
        &FeatureSettings::default(),
        &AlertSettings::default(),
    );
    show(&report);
    assert_eq!(report.people, 20);
    assert!(report.normal_person_weeks > 120.0);
    assert_eq!(report.wandering_nights, 60);
    assert_eq!(report.unworn_days, 50);
    // Below 1 false alarm per person-month for night activity, and for all
    // kinds together (measured: 0 in 124 person-weeks).
    let per_month = 30.0 / 7.0;
    assert!(report.false_alarm_rate(AlertKind::NightActivity) * per_month < 0.25);
    let all = f64::from(report.false_alarms.total()) / report.normal_person_weeks;
    assert!(all * per_month < 0.5, "{all} per person-week");
    assert!(report.wandering_detection() >= 0.9);
    assert!(report.unworn_detection() >= 0.95);
    assert_eq!(
        report.event_alerts.not_worn, 20,
        "one alert per unworn episode"
    );
}

#[test]
fn a_hair_trigger_night_rule_floods_ordinary_nights() {
    let settings = AlertSettings {
        night_mad_factor: 0.0,
        night_min_ratio: 0.0,
        night_bout_mad_factor: 0.0,
        night_bout_min_ratio: 0.0,
        night_min_active_minutes: 1,
        night_min_bout_minutes: 1,
        ..AlertSettings::default()
    };
    let report = evaluate_synthetic(&plan(5), &FeatureSettings::default(), &settings);
    show(&report);
    assert!(report.false_alarm_rate(AlertKind::NightActivity) > 1.0);
}

#[test]
fn blunt_settings_miss_the_events() {
    let settings = AlertSettings {
        night_min_active_minutes: 400,
        not_worn_hours: 100,
        ..AlertSettings::default()
    };
    let report = evaluate_synthetic(&plan(5), &FeatureSettings::default(), &settings);
    assert_eq!(report.wandering_caught, 0);
    assert!(report.unworn_detection() < 0.5);
}

#[test]
fn day_by_day_evaluation_matches_the_whole_history() {
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let zone = phr_model::parse_time_zone("Europe/Berlin").expect("zone");
    let day = |i: i64| start + Duration::days(i);
    let mut scenario = Scenario::ordinary(11, start, 35, zone);
    scenario.wandering_nights = vec![day(16), day(19)];
    scenario.not_worn_days = vec![day(24), day(25)];
    let log = generate(&scenario);
    let settings = FeatureSettings::default();
    let all = |to: usize| Recordings {
        activity: &log.activity[..to],
        heart_rate: &log.heart_rate,
        sleep: &log.sleep,
    };
    let full = daily_features(&all(log.activity.len()), start, day(34), &settings);
    let person = PersonId(7);
    let expected = evaluate_history(person, &full, &AlertSettings::default());
    assert!(expected.iter().any(|a| a.kind == AlertKind::NightActivity));
    assert!(expected.iter().any(|a| a.kind == AlertKind::NotWorn));

    // As if each day were synced just after it ended (DST change on 29 March
    // included): same features, same ids.
    let mut known = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for i in 0..35 {
        let end = day(i + 1).and_time(NaiveTime::MIN);
        let upto = log.activity.partition_point(|e| e.at.local() < end);
        let today = daily_features(&all(upto), day(i), day(i), &settings)
            .pop()
            .expect("one day");
        assert_eq!(today, full[i as usize], "day {}", day(i));
        for alert in evaluate(person, &known, &today, &AlertSettings::default()) {
            ids.insert(alert.id);
        }
        known.push(today);
    }
    let expected_ids: std::collections::BTreeSet<String> =
        expected.into_iter().map(|a| a.id).collect();
    assert_eq!(ids, expected_ids);
}
