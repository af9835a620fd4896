//! Transaction bundles, splitting, collection bundles and NDJSON.

use crate::fixtures;
use phr_fhir::{
    collection_bundle, ndjson_files, transaction_bundles, BundleType, FhirError, Resource,
    TransactionOptions, IDENTIFIER_SYSTEM,
};
use std::collections::BTreeSet;

fn urns_in(bundle: &phr_fhir::Bundle) -> BTreeSet<String> {
    bundle
        .entry
        .iter()
        .filter_map(|entry| entry.full_url.clone())
        .collect()
}

/// Every `urn:uuid:` reference in a bundle resolves to an entry of it.
fn assert_self_contained(bundle: &phr_fhir::Bundle) {
    let urns = urns_in(bundle);
    for entry in &bundle.entry {
        let mut resource = entry.resource.clone().expect("resource");
        resource.for_each_reference_mut(&mut |reference| {
            if let Some(target) = &reference.reference {
                assert!(urns.contains(target), "{target} does not resolve");
            }
        });
    }
}

#[test]
fn one_bundle_posts_each_resource_conditionally() {
    let context = fixtures::context();
    let options = TransactionOptions {
        max_entries: 100,
        provenance: Some(&context),
    };
    let bundles =
        transaction_bundles(&fixtures::shared(), &fixtures::selected(), &options).expect("bundle");
    assert_eq!(bundles.len(), 1);
    let bundle = &bundles[0];
    assert_eq!(bundle.type_, BundleType::Transaction);
    // 2 shared + 9 selected + 1 provenance.
    assert_eq!(bundle.entry.len(), 12);
    for entry in &bundle.entry {
        let request = entry.request.as_ref().expect("request");
        let resource = entry.resource.as_ref().expect("resource");
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, resource.resource_type());
        assert!(resource.id().is_none(), "ids are the server's to assign");
        let search = request.if_none_exist.as_deref().expect("ifNoneExist");
        let id = phr_fhir::stable_id_of(resource).expect("stable id");
        assert!(search.ends_with(&format!("={IDENTIFIER_SYSTEM}|{}", id.value())));
        assert_eq!(entry.full_url.as_deref(), Some(id.urn().as_str()));
    }
    assert_self_contained(bundle);
    // A bundle on its own is a complete resource.
    let json = serde_json::to_value(bundle).expect("json");
    assert_eq!(json["resourceType"], "Bundle");
    assert_eq!(json["entry"][0]["resource"]["resourceType"], "Patient");
    // Reproducible.
    let again =
        transaction_bundles(&fixtures::shared(), &fixtures::selected(), &options).expect("bundle");
    assert_eq!(
        serde_json::to_string(&bundles).expect("json"),
        serde_json::to_string(&again).expect("json")
    );
}

#[test]
fn large_selections_split_and_each_part_resolves() {
    let context = fixtures::context();
    // Many days of steps and intervals.
    let mut selected: Vec<Resource> = Vec::new();
    for day in 0..40 {
        let mut steps = fixtures::daily();
        steps.date = fixtures::date(2026, 1, 1) + chrono::Duration::days(day);
        selected.push(
            phr_fhir::daily_steps(&context, &steps)
                .expect("steps")
                .into(),
        );
    }
    let options = TransactionOptions {
        max_entries: 10,
        provenance: Some(&context),
    };
    let bundles = transaction_bundles(&fixtures::shared(), &selected, &options).expect("bundles");
    // 10 entries: Patient, Device, Provenance + 7 observations.
    assert_eq!(bundles.len(), 6);
    let mut seen = BTreeSet::new();
    for bundle in &bundles {
        assert!(bundle.entry.len() <= 10);
        assert_self_contained(bundle);
        for entry in &bundle.entry[2..bundle.entry.len() - 1] {
            assert!(
                seen.insert(entry.full_url.clone()),
                "observation sent twice"
            );
        }
    }
    assert_eq!(seen.len(), 40);
}

#[test]
fn a_report_stays_with_its_results() {
    // Without the fixture's Provenance (which cites every observation): the
    // report, the three results it cites and the document citing the report
    // form one group of 5; with Patient and Device that needs 7 entries.
    let selected: Vec<Resource> = fixtures::selected()
        .into_iter()
        .filter(|resource| !matches!(resource, Resource::Provenance(_)))
        .collect();
    let options = TransactionOptions {
        max_entries: 7,
        provenance: None,
    };
    let bundles = transaction_bundles(&fixtures::shared(), &selected, &options).expect("bundles");
    assert!(bundles.len() > 1);
    for bundle in &bundles {
        assert_self_contained(bundle);
    }
    let options = TransactionOptions {
        max_entries: 6,
        provenance: None,
    };
    let error = transaction_bundles(&fixtures::shared(), &selected, &options).unwrap_err();
    assert!(error.to_string().contains("need 5 entries"), "{error}");
}

#[test]
fn limits_and_dangling_references_are_errors() {
    let options = TransactionOptions {
        max_entries: 2,
        provenance: None,
    };
    assert!(matches!(
        transaction_bundles(&fixtures::shared(), &fixtures::selected(), &options),
        Err(FhirError::BundleTooSmall { .. })
    ));
    // Observations name the Device; leaving it out is caught.
    let patient_only: Vec<Resource> = fixtures::shared().into_iter().take(1).collect();
    let error = transaction_bundles(
        &patient_only,
        &fixtures::selected(),
        &TransactionOptions::default(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("not in the selection"),
        "{error}"
    );
}

#[test]
fn collection_bundle_is_self_contained() {
    let resources: Vec<Resource> = fixtures::all().into_iter().map(|(_, r)| r).collect();
    let bundle = collection_bundle(&resources, "2026-03-02T09:00:00+09:00").expect("bundle");
    assert_eq!(bundle.type_, BundleType::Collection);
    assert_eq!(bundle.entry.len(), resources.len());
    assert!(bundle.identifier.is_some());
    assert_self_contained(&bundle);
}

#[test]
fn ndjson_has_one_file_per_type_with_local_references() {
    let resources: Vec<Resource> = fixtures::all().into_iter().map(|(_, r)| r).collect();
    let files = ndjson_files(&resources).expect("ndjson");
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Consent.ndjson",
            "Device.ndjson",
            "DiagnosticReport.ndjson",
            "DocumentReference.ndjson",
            "Observation.ndjson",
            "Patient.ndjson",
            "Provenance.ndjson",
        ]
    );
    let observations = &files[4].1;
    assert_eq!(observations.lines().count(), 5);
    assert!(observations.ends_with('\n'));
    let patient_uuid = fixtures::context().patient_id().uuid();
    for line in observations.lines() {
        let resource: Resource = serde_json::from_str(line).expect("line is a resource");
        assert!(resource.id().is_some());
        assert!(!line.contains("urn:uuid:"), "{line}");
        assert!(line.contains(&format!("\"Patient/{patient_uuid}\"")));
    }
}
