//! Caregiving commands on a cared-for person's data with wandering nights.

use super::*;

/// Three weeks of minute CSV with wandering in the nights after `wander`.
fn csv_with_wandering(path: &Path, wander: &[chrono::NaiveDate]) {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let mut scenario = phr_synth::Scenario::ordinary(17, date(2026, 4, 1), 21, tokyo);
    scenario.wandering_nights = wander.to_vec();
    scenario_csv(path, &scenario);
}

#[test]
fn wandering_nights_raise_stable_alerts_that_can_be_acknowledged() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    ok(phr(&vault).args(["people", "add", "Tanaka Haruko"]));
    let csv = dir.path().join("haruko.csv");
    csv_with_wandering(&csv, &[date(2026, 4, 16), date(2026, 4, 18)]);
    ok(phr(&vault)
        .arg("import")
        .arg(&csv)
        .args(["--person", "Tanaka Haruko"]));

    let alerts: serde_json::Value = serde_json::from_str(&ok(phr(&vault).args([
        "--json",
        "care",
        "alerts",
        "--person",
        "Tanaka Haruko",
    ])))
    .expect("json");
    let alerts = alerts.as_array().expect("array").clone();
    let night: Vec<&serde_json::Value> = alerts
        .iter()
        .filter(|a| a["kind"] == "night_activity")
        .collect();
    let starts: Vec<&str> = night
        .iter()
        .map(|a| &a["start"].as_str().expect("start")[..10])
        .collect();
    assert_eq!(starts, vec!["2026-04-17", "2026-04-19"], "{alerts:#?}");
    for a in &alerts {
        for key in [
            "id",
            "person",
            "kind",
            "start",
            "end",
            "severity",
            "explanation",
        ] {
            assert!(!a[key].is_null(), "{key} missing in {a}");
        }
        assert_eq!(a["person"], 2);
        assert!(chrono::NaiveDateTime::parse_from_str(
            a["start"].as_str().expect("start"),
            "%Y-%m-%dT%H:%M:%S"
        )
        .is_ok());
    }
    assert!(
        night[0]["explanation"]
            .as_str()
            .expect("text")
            .contains("usual"),
        "{}",
        night[0]
    );
    // Nothing for the owner, who has no data.
    assert_eq!(
        ok(phr(&vault).args(["--json", "care", "alerts"])).trim(),
        "[]"
    );

    // Evaluating again neither duplicates nor loses anything; ids are stable.
    let again: serde_json::Value = serde_json::from_str(&ok(
        phr(&vault).args(["--json", "care", "alerts", "--person", "2"])
    ))
    .expect("json");
    assert_eq!(again.as_array().expect("array").len(), alerts.len());
    let id = night[0]["id"].as_str().expect("id");
    ok(phr(&vault).args([
        "care",
        "ack",
        id,
        "--note",
        "Checked on her; she was looking for the bathroom.",
    ]));
    let after: serde_json::Value = serde_json::from_str(&ok(phr(&vault).args([
        "--json",
        "care",
        "alerts",
        "--person",
        "2",
        "--since",
        "2026-04-18",
        "--lang",
        "ja",
    ])))
    .expect("json");
    let after = after.as_array().expect("array");
    assert!(after
        .iter()
        .all(|a| a["end"].as_str().expect("end") >= "2026-04-18"));
    let acknowledged = again
        .as_array()
        .expect("array")
        .iter()
        .any(|a| a["id"] == id);
    assert!(acknowledged);
    let ja = after
        .iter()
        .find(|a| a["kind"] == "night_activity")
        .expect("ja alert");
    assert!(
        ja["explanation"]
            .as_str()
            .expect("text")
            .chars()
            .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
        "{ja}"
    );
    let listed = ok(phr(&vault).args(["care", "alerts", "--person", "2"]));
    assert!(listed.contains("(acknowledged)"), "{listed}");
    assert!(String::from_utf8_lossy(
        &run(phr(&vault).args(["care", "ack", "0000", "--note", "x"])).stderr
    )
    .contains("no alert"));

    let people = ok(phr(&vault).args(["care", "people"]));
    assert!(
        people.contains("Tanaka Haruko") && people.contains("cared"),
        "{people}"
    );
    let digest_en =
        ok(phr(&vault).args(["care", "digest", "--week", "--person", "2", "--lang", "en"]));
    let digest_ja =
        ok(phr(&vault).args(["care", "digest", "--week", "--person", "2", "--lang", "ja"]));
    assert!(
        digest_en.contains("Tanaka Haruko") && digest_ja.contains("さん"),
        "{digest_en}\n{digest_ja}"
    );
}

#[test]
fn alert_settings_are_per_person_and_every_import_is_evaluated() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    ok(phr(&vault).args(["people", "add", "Tanaka Haruko"]));
    ok(phr(&vault).args(["people", "add", "Sato Kenji"]));
    let csv = dir.path().join("nights.csv");
    csv_with_wandering(&csv, &[date(2026, 4, 16), date(2026, 4, 18)]);

    // Haruko's caregiver only wants to hear of very long night activity.
    let changed = serde_json::from_str::<serde_json::Value>(&ok(phr(&vault).args([
        "--json",
        "care",
        "settings",
        "--person",
        "Tanaka Haruko",
        "--set",
        "night_min_active_minutes=600",
        "--set",
        "not_worn_hours=8",
    ])))
    .expect("json");
    assert_eq!(changed["night_min_active_minutes"], 600);
    assert_eq!(changed["not_worn_hours"], 8);
    let kenji = serde_json::from_str::<serde_json::Value>(&ok(phr(&vault).args([
        "--json",
        "care",
        "settings",
        "--person",
        "Sato Kenji",
    ])))
    .expect("json");
    assert_eq!(kenji["night_min_active_minutes"], 30, "defaults for others");

    // Each import evaluates the new days and says how many alerts it raised.
    let mut raised = Vec::new();
    for who in ["Tanaka Haruko", "Sato Kenji"] {
        let summary = serde_json::from_str::<serde_json::Value>(&ok(phr(&vault)
            .args(["--json", "import"])
            .arg(&csv)
            .args(["--person", who])))
        .expect("json");
        raised.push(summary["new_alerts"].as_u64().expect("new_alerts"));
    }
    let night_alerts = |person: &str| {
        let alerts = serde_json::from_str::<serde_json::Value>(&ok(
            phr(&vault).args(["--json", "care", "alerts", "--person", person])
        ))
        .expect("json");
        alerts
            .as_array()
            .expect("array")
            .iter()
            .filter(|a| a["kind"] == "night_activity")
            .count()
    };
    assert_eq!(night_alerts("Tanaka Haruko"), 0, "her thresholds apply");
    assert_eq!(night_alerts("Sato Kenji"), 2, "his do too");
    assert!(
        raised[1] >= 2,
        "the import raised Kenji's alerts: {raised:?}"
    );
    // Listing again raises nothing new: they were stored by the import.
    let again = serde_json::from_str::<serde_json::Value>(&ok(phr(&vault)
        .args(["--json", "import"])
        .arg(&csv)
        .args(["--person", "Sato Kenji"])))
    .expect("json");
    assert_eq!(again["new_alerts"], 0);

    for (bad, says) in [
        ("baseline_days=2", "alert settings rejected"),
        ("wandering=1", "unknown alert setting"),
        ("not_worn_hours=soon", "not a number"),
        ("not_worn_hours=2.5", "--set"),
    ] {
        let out = run(phr(&vault).args(["care", "settings", "--person", "2", "--set", bad]));
        assert_eq!(out.status.code(), Some(65), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{bad}: {stderr}");
    }
    let unchanged = serde_json::from_str::<serde_json::Value>(&ok(
        phr(&vault).args(["--json", "care", "settings", "--person", "2"])
    ))
    .expect("json");
    assert_eq!(unchanged, changed, "a rejected change changes nothing");
    let audit = ok(phr(&vault).arg("audit"));
    assert!(
        audit.contains("alert settings changed for person 2"),
        "{audit}"
    );
}

#[test]
fn the_evaluation_command_prints_false_alarm_and_detection_rates() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = dir.path().join("none.phr");
    let e: serde_json::Value = serde_json::from_str(&ok(phr(&vault).args([
        "--json", "care", "evaluate", "--people", "3", "--weeks", "8", "--seed", "5",
    ])))
    .expect("json");
    assert_eq!(e["report"]["people"], 3);
    assert_eq!(e["report"]["wandering_nights"], 9, "three per person");
    assert!(
        e["false_alarms_per_person_week"].as_f64().expect("rate") < 0.1,
        "{e}"
    );
    // 8 of 9 with these seeds: one wandering night follows two others
    // closely enough to blur the person's learned night (docs/care.md).
    assert!(
        e["wandering_detected"].as_f64().expect("rate") >= 0.85,
        "{e}"
    );
    assert!(e["unworn_detected"].as_f64().expect("rate") >= 0.9, "{e}");
    assert!(!vault.exists(), "no vault needed or made");
    let text = ok(phr(&vault).args(["care", "evaluate", "--people", "1", "--weeks", "7"]));
    assert!(text.contains("false alarms:") && text.contains("wandering nights detected:"));
    let out = run(phr(&vault).args(["care", "evaluate", "--weeks", "3"]));
    assert_eq!(out.status.code(), Some(65));
}

#[test]
fn the_evaluation_on_real_recordings_injects_and_scores() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = dir.path().join("none.phr");
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/reference/pyactigraphy-data/example_05.AWD");
    assert!(
        data.exists(),
        "{} is missing: run scripts/fetch_reference_data.sh",
        data.display()
    );
    let args = [
        "--json",
        "care",
        "evaluate",
        "--trials",
        "3",
        "--recordings",
    ];
    let e: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(args).arg(&data))).expect("json");
    assert_eq!(e["report"]["wandering_nights"], 6, "two per trial: {e}");
    assert_eq!(e["report"]["recordings"][0]["name"], "example_05.AWD");
    assert_eq!(e["report"]["bouts"].as_array().expect("bouts").len(), 6);
    for key in [
        "wandering_detected",
        "unworn_detected",
        "false_night_alarms_per_person_month",
        "false_alarms_per_person_month",
    ] {
        assert!(e[key].as_f64().is_some(), "{key}: {e}");
    }
    let text = ok(phr(&vault).args(&args[1..]).arg(&data));
    assert!(text.contains("wandering nights caught:"), "{text}");
    assert!(!vault.exists(), "no vault needed or made");
    // A file that is not a recording: named, exit 65.
    let bad = dir.path().join("notes.csv");
    std::fs::write(&bad, "this,is\nnot,counts\n").expect("write");
    let out = run(phr(&vault).args(&args[1..]).arg(&bad));
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.csv"));
}

#[test]
fn the_overview_lists_every_persons_open_alerts_most_severe_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault = init(dir.path());
    for (name, wander) in [
        ("Tanaka Haruko", vec![date(2026, 4, 16), date(2026, 4, 18)]),
        ("Sato Kenji", vec![date(2026, 4, 17)]),
    ] {
        ok(phr(&vault).args(["people", "add", name]));
        let csv = dir.path().join(format!("{name}.csv"));
        csv_with_wandering(&csv, &wander);
        ok(phr(&vault).arg("import").arg(&csv).args(["--person", name]));
    }
    // The owner has no data: the default list says where the alerts are.
    let own = ok(phr(&vault).args(["care", "alerts"]));
    assert!(own.contains("No alerts.") && own.contains("--all"), "{own}");

    let all = |vault: &Path| -> Vec<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(&ok(
            phr(vault).args(["--json", "care", "alerts", "--all"])
        ))
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
    };
    let alerts = all(&vault);
    let people: std::collections::BTreeSet<i64> = alerts
        .iter()
        .map(|a| a["person"].as_i64().expect("person"))
        .collect();
    assert_eq!(people, [2, 3].into_iter().collect(), "{alerts:#?}");
    let rank = |a: &serde_json::Value| match a["severity"].as_str() {
        Some("urgent") => 0,
        Some("warning") => 1,
        _ => 2,
    };
    for pair in alerts.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            rank(a) < rank(b) || (rank(a) == rank(b) && a["start"].as_str() <= b["start"].as_str()),
            "{a}\n{b}"
        );
    }
    let text = ok(phr(&vault).args(["care", "alerts", "--all"]));
    assert!(
        text.contains("Tanaka Haruko: ") && text.contains("Sato Kenji: "),
        "{text}"
    );

    // An acknowledged alert leaves the overview; the person list counts it.
    let first = alerts[0]["id"].as_str().expect("id").to_string();
    ok(phr(&vault).args(["care", "ack", &first, "--note", "checked on"]));
    assert_eq!(all(&vault).len(), alerts.len() - 1);
    let rows: serde_json::Value =
        serde_json::from_str(&ok(phr(&vault).args(["--json", "care", "people"]))).expect("json");
    let open: u64 = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["open_alerts"].as_u64().expect("open"))
        .sum();
    assert_eq!(open as usize, alerts.len() - 1);
    for row in rows.as_array().expect("rows").iter().skip(1) {
        assert!(
            row["days_since_data"].as_i64().is_some_and(|d| d > 100),
            "{row}"
        );
        assert!(row["last_sync_utc"].is_i64(), "{row}");
        assert!(
            row["open_urgent"].is_u64() && row["open_warning"].is_u64(),
            "{row}"
        );
        // Three weeks of a sleeper of about 23:00-06:30: their own night.
        let night = &row["night_window"];
        assert_eq!(night["learned"], true, "{row}");
        let start = night["start"].as_str().expect("start");
        let end = night["end"].as_str().expect("end");
        assert!(
            start >= "22:00" && ("05:00"..="08:00").contains(&end),
            "{row}"
        );
    }
    // No data, no night.
    assert!(rows[0]["night_window"].is_null(), "{}", rows[0]);
    let clash = run(phr(&vault).args(["care", "alerts", "--all", "--person", "2"]));
    assert_eq!(
        clash.status.code(),
        Some(2),
        "clap refuses --all with --person"
    );
}

/// Alert ids of a person, sorted, as `phr care alerts --json` lists them.
fn alert_ids(vault: &Path) -> Vec<String> {
    let alerts: serde_json::Value = serde_json::from_str(&ok(phr(vault).args([
        "--json",
        "care",
        "alerts",
        "--person",
        "Tanaka Haruko",
    ])))
    .expect("json");
    let mut ids: Vec<String> = alerts
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}

/// Two recordings five months apart (no data for more than 60 days between
/// them): the alerts do not depend on which came first, on being evaluated
/// after each import or all at once, and listing them again adds none.
#[test]
fn alert_ids_are_the_same_whichever_side_of_a_long_gap_came_first() {
    let tokyo = phr_model::parse_time_zone("Asia/Tokyo").expect("zone");
    let dir = tempfile::tempdir().expect("tmp");
    let april = dir.path().join("april.csv");
    csv_with_wandering(&april, &[date(2026, 4, 16), date(2026, 4, 18)]);
    let september = dir.path().join("september.csv");
    let mut later = phr_synth::Scenario::ordinary(18, date(2026, 9, 1), 21, tokyo);
    later.wandering_nights = vec![date(2026, 9, 16)];
    scenario_csv(&september, &later);
    let mut lists = Vec::new();
    for (name, order) in [
        ("forward", [&april, &september]),
        ("backward", [&september, &april]),
    ] {
        let home = dir.path().join(name);
        std::fs::create_dir(&home).expect("dir");
        let vault = init(&home);
        ok(phr(&vault).args(["people", "add", "Tanaka Haruko"]));
        for file in order {
            ok(phr(&vault)
                .arg("import")
                .arg(file)
                .args(["--person", "Tanaka Haruko"]));
        }
        let ids = alert_ids(&vault);
        assert_eq!(alert_ids(&vault), ids, "{name}: listing again adds nothing");
        lists.push(ids);
    }
    assert_eq!(lists[0], lists[1], "the same alerts whichever came first");
    let alerts: serde_json::Value = serde_json::from_str(&ok(phr(&dir
        .path()
        .join("forward/vault.phr"))
    .args(["--json", "care", "alerts", "--person", "Tanaka Haruko"])))
    .expect("json");
    let nights: Vec<&str> = alerts
        .as_array()
        .expect("array")
        .iter()
        .filter(|a| a["kind"] == "night_activity")
        .map(|a| &a["start"].as_str().expect("start")[..10])
        .collect();
    assert_eq!(
        nights,
        ["2026-04-17", "2026-04-19", "2026-09-17"],
        "{alerts:#}"
    );
}
