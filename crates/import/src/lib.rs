//! Parsers for the lifelog files people already have, turning them into
//! model samples.
//!
//! Key design choices: text parsers read from any `BufRead` (no file system,
//! so they are tested on in-memory bytes; only `.agd`, itself a SQLite
//! database, is opened by path), validate the **whole** input before
//! returning anything, and report the first problem with its line, so that a
//! caller can store a file all-or-nothing. Wall-clock times in files are
//! resolved to instants in the person's time zone, DST included.
//!
//! Hostile input is bounded: a text line may be at most [`MAX_LINE_BYTES`]
//! long, an error quotes at most 80 characters of a bad field, a recording
//! spans at most [`MAX_EPOCHS`] epochs, and an `.agd` database is opened
//! read-only and immutable, with views, triggers, virtual tables and
//! generated columns refused and its reading bounded in steps (see
//! [`read_agd`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod agd;
mod awd;
mod lines;
mod minute_csv;
mod recording;
mod unsupported;

pub use agd::{read_agd, SQLITE_MAGIC};
pub use awd::{looks_like_awd, parse_awd};
pub use lines::MAX_LINE_BYTES;
pub use minute_csv::{parse_minute_csv, MinuteCsv};
pub use recording::{ActivityRecording, FileFormat, MAX_EPOCHS};
pub use unsupported::{check_supported, unsupported_export};

/// Guesses a file's format from its name and first bytes: SQLite signature
/// or `.agd` → ActiGraph; an AWD header or `.awd` → Actiwatch; else CSV.
pub fn detect_format(file_name: &str, head: &[u8]) -> FileFormat {
    let lower = file_name.to_ascii_lowercase();
    if head.starts_with(SQLITE_MAGIC) || lower.ends_with(".agd") {
        FileFormat::Agd
    } else if lower.ends_with(".awd") || looks_like_awd(head) {
        FileFormat::Awd
    } else {
        FileFormat::Csv
    }
}

/// Why a file was rejected, and where.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// A line that does not parse.
    #[error("{file}, line {line}: {message}")]
    Line {
        /// The file's name as the user gave it.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// The file as a whole is unusable.
    #[error("{file}: {message}")]
    File {
        /// The file's name as the user gave it.
        file: String,
        /// What is wrong with it.
        message: String,
    },
}
