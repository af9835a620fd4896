//! Every resource this crate writes passes both Node validators
//! (`tests/fhir-server/validate.mjs`: Medplum's structural validator and
//! FHIR.js's binding checks). Needs `npm ci --prefix tests/fhir-server`.

use crate::{fixtures, node};
use phr_fhir::{
    collection_bundle, ndjson_files, pseudonymise, transaction_bundles, PseudonymKey, Resource,
    TransactionOptions,
};

#[test]
fn exported_resources_pass_both_validators() {
    node::require();
    let temp = node::TempDir::new("validate");
    let mut files = Vec::new();
    let mut write = |name: String, content: String| {
        let path = temp.0.join(name);
        std::fs::write(&path, content).expect("write");
        files.push(path);
    };
    // Each mapped resource (the snapshots).
    for (name, resource) in fixtures::all() {
        write(format!("{name}.json"), fixtures::pretty(&resource));
    }
    // The transaction bundles, a collection bundle, NDJSON, and the
    // pseudonymised export.
    let context = fixtures::context();
    let options = TransactionOptions {
        max_entries: 100,
        provenance: Some(&context),
    };
    let bundles =
        transaction_bundles(&fixtures::shared(), &fixtures::selected(), &options).expect("bundles");
    for (index, bundle) in bundles.iter().enumerate() {
        write(
            format!("transaction-{index}.json"),
            fixtures::pretty(bundle),
        );
    }
    let all: Vec<Resource> = fixtures::all().into_iter().map(|(_, r)| r).collect();
    let collection = collection_bundle(&all, "2026-03-02T09:00:00+09:00").expect("collection");
    write("collection.json".to_string(), fixtures::pretty(&collection));
    for (name, content) in ndjson_files(&all).expect("ndjson") {
        write(name, content);
    }
    let key = PseudonymKey::derive(b"validator-test-secret-0001").expect("key");
    let research = pseudonymise(&all, fixtures::PERSON_KEY, &key).expect("pseudonymise");
    for (name, content) in ndjson_files(&research).expect("ndjson") {
        write(format!("research-{name}"), content);
    }

    let report = phr_test_fhir_server::validate(&files);
    assert!(report.starts_with("ok: "), "{report}");
}

#[test]
fn the_validators_do_catch_faults() {
    node::require();
    let temp = node::TempDir::new("validate-bad");
    // A bad status code (FHIR.js), an unknown property and a bad date
    // (Medplum).
    let bad_status = r#"{"resourceType":"Observation","status":"done","code":{"text":"x"}}"#;
    let unknown =
        r#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"colour":"blue"}"#;
    let bad_date = r#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2026-13-45"}"#;
    let mut files = Vec::new();
    for (name, content) in [
        ("status", bad_status),
        ("unknown", unknown),
        ("date", bad_date),
    ] {
        let path = temp.0.join(format!("{name}.json"));
        std::fs::write(&path, content).expect("write");
        files.push(path);
    }
    let (passed, stdout) = phr_test_fhir_server::run_validators(&files);
    assert!(!passed, "{stdout}");
    assert!(
        stdout.contains("status.json Observation: fhir.js error: Code \"done\""),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "unknown.json Observation: medplum error: Invalid additional property \"colour\""
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("date.json Observation: medplum error: Invalid dateTime format"),
        "{stdout}"
    );
}
