//! Finding Node and the test server's packages. Tests that need them fail
//! (never skip) when they are missing, saying how to install them.

use std::path::PathBuf;

/// Panics with instructions unless `node` runs and `npm ci` has been done.
pub fn require() -> PathBuf {
    phr_test_fhir_server::server_dir()
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
