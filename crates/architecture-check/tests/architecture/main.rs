//! The architecture rules, checked against the workspace as it is on disk:
//! `cargo metadata` for the dependency graph, the source files for clock
//! reads.

mod clock;
mod dependencies;
mod facade;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo metadata --format-version 1 --offline --no-deps` of the whole
/// workspace: its members with their declared dependencies.
fn metadata() -> Value {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--no-deps",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// The workspace members (with `--no-deps`, every package listed is one).
fn members(metadata: &Value) -> &[Value] {
    metadata["packages"]
        .as_array()
        .expect("metadata lists packages")
}

/// The folder of a member's `Cargo.toml`.
fn member_dir(package: &Value) -> PathBuf {
    let manifest = package["manifest_path"].as_str().expect("manifest path");
    Path::new(manifest)
        .parent()
        .expect("a manifest is in a folder")
        .to_path_buf()
}
