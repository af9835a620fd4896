//! The research export keeps values and drops identity.

use crate::fixtures;
use phr_fhir::{pseudonymise, PseudonymKey, Resource, PSEUDONYM_SYSTEM};

const SECRET: &[u8] = b"study-A-secret-6f1d9b2e8c";

fn export() -> (Vec<Resource>, String) {
    let resources: Vec<Resource> = fixtures::all().into_iter().map(|(_, r)| r).collect();
    let key = PseudonymKey::new(SECRET, -123).expect("key");
    let out = pseudonymise(&resources, fixtures::PERSON_KEY, &key).expect("pseudonymise");
    let json = serde_json::to_string(&out).expect("json");
    (out, json)
}

#[test]
fn no_name_serial_label_key_or_original_date_remains() {
    let (_, json) = export();
    let original: Vec<Resource> = fixtures::all().into_iter().map(|(_, r)| r).collect();
    let original_json = serde_json::to_string(&original).expect("json");
    for secret in [
        fixtures::NAME,
        "Hanako",
        "Yamada",
        fixtures::SERIAL,
        fixtures::LABEL,
        fixtures::PERSON_KEY,
        fixtures::BIRTH_DATE,
        "2026-03-01",
        "2026-02-28",
        "2026-03-02",
        "2026-02-15",
        "2026-06-02",
        "C7:12:9A",
    ] {
        assert!(!json.contains(secret), "{secret:?} survived");
    }
    // Every original identifier value and urn is gone too.
    for resource in &original {
        if let Some(id) = phr_fhir::stable_id_of(resource) {
            assert!(
                !json.contains(id.value()),
                "identifier {} survived",
                id.value()
            );
            assert!(!json.contains(&id.uuid()), "uuid {} survived", id.uuid());
        }
    }
    assert!(original_json.contains(fixtures::NAME), "fixture sanity");
}

#[test]
fn values_times_of_day_and_links_survive() {
    let (out, json) = export();
    let key = PseudonymKey::new(SECRET, -123).expect("key");
    // Patient carries the pseudonym; birth date moved by the same offset.
    let Resource::Patient(patient) = &out[0] else {
        panic!("patient first");
    };
    assert!(patient.name.is_empty());
    assert_eq!(
        patient.identifier[0].system.as_deref(),
        Some(PSEUDONYM_SYSTEM)
    );
    assert_eq!(
        patient.identifier[0].value.as_deref(),
        Some(key.pseudonym(fixtures::PERSON_KEY).as_str())
    );
    assert_eq!(patient.birth_date.as_deref(), Some("1949-11-30"));
    // Sleep: 23:10 local on 2026-02-28 minus 123 days.
    assert!(
        json.contains("\"start\":\"2025-10-28T23:10:00+09:00\""),
        "{json}"
    );
    assert!(json.contains("\"value\":7267"));
    // The document with the rendered report is left out.
    assert!(!out
        .iter()
        .any(|resource| matches!(resource, Resource::DocumentReference(_))));
    // References still point at the (renamed) Patient.
    let patient_urn = phr_fhir::stable_id_of(&out[0]).expect("id").urn();
    let Resource::Observation(steps) = &out[2] else {
        panic!("daily steps third");
    };
    assert_eq!(
        steps.subject.as_ref().and_then(|s| s.reference.as_deref()),
        Some(patient_urn.as_str())
    );
    // Device keeps make and model, loses serial and label.
    let Resource::Device(device) = &out[1] else {
        panic!("device second");
    };
    assert!(device.serial_number.is_none() && device.device_name.is_empty());
    assert_eq!(device.model_number.as_deref(), Some("PineTime"));
}

#[test]
fn recipients_cannot_link_their_exports() {
    let resources: Vec<Resource> = fixtures::all().into_iter().map(|(_, r)| r).collect();
    let a = PseudonymKey::derive(SECRET).expect("key");
    let b = PseudonymKey::derive(b"study-B-secret-0a7c33e1f2").expect("key");
    let out_a = pseudonymise(&resources, fixtures::PERSON_KEY, &a).expect("a");
    let out_b = pseudonymise(&resources, fixtures::PERSON_KEY, &b).expect("b");
    let id_a = phr_fhir::stable_id_of(&out_a[0]).expect("id");
    let id_b = phr_fhir::stable_id_of(&out_b[0]).expect("id");
    assert_ne!(id_a, id_b);
    // Deterministic for one recipient.
    let again = pseudonymise(&resources, fixtures::PERSON_KEY, &a).expect("again");
    assert_eq!(out_a, again);
}
