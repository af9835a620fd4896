//! Test support for FHIR integration tests: starts the in-memory FHIR server
//! of `tests/fhir-server/` (Medplum's router behind Node's HTTP server) on a
//! free loopback port, and runs the two FHIR validators on files.
//!
//! Key design choice: the server is a real FHIR engine in its own process,
//! killed when the handle drops; a missing `npm ci` is a loud failure with
//! the command to run, never a silent skip.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `tests/fhir-server/`, checked to have Node and its packages installed.
pub fn server_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir-server");
    let node = Command::new("node").arg("--version").output();
    assert!(
        matches!(&node, Ok(output) if output.status.success()),
        "node (20.19 or newer) is needed for the FHIR validator and server tests: install Node.js"
    );
    assert!(
        dir.join("node_modules/@medplum/fhir-router").exists(),
        "the FHIR test server's packages are missing: run `npm ci --prefix tests/fhir-server` (scripts/test.sh does)"
    );
    dir
}

/// A running test server, stopped when dropped.
pub struct TestServer {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:41234/`.
    pub base: String,
}

impl TestServer {
    /// Starts the server with extra command-line `args` (see server.mjs:
    /// `--token T`, `--client-id ID --client-jwks FILE`, `--fail-next N`).
    pub fn start(args: &[&str]) -> TestServer {
        let dir = server_dir();
        let mut child = Command::new("node")
            .arg("--experimental-websocket")
            .arg(dir.join("server.mjs"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node starts");
        let mut first_line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut first_line);
        }
        let Ok(port) = first_line.trim().parse::<u16>() else {
            let _ = child.kill();
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!("the FHIR test server did not start: {first_line:?}\n{stderr}");
        };
        TestServer {
            child,
            base: format!("http://127.0.0.1:{port}/"),
        }
    }

    /// POSTs to a `/_test/...` control route (`fail?count=3&status=500`,
    /// `expire-tokens`, `reset`) with Node's own HTTP client.
    pub fn control(&self, route: &str) {
        let script = format!(
            "fetch({:?}, {{method: 'POST'}}).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(2))",
            format!("{}_test/{route}", self.base)
        );
        let status = Command::new("node")
            .args(["-e", &script])
            .status()
            .expect("node runs");
        assert!(status.success(), "control route {route} failed");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs both validators (`@medplum/core` and FHIR.js) on JSON or NDJSON
/// files: whether every resource passed, and their report (stdout, then
/// stderr).
pub fn run_validators(files: &[PathBuf]) -> (bool, String) {
    let output = Command::new("node")
        .arg("--experimental-websocket")
        .arg(server_dir().join("validate.mjs"))
        .args(files)
        .output()
        .expect("node runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), report)
}

/// Like [`run_validators`], panicking with the report when a file fails.
pub fn validate(files: &[PathBuf]) -> String {
    let (passed, report) = run_validators(files);
    assert!(passed, "FHIR validation failed:\n{report}");
    report
}
