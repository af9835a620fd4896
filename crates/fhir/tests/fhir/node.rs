//! Finding Node and the test server's packages. Tests that need them fail
//! (never skip) when they are missing, saying how to install them.

use std::path::PathBuf;
use std::process::Command;

/// `tests/fhir-server/` in the workspace.
pub fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir-server")
}

/// Panics with instructions unless `node` runs and `npm ci` has been done.
pub fn require() -> PathBuf {
    let dir = server_dir();
    let node = Command::new("node").arg("--version").output();
    assert!(
        matches!(&node, Ok(output) if output.status.success()),
        "node (20.19 or newer) is needed for the FHIR validator and server tests: install Node.js"
    );
    assert!(
        dir.join("node_modules/@medplum/fhir-router").is_dir()
            && dir.join("node_modules/fhir").is_dir(),
        "the FHIR test server's packages are missing: run `npm ci --prefix tests/fhir-server` \
         in the workspace root"
    );
    dir
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("phr-fhir-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
