//! Caregiver alerts on real wrist recordings (pyActigraphy's own test
//! Actiwatch recordings) with wandering bouts and unworn days injected by
//! the seeded protocol of `phr_care::evaluate_recordings`
//! (docs/care.md, "Evaluation on real recordings"). The bounds were
//! measured and leave a margin; they fail when the wear rule or the
//! person's own night is taken away (second test).

use phr_care::{evaluate_recordings, AlertSettings, FeatureSettings, InjectionPlan, RealRecording};
use std::path::PathBuf;

use super::pyactigraphy::recording;

/// The recordings with at least two nights that have a week of worn
/// nights before them.
const RECORDINGS: [&str; 7] = [
    "example_01.AWD",
    "example_02.AWD",
    "example_03.AWD",
    "example_04.AWD",
    "example_05.AWD",
    "test_sample_aw4.AWD",
    "test_sample_awmk2.AWD",
];

fn paths() -> Vec<PathBuf> {
    RECORDINGS.iter().map(|name| recording(name)).collect()
}

fn read(path: &PathBuf) -> RealRecording {
    let file = std::fs::File::open(path).expect("open");
    let name = path.display().to_string();
    let rec = phr_import::parse_awd(std::io::BufReader::new(file), &name, |_| {}).expect("AWD");
    RealRecording {
        name,
        start: rec.start,
        epoch_seconds: rec.epoch_seconds,
        counts: rec.counts,
    }
}

#[test]
fn alerts_on_real_recordings_catch_injected_events_with_few_false_alarms() {
    let e = phr_api::evaluate_alert_rules_on_recordings(&paths(), 20, 1).expect("evaluation");
    let r = &e.report;
    eprintln!(
        "caught {}/{} wandering, {}/{} unworn; false alarms {:?} over {:.2} person-months",
        r.wandering_caught,
        r.wandering_nights,
        r.unworn_caught,
        r.unworn_days,
        r.false_alarms,
        r.person_months
    );
    assert!(r.recordings.iter().all(|f| f.used), "{:#?}", r.recordings);
    assert!(r.wandering_nights >= 200 && r.unworn_days >= 30);
    // Measured: 224 of 235 (95.3 %; 222 before the bout test went from 4
    // to 3 MADs and the learned night's limit from 10 to 12 h, 210 before
    // the active-minutes factor went from 4 to 2 MADs); of the bouts of 90
    // minutes or more (the wandering a caregiver fears) 143 of 147 (97 %);
    // of 45 minutes 81 of 88 (92 %). Over seeds 1 to 5: the next test.
    assert!(e.wandering_detected >= 0.93, "{}", e.wandering_detected);
    let caught = |min: u32, max: u32| {
        let of: Vec<_> = r
            .bouts
            .iter()
            .filter(|b| (min..=max).contains(&b.minutes))
            .collect();
        of.iter().filter(|b| b.caught).count() as f64 / of.len().max(1) as f64
    };
    assert!(caught(90, 150) >= 0.95, "{}", caught(90, 150));
    assert!(caught(0, 89) >= 0.85, "{}", caught(0, 89));
    // Measured: every unworn day, and no not_worn alert elsewhere except on
    // the recordings' own days off the wrist.
    assert_eq!(r.unworn_caught, r.unworn_days);
    assert_eq!(r.false_alarms.not_worn, 0);
    // Measured: no inactivity or rhythm alarm, and night alarms on two
    // nights only, both of one recording and on the untouched recording
    // too (93 and 144 minutes of walking-level activity in the person's
    // usual night: real night activity or false alarms, no diary says; a
    // third, 39 minutes, with the night at most 10 h). On the six other
    // recordings, none.
    assert_eq!(r.false_alarms.inactivity + r.false_alarms.rhythm_decline, 0);
    assert!(
        r.distinct_false_alarms.len() <= 3
            && r.distinct_false_alarms
                .iter()
                .all(|f| f.recording.ends_with("test_sample_aw4.AWD")),
        "{:#?}",
        r.distinct_false_alarms
    );
    assert!(
        r.distinct_false_alarms.iter().all(|f| f.untouched),
        "{:#?}",
        r.distinct_false_alarms
    );
    // (So no night alarm here is one the injections raised themselves:
    // `induced_night_alarms_per_person_month` is 0 for this seed, 0.11 for
    // seeds 2, 3 and 5.)
}

#[test]
fn over_five_seeds_at_least_95_percent_of_wandering_nights_are_caught() {
    // Measured: 1,144 of 1,194 (95.8 %), every seed 95.0 % or more; false
    // night alarms only on the two real nights of `test_sample_aw4`
    // above, and those the injections raised themselves 0.07 per
    // person-month.
    let (mut caught, mut injected, mut induced, mut months) = (0, 0, 0.0, 0.0);
    for seed in 1..=5 {
        let e =
            phr_api::evaluate_alert_rules_on_recordings(&paths(), 20, seed).expect("evaluation");
        caught += e.report.wandering_caught;
        injected += e.report.wandering_nights;
        induced += e.induced_night_alarms_per_person_month * e.report.person_months;
        months += e.report.person_months;
    }
    let detected = f64::from(caught) / f64::from(injected);
    eprintln!(
        "caught {caught}/{injected}; induced night alarms {:.2} per person-month",
        induced / months
    );
    assert!(detected >= 0.95, "{caught}/{injected}");
    assert!(induced / months <= 0.25, "{}", induced / months);
}

#[test]
fn without_still_sleep_and_the_persons_own_night_real_wandering_is_missed() {
    let recordings: Vec<RealRecording> = paths().iter().map(read).collect();
    let plan = InjectionPlan { trials: 5, seed: 1 };
    let now = evaluate_recordings(
        &recordings,
        &plan,
        &FeatureSettings::default(),
        &AlertSettings::default(),
    );
    // The wear rule as before: every 90-minute zero run is non-wear, and
    // the fixed 00:00-05:00 night.
    let before = FeatureSettings {
        still_sleep_max_minutes: 0,
        night_learning_min_days: u32::MAX,
        ..FeatureSettings::default()
    };
    let then = evaluate_recordings(&recordings, &plan, &before, &AlertSettings::default());
    eprintln!(
        "now {}/{}, before {}/{}",
        now.wandering_caught, now.wandering_nights, then.wandering_caught, then.wandering_nights
    );
    assert_eq!(now.wandering_nights, then.wandering_nights);
    assert!(
        now.wandering_detection() >= then.wandering_detection() + 0.15,
        "now {} before {}",
        now.wandering_detection(),
        then.wandering_detection()
    );
}
