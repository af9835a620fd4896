//! The façade and the pure crates never read the wall clock: the time is
//! passed in (a date, an instant, or the façade's injected clock), so every
//! result can be reproduced and tested.
//!
//! The rule, kept simple on purpose: every `.rs` file under `src/` of the
//! crates in [`SCANNED`] is read line by line, and a line that names one of
//! [`WALL_CLOCK`] fails, reported as `path:line`. Not read: tests (`tests/`,
//! benches, examples; and in `src/`, the item after a `#[cfg(test)]` at
//! column 0, up to its closing `}` at column 0) and comment lines (starting
//! with `//`). Allowed: `std::time::Instant::now`, the monotonic clock, used
//! only to time operations; it says nothing about the time of day.
//!
//! A clock read hidden behind a function of another crate (one not in the
//! list) is not caught: that crate is where the rule must hold.

use crate::{member_dir, members, metadata};
use std::path::{Path, PathBuf};

/// The façade and the pure crates (`phr-import` whole: its text parsers and
/// its `.agd` reader, which opens a file but needs no clock either).
const SCANNED: &[&str] = &[
    "phr-api",
    "phr-model",
    "phr-analysis",
    "phr-synth",
    "phr-fhir",
    "phr-care",
    "phr-import",
    "phr-ble-protocols",
    "phr-report",
];

/// What reads the time of day.
const WALL_CLOCK: &[&str] = &[
    "Utc::now",
    "Local::now",
    "SystemTime::now",
    "chrono::offset::Local",
    "Utc::today",
    "Local::today",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Line numbers (from 1) and text of the lines of `source` the rule reads.
fn checked_lines(source: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut in_test_item = false;
    for (index, line) in source.lines().enumerate() {
        if in_test_item {
            in_test_item = line != "}";
            continue;
        }
        if line == "#[cfg(test)]" {
            in_test_item = true;
            continue;
        }
        if !line.trim_start().starts_with("//") {
            lines.push((index + 1, line));
        }
    }
    lines
}

/// `path:line: text` of every wall-clock read in `source`.
fn wall_clock_reads(path: &Path, source: &str) -> Vec<String> {
    checked_lines(source)
        .into_iter()
        .filter(|(_, line)| WALL_CLOCK.iter().any(|read| line.contains(read)))
        .map(|(number, line)| format!("{}:{number}: {}", path.display(), line.trim()))
        .collect()
}

#[test]
fn the_facade_and_the_pure_crates_never_read_the_wall_clock() {
    let metadata = metadata();
    let root = Path::new(
        metadata["workspace_root"]
            .as_str()
            .expect("metadata names the workspace root"),
    );
    let mut reads = Vec::new();
    for name in SCANNED {
        let package = members(&metadata)
            .iter()
            .find(|p| p["name"] == *name)
            .unwrap_or_else(|| panic!("{name} is not a workspace member"));
        let mut files = Vec::new();
        rust_files(&member_dir(package).join("src"), &mut files);
        for file in files {
            let source = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let shown = file.strip_prefix(root).unwrap_or(&file);
            reads.extend(wall_clock_reads(shown, &source));
        }
    }
    assert!(
        reads.is_empty(),
        "the wall clock is read where time must be passed in \
         (the façade and the pure crates):\n  {}",
        reads.join("\n  ")
    );
}

#[test]
fn test_items_and_comments_are_not_read() {
    let source = "\
fn now() -> i64 { chrono::Utc::now().timestamp() }
// chrono::Utc::now() in a comment
    /// SystemTime::now() in a doc comment
fn timed() { let _ = std::time::Instant::now(); }
#[cfg(test)]
mod tests {
    fn fixed() { let _ = chrono::Local::now(); }
}
fn later() { let _ = std::time::SystemTime::now(); }
";
    assert_eq!(
        wall_clock_reads(Path::new("src/lib.rs"), source),
        [
            "src/lib.rs:1: fn now() -> i64 { chrono::Utc::now().timestamp() }",
            "src/lib.rs:9: fn later() { let _ = std::time::SystemTime::now(); }",
        ]
    );
}
