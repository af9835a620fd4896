//! `docs/fhir.md` documents every code of our code system and the constants.

#[test]
fn docs_list_every_code_and_system() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/fhir.md");
    let docs = std::fs::read_to_string(path).expect("docs/fhir.md");
    for (code, _) in phr_fhir::LIFELOG_CODES {
        assert!(
            docs.contains(&format!("| `{code}` |")),
            "docs/fhir.md lacks code {code}"
        );
    }
    for constant in [
        phr_fhir::CODE_SYSTEM,
        phr_fhir::IDENTIFIER_SYSTEM,
        phr_fhir::PSEUDONYM_SYSTEM,
        phr_fhir::JP_OBSERVATION_COMMON,
        phr_fhir::JP_PATIENT,
    ] {
        assert!(docs.contains(constant), "docs/fhir.md lacks {constant}");
    }
}
