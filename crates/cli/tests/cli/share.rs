//! Sharing with a real FHIR server engine (Medplum's router, started on
//! loopback) and FHIR file export checked by two independent validators.

use super::*;
use phr_fhir_client::{Auth, FhirClient, RetryPolicy};
use phr_test_fhir_server::{validate, TestServer};
use zeroize::Zeroizing;

const TOKEN: &str = "share-test-token-81c2";

fn json(out: String) -> serde_json::Value {
    serde_json::from_str(&out).expect("json")
}

/// A demo vault of 10 days and the 3 middle days as (from, to, steps per day).
fn demo_vault(dir: &Path) -> (PathBuf, String, String, Vec<(String, u64)>) {
    let vault = dir.join("share.phr");
    ok(phr(&vault).args(["demo", "--days", "10"]));
    let days = json(ok(phr(&vault).args(["--json", "days"])));
    let days = days.as_array().expect("days");
    let picked: Vec<(String, u64)> = days[4..7]
        .iter()
        .map(|d| {
            (
                d["date"].as_str().expect("date").to_string(),
                d["steps"].as_u64().expect("steps"),
            )
        })
        .collect();
    (vault, picked[0].0.clone(), picked[2].0.clone(), picked)
}

fn search(server: &TestServer, query: &str) -> Vec<serde_json::Value> {
    let mut client = FhirClient::new(
        &server.base,
        Auth::Bearer(Zeroizing::new(TOKEN.into())),
        RetryPolicy::default(),
    )
    .expect("client");
    let bundle = serde_json::to_value(client.search(query).expect("search")).expect("json");
    bundle["entry"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e["resource"].clone())
        .collect()
}

fn effective_date(observation: &serde_json::Value) -> String {
    let text = observation["effectiveDateTime"]
        .as_str()
        .or(observation["effectivePeriod"]["start"].as_str())
        .expect("effective");
    text[..10].to_string()
}

#[test]
fn a_share_sends_exactly_the_selection_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, from, to, picked) = demo_vault(dir.path());
    let server = TestServer::start(&["--token", TOKEN]);
    let selection = ["--types", "steps,sleep", "--from", &from, "--to", &to];

    let preview = json(ok(phr(&vault)
        .args(["--json", "share", "--to", &server.base, "--dry-run"])
        .args(selection)));
    assert_eq!(preview["counts"]["steps"], 3);
    assert!(preview["counts"].get("activity").is_none());
    assert!(
        search(&server, "Observation?_count=1000").is_empty(),
        "a dry run sent something"
    );

    let first = json(ok(phr(&vault)
        .args([
            "--json",
            "share",
            "--to",
            &server.base,
            "--auth",
            "bearer",
            "--token",
            TOKEN,
            "--bundle-size",
            "8",
        ])
        .args(selection)));
    assert_eq!(
        (first["result"].as_str(), first["not_delivered"].as_u64()),
        (Some("complete"), Some(0))
    );
    assert!(first["created"].as_u64().expect("created") > 0);

    // Exactly the selection arrived: the selected types, inside the range.
    let observations = search(&server, "Observation?_count=1000");
    let expected: u64 = preview["counts"]
        .as_object()
        .expect("counts")
        .values()
        .map(|v| v.as_u64().expect("n"))
        .sum();
    assert_eq!(observations.len() as u64, expected);
    for observation in &observations {
        let date = effective_date(observation);
        assert!(date >= from && date <= to, "{date} outside {from}..{to}");
    }
    assert!(search(
        &server,
        &format!("Observation?code={}|activity-counts", phr_fhir::CODE_SYSTEM)
    )
    .is_empty());
    let steps = search(
        &server,
        "Observation?code=http://loinc.org|41950-7&_count=100",
    );
    let mut received: Vec<(String, u64)> = steps
        .iter()
        .map(|o| {
            (
                effective_date(o),
                o["valueQuantity"]["value"].as_f64().expect("value") as u64,
            )
        })
        .collect();
    received.sort();
    assert_eq!(received, picked, "step values differ from the vault");
    assert_eq!(steps[0]["valueQuantity"]["code"], "/d");
    let patients = search(&server, "Patient");
    assert_eq!(patients.len(), 1);
    assert_eq!(
        search(
            &server,
            &format!(
                "Consent?patient=Patient/{}",
                patients[0]["id"].as_str().expect("id")
            )
        )
        .len(),
        1
    );

    // Sending the same selection again duplicates nothing (the saved token is
    // reused); only the new share's own Consent (identified by its grant
    // time, to the second) and its Provenance records are created.
    let devices = search(&server, "Device").len();
    let provenances = search(&server, "Provenance?_count=100").len();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = json(ok(phr(&vault)
        .args([
            "--json",
            "share",
            "--to",
            &server.base,
            "--bundle-size",
            "8",
        ])
        .args(selection)));
    assert_eq!(
        search(&server, "Observation?_count=1000").len(),
        observations.len()
    );
    assert_eq!(search(&server, "Patient").len(), 1);
    assert_eq!(search(&server, "Device").len(), devices);
    assert_eq!(
        search(&server, "Consent").len(),
        2,
        "each share is its own Consent"
    );
    let new_provenances = search(&server, "Provenance?_count=100").len() - provenances;
    assert_eq!(
        again["created"].as_u64(),
        Some(1 + new_provenances as u64),
        "{again}"
    );
    let shares = json(ok(phr(&vault).args(["--json", "shares"])));
    assert_eq!(shares.as_array().expect("shares").len(), 2);
}

#[test]
fn server_failures_are_retried_or_recorded_with_what_did_not_arrive() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, from, to, _) = demo_vault(dir.path());
    let server = TestServer::start(&["--token", TOKEN]);
    let args = [
        "share",
        "--to",
        &server.base,
        "--auth",
        "bearer",
        "--token",
        TOKEN,
        "--types",
        "steps",
        "--from",
        &from,
        "--to",
        &to,
    ];

    server.control("fail?count=50&status=500");
    let out = run(phr(&vault).args(args));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("500") && stderr.contains("did not arrive"),
        "{stderr}"
    );
    let shares = json(ok(phr(&vault).args(["--json", "shares"])));
    assert_eq!(shares[0]["result"], "failed");
    assert!(shares[0]["not_delivered"].as_u64().expect("n") >= 3);
    let audit = ok(phr(&vault).arg("audit"));
    assert!(
        audit.contains("share 1 of person 1") && audit.contains("failed"),
        "{audit}"
    );

    server.control("reset");
    server.control("fail?count=2&status=503");
    let retried = json(ok(phr(&vault).arg("--json").args(args)));
    assert_eq!(retried["result"], "complete");
    assert_eq!(retried["created"].as_u64().map(|n| n > 0), Some(true));

    let wrong = run(phr(&vault).args([
        "share",
        "--to",
        &server.base,
        "--auth",
        "bearer",
        "--token",
        "wrong",
    ]));
    assert_eq!(wrong.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("401"));
}

#[test]
fn smart_backend_services_authenticate_and_renew_expired_tokens() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, _, _, _) = demo_vault(dir.path());
    let key = dir.path().join("client.pem");
    let jwks = ok(phr(&vault).args(["fhir-key", "--out"]).arg(&key));
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, jwks).expect("write jwks");
    let jwks_arg = jwks_path.display().to_string();
    let server = TestServer::start(&["--client-id", "phr-app", "--client-jwks", &jwks_arg]);

    let shared = json(ok(phr(&vault)
        .args([
            "--json",
            "share",
            "--to",
            &server.base,
            "--auth",
            "smart-backend",
            "--client-id",
            "phr-app",
            "--key",
        ])
        .arg(&key)
        .args(["--types", "steps", "--bundle-size", "8"])));
    assert_eq!(shared["result"], "complete");

    // Tokens expire between requests: the client renews once and goes on.
    let key_pkcs8 =
        phr_fhir_client::read_private_key(&std::fs::read(&key).expect("key")).expect("pkcs8");
    let auth = Auth::SmartBackend {
        client_id: "phr-app".into(),
        key_pkcs8,
        scope: "system/*.rs".into(),
    };
    let mut client = FhirClient::new(&server.base, auth, RetryPolicy::default()).expect("client");
    assert!(!client
        .search("Patient")
        .expect("first search")
        .entry
        .is_empty());
    server.control("expire-tokens");
    assert!(!client
        .search("Patient")
        .expect("search after expiry")
        .entry
        .is_empty());

    // A key the server does not know is refused with a clear reason.
    let other = dir.path().join("other.pem");
    ok(phr(&vault).args(["fhir-key", "--out"]).arg(&other));
    let out = run(phr(&vault)
        .args([
            "share",
            "--to",
            &server.base,
            "--auth",
            "smart-backend",
            "--client-id",
            "phr-app",
            "--key",
        ])
        .arg(&other));
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stderr).contains("authorisation failed"));
}

#[test]
fn fhir_files_pass_both_validators_and_pseudonymised_ones_hold_no_identity() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, _, _, _) = demo_vault(dir.path());
    let bundle = dir.path().join("bundle.json");
    let ndjson = dir.path().join("ndjson");
    let research = dir.path().join("research");
    ok(phr(&vault)
        .args(["export", "fhir", "--out"])
        .arg(&bundle)
        .arg("--ndjson")
        .arg(&ndjson));
    ok(phr(&vault)
        .args([
            "export",
            "fhir",
            "--pseudonymise",
            "--recipient",
            "study-42",
            "--ndjson",
        ])
        .arg(&research));
    let mut files = vec![bundle.clone()];
    for folder in [&ndjson, &research] {
        for entry in std::fs::read_dir(folder).expect("dir") {
            files.push(entry.expect("entry").path());
        }
    }
    assert!(files.len() >= 9, "{files:?}");
    let report = validate(&files);
    assert!(report.starts_with("ok"), "{report}");

    let plain = std::fs::read_to_string(&bundle).expect("bundle");
    assert!(
        plain.contains("Demo wearer"),
        "the clinical export names the patient"
    );
    // Nothing that leaves names a path of this computer.
    let here = dir.path().to_string_lossy().into_owned();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        assert!(!text.contains(&here) && !text.contains("file:"), "{file:?}");
    }
    assert!(
        plain.contains("urn:phr-companion:file-export"),
        "the Consent's recipient"
    );
    let mut pseudonymised = String::new();
    for entry in std::fs::read_dir(&research).expect("dir") {
        pseudonymised
            .push_str(&std::fs::read_to_string(entry.expect("entry").path()).expect("read"));
    }
    for needle in ["Demo wearer", "DEMO-0001", "Demo wearable"] {
        assert!(
            !pseudonymised.contains(needle),
            "{needle} in the research export"
        );
    }
    let shares = json(ok(phr(&vault).args(["--json", "shares"])));
    assert_eq!(shares[1]["pseudonymised"], true);
}

#[test]
fn the_report_travels_as_a_diagnostic_report_with_its_pdf() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, from, to, _) = demo_vault(dir.path());
    let server = TestServer::start(&["--token", TOKEN]);
    let preview = json(ok(phr(&vault)
        .env("PHR_FHIR_TOKEN", TOKEN)
        .args(["--json", "share", "--to", &server.base, "--auth", "bearer"])
        .args([
            "--types",
            "report",
            "--from",
            &from,
            "--to",
            &to,
            "--dry-run",
        ])));
    assert_eq!(preview["counts"]["report"], 2, "{preview}");
    assert_eq!(
        preview["counts"]["circadian"], 2,
        "results travel with it: {preview}"
    );
    ok(phr(&vault)
        .env("PHR_FHIR_TOKEN", TOKEN)
        .args(["share", "--to", &server.base, "--auth", "bearer"])
        .args([
            "--types",
            "report",
            "--report-lang",
            "en",
            "--from",
            &from,
            "--to",
            &to,
        ]));

    let reports = search(&server, "DiagnosticReport");
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let report = &reports[0];
    assert_eq!(report["status"], "final");
    assert!(report["conclusion"]
        .as_str()
        .expect("conclusion")
        .contains("IS "));
    let results = report["result"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for result in results {
        // Resolved by the server to the stored Observations.
        let reference = result["reference"].as_str().expect("reference");
        assert!(reference.starts_with("Observation/"), "{reference}");
    }
    let documents = search(&server, "DocumentReference");
    assert_eq!(documents.len(), 1);
    let attachment = &documents[0]["content"][0]["attachment"];
    assert_eq!(attachment["contentType"], "application/pdf");
    let data = attachment["data"].as_str().expect("data");
    let pdf =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).expect("base64");
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(attachment["size"], pdf.len());
    let related = documents[0]["context"]["related"][0]["reference"]
        .as_str()
        .expect("related");
    assert_eq!(
        related,
        format!("DiagnosticReport/{}", report["id"].as_str().expect("id"))
    );

    // The same as files, valid for both validators; never pseudonymised.
    let bundle = dir.path().join("report-bundle.json");
    ok(phr(&vault)
        .args([
            "export",
            "fhir",
            "--types",
            "report,sleep",
            "--from",
            &from,
            "--to",
            &to,
            "--out",
        ])
        .arg(&bundle));
    let verdict = validate(std::slice::from_ref(&bundle));
    assert!(verdict.starts_with("ok"), "{verdict}");
    let refused = run(phr(&vault)
        .args([
            "export",
            "fhir",
            "--types",
            "report",
            "--pseudonymise",
            "--recipient",
            "study",
            "--ndjson",
        ])
        .arg(dir.path().join("never")));
    assert_eq!(refused.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cannot be pseudonymised"));
}

/// `phr share --to URL` with the test token, steps only, small bundles.
fn share_steps_with_token(vault: &Path, url: &str) -> Command {
    let mut cmd = phr(vault);
    cmd.args(["share", "--to", url, "--auth", "bearer", "--token", TOKEN])
        .args(["--types", "steps", "--bundle-size", "8"]);
    cmd
}

/// A loopback server answering every request with `307` to `location`,
/// after reading the request (head and `Content-Length` body).
fn redirecting_server(location: String) -> u16 {
    use std::io::{BufRead, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(stream);
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = reader.get_mut().write_all(
                format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    port
}

#[test]
fn a_redirect_fails_the_share_and_nothing_goes_where_it_points() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, _, _, _) = demo_vault(dir.path());
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    elsewhere.set_nonblocking(true).expect("nonblocking");
    let location = format!(
        "http://127.0.0.1:{}/fhir",
        elsewhere.local_addr().expect("addr").port()
    );
    let port = redirecting_server(location.clone());
    let out = run(&mut share_steps_with_token(
        &vault,
        &format!("http://127.0.0.1:{port}/fhir"),
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("307") && stderr.contains(&location),
        "{stderr}"
    );
    assert!(
        elsewhere.accept().is_err(),
        "the bundle was re-sent to the redirect target"
    );
    let shares = json(ok(phr(&vault).args(["--json", "shares"])));
    assert_eq!(shares[0]["result"], "failed", "{shares}");
    let error = shares[0]["error"].as_str().expect("error");
    assert!(
        error.contains("307") && error.contains(&location),
        "{error}"
    );
}

#[test]
fn refused_and_dry_run_shares_save_no_credentials() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, _, _, _) = demo_vault(dir.path());
    let server = TestServer::start(&["--token", TOKEN]);
    let saved_only = [
        "share",
        "--to",
        &server.base,
        "--types",
        "steps",
        "--bundle-size",
        "8",
    ];
    let refused_for_lack_of_a_token = |why: &str| {
        let out = run(phr(&vault).args(saved_only));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{why}: {stderr}");
        assert!(stderr.contains("401"), "{why}: {stderr}");
    };

    ok(share_steps_with_token(&vault, &server.base).arg("--dry-run"));
    refused_for_lack_of_a_token("a dry run saved its token");

    server.control("fail?count=1&status=401");
    let refused = run(&mut share_steps_with_token(&vault, &server.base));
    assert_eq!(refused.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401"));
    refused_for_lack_of_a_token("a refused share saved its token");

    // After a complete share the token is kept and used.
    ok(&mut share_steps_with_token(&vault, &server.base));
    let again = json(ok(phr(&vault).arg("--json").args(saved_only)));
    assert_eq!(again["result"], "complete");
}

/// Credentials in a `--to` URL are refused before anything is sent or
/// recorded (an HTTP client would send userinfo as Basic authentication),
/// and never echoed.
#[test]
fn credentials_in_the_url_are_refused_and_never_stored_or_shown() {
    let dir = tempfile::tempdir().expect("tmp");
    let (vault, _, _, _) = demo_vault(dir.path());
    let server = TestServer::start(&["--token", TOKEN]);
    let secrets = ["hunter2-pass", "url-secret-5d1e"];
    let with_user = server
        .base
        .replacen("http://", &format!("http://phr-user:{}@", secrets[0]), 1);
    let with_token = format!("{}?access_token={}", server.base, secrets[1]);
    let mut printed = Vec::new();
    for url in [&with_user, &with_token] {
        for extra in [&["--dry-run"][..], &[]] {
            let out = run(share_steps_with_token(&vault, url).args(extra));
            assert_eq!(out.status.code(), Some(65), "{url} {extra:?}");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(stderr.contains("--auth bearer"), "{stderr}");
            printed.push(stderr);
            printed.push(String::from_utf8_lossy(&out.stdout).into_owned());
        }
    }
    let shares = ok(phr(&vault).args(["--json", "shares"]));
    assert_eq!(
        json(shares.clone()),
        serde_json::json!([]),
        "nothing recorded"
    );
    printed.extend([
        shares,
        ok(phr(&vault).args(["--json", "audit"])),
        ok(phr(&vault).arg("audit")),
    ]);
    for text in &printed {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} shown: {text}");
        }
    }
}
