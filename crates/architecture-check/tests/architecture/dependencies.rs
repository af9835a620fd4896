//! Our crates depend only on the crates of ours the architecture allows.
//!
//! Checked: normal and build dependencies (target-specific and optional
//! ones included). Not checked: dev-dependencies, because tests may use the
//! test-support crates (`phr-bluez-sim`, `phr-test-fhir-server`) and
//! fixtures from `phr-synth` at any level; nothing built for users links
//! them.

use crate::{members, metadata};
use std::collections::{BTreeMap, BTreeSet};

/// Each crate of ours and the crates of ours it may depend on, bottom-up.
const ALLOWED: &[(&str, &[&str])] = &[
    // Domain types and the shared vocabulary (Lang, CircadianMetrics).
    ("phr-model", &[]),
    // Pure computation over plain inputs.
    ("phr-analysis", &["phr-model"]),
    ("phr-report", &["phr-model"]),
    ("phr-vault", &["phr-model"]),
    // Opening SQLite files others wrote, for the two readers of such files.
    ("phr-untrusted-sqlite", &[]),
    ("phr-import", &["phr-model", "phr-untrusted-sqlite"]),
    ("phr-exports", &["phr-model", "phr-untrusted-sqlite"]),
    ("phr-synth", &["phr-model"]),
    ("phr-fhir", &["phr-model"]),
    ("phr-ble-protocols", &["phr-model"]),
    // phr-synth only for `evaluate_synthetic` (src/evaluation.rs), which
    // measures the rules on simulated people; the rules themselves do not
    // use it.
    ("phr-care", &["phr-model", "phr-analysis", "phr-synth"]),
    ("phr-fhir-client", &["phr-fhir"]),
    ("phr-ble", &["phr-ble-protocols"]),
    (
        "phr-wearables",
        &["phr-model", "phr-ble-protocols", "phr-ble", "phr-synth"],
    ),
    // Test support: a simulated BlueZ.
    ("phr-bluez-sim", &["phr-ble-protocols"]),
    // Test support: the FHIR test server and validators.
    ("phr-test-fhir-server", &[]),
    // The façade: everything below it except test support.
    (
        "phr-api",
        &[
            "phr-model",
            "phr-analysis",
            "phr-report",
            "phr-vault",
            "phr-import",
            "phr-exports",
            "phr-synth",
            "phr-fhir",
            "phr-care",
            "phr-fhir-client",
            "phr-wearables",
        ],
    ),
    // Front ends call the façade only (it re-exports the model types it
    // returns); Bluetooth reaches them through phr-wearables, below it.
    ("phr-cli", &["phr-api"]),
    ("phr-app", &["phr-api"]),
    // This checker.
    ("phr-architecture-check", &[]),
];

fn allowed() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut table = BTreeMap::new();
    for (krate, deps) in ALLOWED {
        let previous = table.insert(*krate, deps.iter().copied().collect::<BTreeSet<_>>());
        assert!(previous.is_none(), "{krate} has two rows in ALLOWED");
    }
    table
}

/// Every workspace member has a row, every row a member, and no member
/// depends on a crate of ours its row does not allow.
#[test]
fn our_crates_depend_only_on_what_the_architecture_allows() {
    let metadata = metadata();
    let table = allowed();
    let packages = members(&metadata);
    let names: BTreeSet<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().expect("package name"))
        .collect();
    let mut problems = Vec::new();
    for name in &names {
        if !table.contains_key(name) {
            problems.push(format!(
                "{name} is a workspace member without a row in ALLOWED \
                 (crates/architecture-check/tests/architecture/dependencies.rs): \
                 place it in the dependency graph"
            ));
        }
    }
    for krate in table.keys() {
        if !names.contains(krate) {
            problems.push(format!(
                "ALLOWED has a row for {krate}, which is not a workspace member"
            ));
        }
    }
    for package in packages {
        let name = package["name"].as_str().expect("package name");
        let Some(allowed) = table.get(name) else {
            continue;
        };
        for dep in package["dependencies"].as_array().expect("dependencies") {
            let dep_name = dep["name"].as_str().expect("dependency name");
            let kind = dep["kind"].as_str().unwrap_or("normal");
            let ours = dep_name.starts_with("phr-") || names.contains(dep_name);
            if kind == "dev" || !ours {
                continue;
            }
            if !allowed.contains(dep_name) {
                problems.push(format!(
                    "{name} depends on {dep_name} ({kind} dependency), which the \
                     architecture does not allow; {name} may depend on: {}",
                    if allowed.is_empty() {
                        "none of ours".to_string()
                    } else {
                        allowed.iter().copied().collect::<Vec<_>>().join(", ")
                    }
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "architecture violations:\n  {}",
        problems.join("\n  ")
    );
}
