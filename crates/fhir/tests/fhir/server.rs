//! Round trip through the in-memory test server (`tests/fhir-server/
//! server.mjs`): a transaction sent twice creates its resources once.

use crate::fixtures;
use phr_fhir::{transaction_bundles, Bundle, BundleType, TransactionOptions, IDENTIFIER_SYSTEM};
use phr_test_fhir_server::TestServer;

const TOKEN: &str = "test-token-3f9a";

/// The base URL without its trailing slash (paths below start with `/`).
fn base(server: &TestServer) -> &str {
    server.base.trim_end_matches('/')
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn get(server: &TestServer, path: &str) -> (u16, serde_json::Value) {
    let mut response = agent()
        .get(&format!("{}{path}", base(server)))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .header("Accept", "application/fhir+json")
        .call()
        .expect("GET");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("body");
    (status, serde_json::from_str(&body).expect("json"))
}

fn post_bundle(server: &TestServer, bundle: &Bundle, token: Option<&str>) -> (u16, String) {
    let mut request = agent()
        .post(&format!("{}/", base(server)))
        .header("Content-Type", "application/fhir+json");
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request
        .send(serde_json::to_string(bundle).expect("json"))
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().expect("body"))
}

fn total(server: &TestServer, search: &str) -> u64 {
    let (status, body) = get(server, search);
    assert_eq!(status, 200, "{search}: {body}");
    body["total"].as_u64().expect("total")
}

#[test]
fn a_resent_transaction_creates_nothing_new() {
    let server = TestServer::start(&["--token", TOKEN]);
    let (status, metadata) = get(&server, "/metadata");
    assert_eq!(status, 200);
    assert_eq!(metadata["fhirVersion"], "4.0.1");

    let context = fixtures::context();
    // Small bundles: Patient and Device repeat in each.
    // The fixture's own Provenance cites every observation; each bundle gets
    // its own instead.
    let selected: Vec<phr_fhir::Resource> = fixtures::selected()
        .into_iter()
        .filter(|resource| !matches!(resource, phr_fhir::Resource::Provenance(_)))
        .collect();
    // Medplum runs a transaction with conditional creates under strict
    // isolation and refuses more than 8 entries in one: the split is needed.
    let options = TransactionOptions {
        max_entries: 8,
        provenance: Some(&context),
    };
    let bundles = transaction_bundles(&fixtures::shared(), &selected, &options).expect("bundles");
    assert!(
        bundles.len() >= 2,
        "expected a split, got {}",
        bundles.len()
    );

    let (status, _) = post_bundle(&server, &bundles[0], None);
    assert_eq!(status, 401, "no token, no access");

    for bundle in &bundles {
        let (status, body) = post_bundle(&server, bundle, Some(TOKEN));
        assert_eq!(status, 200, "{body}");
        let reply: Bundle = serde_json::from_str(&body).expect("transaction-response");
        assert_eq!(reply.type_, BundleType::TransactionResponse);
    }
    let patient_id = context.patient_id();
    let patient_search = format!(
        "/Patient?identifier={}",
        encode(&format!("{IDENTIFIER_SYSTEM}|{}", patient_id.value()))
    );
    assert_eq!(
        total(&server, &patient_search),
        1,
        "one Patient across bundles"
    );
    let (_, patients) = get(&server, &patient_search);
    let server_patient = patients["entry"][0]["resource"]["id"]
        .as_str()
        .expect("patient id")
        .to_string();
    let steps_search = format!(
        "/Observation?subject={}&code={}",
        encode(&format!("Patient/{server_patient}")),
        encode("http://loinc.org|41950-7")
    );
    assert_eq!(
        total(&server, &steps_search),
        1,
        "daily steps, linked to the Patient"
    );
    let counts_before: Vec<u64> = [
        "Patient",
        "Device",
        "Observation",
        "Provenance",
        "Consent",
        "DiagnosticReport",
        "DocumentReference",
    ]
    .iter()
    .map(|type_| total(&server, &format!("/{type_}?_count=0")))
    .collect();
    assert_eq!(counts_before, [1, 1, 5, bundles.len() as u64, 1, 1, 1]);

    // Again: every entry matches its ifNoneExist search; nothing is created.
    for bundle in &bundles {
        let (status, body) = post_bundle(&server, bundle, Some(TOKEN));
        assert_eq!(status, 200, "{body}");
        let reply: Bundle = serde_json::from_str(&body).expect("transaction-response");
        for entry in &reply.entry {
            let response = entry.response.as_ref().expect("response");
            assert!(response.status.starts_with("200"), "{}", response.status);
        }
    }
    let counts_after: Vec<u64> = [
        "Patient",
        "Device",
        "Observation",
        "Provenance",
        "Consent",
        "DiagnosticReport",
        "DocumentReference",
    ]
    .iter()
    .map(|type_| total(&server, &format!("/{type_}?_count=0")))
    .collect();
    assert_eq!(counts_before, counts_after);
}

#[test]
fn injected_failures_carry_an_operation_outcome() {
    let server = TestServer::start(&["--token", TOKEN]);
    let mut arm = agent()
        .post(&format!("{}/_test/fail?count=1&status=429", base(&server)))
        .send_empty()
        .expect("arm");
    assert_eq!(arm.status().as_u16(), 200);
    let _ = arm.body_mut().read_to_string();
    let mut response = agent()
        .get(&format!("{}/Patient", base(&server)))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .call()
        .expect("GET");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body = response.body_mut().read_to_string().expect("body");
    let outcome: phr_fhir::Resource = serde_json::from_str(&body).expect("outcome");
    let phr_fhir::Resource::OperationOutcome(outcome) = outcome else {
        panic!("not an OperationOutcome: {body}");
    };
    assert!(outcome.has_errors());
    assert_eq!(outcome.describe(), "error throttled: injected failure 429");
    // The next request goes through.
    let (status, _) = get(&server, "/Patient");
    assert_eq!(status, 200);
}
