//! The façade hands front ends its own DTOs and errors, never the types of
//! the storage or HTTP crates below it: nothing of `phr-vault` or
//! `phr-fhir-client` is re-exported from `phr-api`, and no public function
//! there names their types in its signature.

use std::path::Path;

/// Crates below the façade whose types must not reach a front end.
const HIDDEN: &[&str] = &["phr_vault", "phr_fhir_client"];

/// `pub` lines (re-exports and function signatures) of `source` that name a
/// hidden crate, as `file:line: text`.
fn leaks(file: &str, source: &str) -> Vec<String> {
    source
        .lines()
        .enumerate()
        .take_while(|(_, line)| !line.starts_with("#[cfg(test)]"))
        .filter(|(_, line)| {
            let code = line.trim_start();
            (code.starts_with("pub use ") || code.starts_with("pub fn "))
                && HIDDEN.iter().any(|c| code.contains(c))
        })
        .map(|(idx, line)| format!("{file}:{}: {}", idx + 1, line.trim()))
        .collect()
}

#[test]
fn the_facade_exposes_no_vault_or_http_client_types() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&src).expect("crates/api/src") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).expect("source");
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            problems.extend(leaks(&name.unwrap_or_default(), &source));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_leak_is_found_and_test_code_is_not_read() {
    let source = "pub use phr_vault::AuditEntry;\n\
                  pub fn open() -> phr_fhir_client::Auth { todo!() }\n\
                  use phr_vault::Vault;\n\
                  #[cfg(test)]\n\
                  pub use phr_vault::VaultError;\n";
    assert_eq!(
        leaks("lib.rs", source),
        vec![
            "lib.rs:1: pub use phr_vault::AuditEntry;",
            "lib.rs:2: pub fn open() -> phr_fhir_client::Auth { todo!() }",
        ]
    );
}
