//! Parsers for the lifelog files people already have, turning them into
//! model samples.
//!
//! Key design choices: parsers read from any `BufRead` (no file system here,
//! so they are tested on in-memory bytes), validate the **whole** input before
//! returning anything, and report the first problem with its line, so that a
//! caller can store a file all-or-nothing. Wall-clock times in files are
//! resolved to instants in the person's time zone, DST included.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod minute_csv;

pub use minute_csv::{parse_minute_csv, MinuteCsv};

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
