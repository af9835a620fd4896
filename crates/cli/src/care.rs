//! Caregiving: `phr care people|alerts|ack|evaluate|settings|digest`.

use crate::args::{CareAction, LangArg};
use crate::output::{print_json, print_sorted_json};
use crate::Context;
use chrono::NaiveDate;

/// Runs a `care` command.
pub fn run(cx: &Context, action: CareAction) -> anyhow::Result<()> {
    match action {
        CareAction::People => people(cx),
        CareAction::Alerts {
            person,
            all,
            since,
            lang,
        } => alerts(cx, (!all).then_some(person.person.as_deref()), since, lang),
        CareAction::Ack { id, note, lang } => ack(cx, &id, &note, lang),
        CareAction::Evaluate {
            people,
            weeks,
            seed,
            recordings,
            trials,
        } => {
            if recordings.is_empty() {
                evaluate(cx.json, people, weeks, seed)
            } else {
                evaluate_real(cx.json, &recordings, trials, seed)
            }
        }
        CareAction::Settings { person, set } => settings(cx, person.person.as_deref(), &set),
        CareAction::Digest {
            week: _,
            person,
            lang,
        } => digest(cx, person.person.as_deref(), lang),
    }
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// `phr care people` (and `phr people`): everyone, their last day of data
/// and open alerts.
pub fn people(cx: &Context) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let rows = phr.care_people(today())?;
    if cx.json {
        return print_json(&rows);
    }
    for p in rows {
        println!(
            "{:>3}  {:<24} {:<10} {:<16} last data {}  open alerts {}",
            p.id.0,
            p.name,
            format!("{:?}", p.role).to_lowercase(),
            p.time_zone,
            p.last_day.map_or("-".to_string(), |d| d.to_string()),
            p.open_alerts
        );
    }
    Ok(())
}

/// `phr care alerts`: one person's alerts (`person` is `Some`), or with
/// `--all` (`None`) every person's open ones, most severe first.
fn alerts(
    cx: &Context,
    person: Option<Option<&str>>,
    since: Option<NaiveDate>,
    lang: LangArg,
) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let alerts = match person {
        Some(person) => phr.care_alerts(person, since, today(), lang.into())?,
        None => phr.care_open_alerts_all(today(), lang.into())?,
    };
    let names: std::collections::BTreeMap<i64, String> = if person.is_none() {
        phr.people()?
            .into_iter()
            .map(|p| (p.id.0, p.display_name))
            .collect()
    } else {
        Default::default()
    };
    if cx.json {
        print_json(&alerts)?;
    } else if alerts.is_empty() {
        println!("No alerts.");
        // The owner by default: say when the people cared for have some.
        if person == Some(None) {
            let others = phr.care_open_alerts_all(today(), lang.into())?.len();
            if others > 0 {
                println!("{others} open alert(s) for others: `phr care alerts --all`.");
            }
        }
    } else {
        for a in alerts {
            if let Some(name) = names.get(&a.person) {
                print!("{name}: ");
            }
            println!(
                "{}  {:<8} {:<15} {} to {}{}\n    {}",
                a.id,
                a.severity,
                a.kind,
                a.start,
                a.end,
                if a.acknowledged.is_some() {
                    "  (acknowledged)"
                } else {
                    ""
                },
                a.explanation
            );
        }
    }
    Ok(())
}

fn ack(cx: &Context, id: &str, note: &str, lang: LangArg) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let alert = phr.care_ack(id, note, chrono::Utc::now().timestamp(), lang.into())?;
    if cx.json {
        print_json(&alert)?;
    } else {
        println!(
            "Acknowledged {} ({}, {}).",
            alert.id, alert.kind, alert.start
        );
    }
    Ok(())
}

/// `phr care evaluate`: no vault needed.
fn evaluate(json: bool, people: u32, weeks: u32, seed: u64) -> anyhow::Result<()> {
    let e = phr_api::evaluate_alert_rules(people, weeks, seed)?;
    if json {
        return print_json(&e);
    }
    let r = &e.report;
    println!(
        "{} simulated people x {weeks} weeks ({:.1} ordinary person-weeks scored), default thresholds",
        r.people, r.normal_person_weeks
    );
    println!(
        "false alarms: {} ({:.3} per person-week): night_activity {}, inactivity {}, not_worn {}, rhythm_decline {}",
        r.false_alarms.total(),
        e.false_alarms_per_person_week,
        r.false_alarms.night_activity,
        r.false_alarms.inactivity,
        r.false_alarms.not_worn,
        r.false_alarms.rhythm_decline
    );
    println!(
        "wandering nights detected: {} of {} ({:.0}%)",
        r.wandering_caught,
        r.wandering_nights,
        e.wandering_detected * 100.0
    );
    println!(
        "unworn days detected: {} of {} ({:.0}%)",
        r.unworn_caught,
        r.unworn_days,
        e.unworn_detected * 100.0
    );
    Ok(())
}

/// `phr care evaluate --recordings FILE...`: injected events in real
/// recordings; no vault needed.
fn evaluate_real(
    json: bool,
    paths: &[std::path::PathBuf],
    trials: u32,
    seed: u64,
) -> anyhow::Result<()> {
    let e = phr_api::evaluate_alert_rules_on_recordings(paths, trials, seed)?;
    if json {
        return print_json(&e);
    }
    let r = &e.report;
    println!("recording                        days  scored  wandering caught  unworn caught  not explained (night/inact/worn/rhythm)  untouched");
    for f in &r.recordings {
        if !f.used {
            println!(
                "{:<32} {:>4}  not used: {} worn days, fewer than 2 nights to inject (7 worn days before each)",
                f.name, f.days, f.worn_days
            );
            continue;
        }
        let u = &f.unexplained;
        let t = &f.untouched_alerts;
        println!(
            "{:<32} {:>4}  {:>6}  {:>9}/{:<6}  {:>6}/{:<6}  {}/{}/{}/{}{:>28}/{}/{}/{}",
            f.name,
            f.days,
            f.scored_days,
            f.wandering.1,
            f.wandering.0,
            f.unworn.1,
            f.unworn.0,
            u.night_activity,
            u.inactivity,
            u.not_worn,
            u.rhythm_decline,
            t.night_activity,
            t.inactivity,
            t.not_worn,
            t.rhythm_decline,
        );
    }
    println!(
        "{trials} trials per recording, seed {seed}, default thresholds; {:.2} person-months scored without an injection ({:.2} untouched)",
        r.person_months, r.untouched_person_months
    );
    println!(
        "wandering nights caught: {} of {} ({:.1}%)",
        r.wandering_caught,
        r.wandering_nights,
        e.wandering_detected * 100.0
    );
    for minutes in [45, 90, 150] {
        let of: Vec<_> = r.bouts.iter().filter(|b| b.minutes == minutes).collect();
        if !of.is_empty() {
            let caught = of.iter().filter(|b| b.caught).count();
            println!("  {minutes:>3} min bouts: {caught} of {}", of.len());
        }
    }
    println!(
        "unworn days caught: {} of {} ({:.1}%)",
        r.unworn_caught,
        r.unworn_days,
        e.unworn_detected * 100.0
    );
    let f = &r.false_alarms;
    println!(
        "false alarms: night_activity {}, inactivity {}, not_worn {}, rhythm_decline {} ({:.2} night alarms and {:.2} in all per person-month); not_worn on the recordings' own non-wear: {}",
        f.night_activity,
        f.inactivity,
        f.not_worn,
        f.rhythm_decline,
        e.false_night_alarms_per_person_month,
        e.false_alarms_per_person_month,
        r.own_non_wear
    );
    println!(
        "  night alarms the untouched recording does not raise: {:.2} per person-month",
        e.induced_night_alarms_per_person_month
    );
    for f in &r.distinct_false_alarms {
        println!(
            "  {} {} {} to {} (in {} trials{}): {}",
            f.recording,
            f.kind,
            f.start,
            f.end,
            f.trials,
            if f.untouched {
                ", and on the untouched recording"
            } else {
                ""
            },
            f.explanation
        );
    }
    Ok(())
}

/// `phr care settings [--set KEY=VALUE]...`: the thresholds, changed first
/// if asked.
fn settings(cx: &Context, person: Option<&str>, set: &[String]) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let settings = phr.update_alert_settings(person, set)?;
    if cx.json {
        return print_sorted_json(&settings);
    }
    if let serde_json::Value::Object(map) = serde_json::to_value(settings)? {
        for (key, value) in map {
            println!("{key} = {value}");
        }
    }
    Ok(())
}

fn digest(cx: &Context, person: Option<&str>, lang: LangArg) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let digest = phr.care_digest(person, today(), lang.into())?;
    if cx.json {
        print_json(&serde_json::json!({"digest": digest}))?;
    } else {
        println!("{digest}");
    }
    Ok(())
}
