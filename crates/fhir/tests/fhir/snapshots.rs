//! Snapshot of each mapped resource as FHIR JSON (`snapshots/<name>.json`).
//! Update with `UPDATE_EXPECT=1 cargo test -p phr-fhir`.

use crate::fixtures;
use expect_test::expect_file;
use phr_fhir::Resource;

fn check(name: &str) {
    let (_, resource) = fixtures::all()
        .into_iter()
        .find(|(known, _)| *known == name)
        .expect("fixture name");
    let json = fixtures::pretty(&resource);
    // Round trip: what we write we can read back unchanged.
    let parsed: Resource = serde_json::from_str(&json).expect("parse back");
    assert_eq!(parsed, resource, "{name} does not round-trip");
    assert!(!json.contains("null"), "{name} has a null");
    expect_file![format!("snapshots/{name}.json")].assert_eq(&json);
}

#[test]
fn patient() {
    check("patient");
}

#[test]
fn device() {
    check("device");
}

#[test]
fn daily_steps() {
    check("daily_steps");
}

#[test]
fn interval_steps() {
    check("interval_steps");
}

#[test]
fn sleep_episode() {
    check("sleep_episode");
}

#[test]
fn minute_activity() {
    check("minute_activity");
}

#[test]
fn circadian_metrics() {
    check("circadian_metrics");
}

#[test]
fn diagnostic_report() {
    check("diagnostic_report");
}

#[test]
fn document_reference() {
    check("document_reference");
}

#[test]
fn consent() {
    check("consent");
}

#[test]
fn provenance() {
    check("provenance");
}

#[test]
fn every_fixture_has_a_snapshot_test() {
    let names: Vec<&str> = fixtures::all().into_iter().map(|(name, _)| name).collect();
    let source = include_str!("snapshots.rs");
    for name in names {
        assert!(
            source.contains(&format!("check(\"{name}\")")),
            "no snapshot test for {name}"
        );
    }
}
