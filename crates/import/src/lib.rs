//! Parsers for the lifelog files people already have, turning them into
//! model samples.
//!
//! Key design choices: text parsers read from any `BufRead` (no file system,
//! so they are tested on in-memory bytes; only `.agd`, itself a SQLite
//! database, and a biobank time series, whose summary lies beside it, are
//! opened by path), validate the **whole** input before
//! returning anything, and report the first problem with its line, so that a
//! caller can store a file all-or-nothing. Wall-clock times in files are
//! resolved to instants in the person's time zone, DST included.
//!
//! Hostile input is bounded: a text line may be at most [`MAX_LINE_BYTES`]
//! long, an error quotes at most 80 characters of a bad field, a recording
//! spans at most [`MAX_EPOCHS`] epochs, and an `.agd` database is opened
//! read-only and immutable, with views, triggers, virtual tables and
//! generated columns refused and its reading bounded in steps (see
//! [`read_agd`]); an `.mtn` XML file is read whole but at most
//! [`MAX_MTN_BYTES`], without document type declarations.
//!
//! One module per format, each following pyActigraphy 1.2.2's reader of it
//! (start, epoch, which column is activity, missing values); where we
//! differ, the module says so (docs/import.md lists the formats).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod agd;
mod atr;
mod awd;
mod bba;
mod dqt;
mod lines;
mod mesa;
mod minute_csv;
mod mtn;
mod recording;
mod rpx;
mod table;
mod tal;
mod unsupported;

pub use agd::{read_agd, SQLITE_MAGIC};
pub use atr::{looks_like_acttrust, parse_acttrust};
pub use awd::{looks_like_awd, parse_awd};
pub use bba::{looks_like_biobank, parse_biobank, read_biobank, GZIP_MAGIC};
pub use dqt::{looks_like_daqtix, parse_daqtix};
pub use lines::MAX_LINE_BYTES;
pub use mesa::{looks_like_mesa, parse_mesa};
pub use minute_csv::{
    parse_minute_csv, parse_minute_csv_sized, read_minute_csv_recording, MinuteCsv,
};
pub use mtn::{looks_like_mtn, parse_mtn, MAX_MTN_BYTES};
pub use recording::{ActivityRecording, FileFormat, MAX_EPOCHS};
pub use rpx::{looks_like_rpx, parse_rpx};
pub use tal::{looks_like_tempatilumi, parse_tempatilumi};
pub use unsupported::{check_supported, unsupported_export};

/// The formats [`detect_format`] tells apart, in words, for help texts and
/// messages.
pub const SUPPORTED_FORMATS: &str = "minute activity CSV, Actiwatch .AWD (every model), \
ActiGraph .agd, Philips Respironics Actiware CSV (English, French, German), \
MotionWatch 8 .mtn, ActTrust .txt, Tempatilumi .txt, Daqtix .csv, MESA .csv, \
biobankAccelerometerAnalysis -timeSeries.csv.gz";

/// Guesses a file's format from its first bytes, the name only as a hint
/// where the content does not say: SQLite signature → ActiGraph `.agd`;
/// a biobank time series (gzip or not); MotionWare XML; an Actiware export;
/// an ActTrust, Tempatilumi, Daqtix or MESA file; an AWD header; then by
/// extension `.agd`, `.awd`, `.mtn`; else minute CSV.
pub fn detect_format(file_name: &str, head: &[u8]) -> FileFormat {
    let lower = file_name.to_ascii_lowercase();
    if head.starts_with(SQLITE_MAGIC) {
        FileFormat::Agd
    } else if looks_like_biobank(head) {
        FileFormat::Biobank
    } else if looks_like_mtn(head) {
        FileFormat::Mtn
    } else if looks_like_rpx(head) {
        FileFormat::Rpx
    } else if looks_like_acttrust(head) {
        FileFormat::ActTrust
    } else if looks_like_tempatilumi(head) {
        FileFormat::Tempatilumi
    } else if looks_like_daqtix(head) {
        FileFormat::Daqtix
    } else if looks_like_mesa(head) {
        FileFormat::Mesa
    } else if looks_like_awd(head) {
        FileFormat::Awd
    } else if lower.ends_with(".agd") {
        FileFormat::Agd
    } else if lower.ends_with(".awd") {
        FileFormat::Awd
    } else if lower.ends_with(".mtn") {
        FileFormat::Mtn
    } else if head.starts_with(GZIP_MAGIC) || lower.ends_with("-timeseries.csv.gz") {
        FileFormat::Biobank
    } else {
        FileFormat::Csv
    }
}

/// Reads a device recording at `path` in `format` (any but minute CSV,
/// which resolves its times in a zone: [`parse_minute_csv`]). `file` names
/// it in errors; `progress` is called with bytes (rows for `.agd`) read.
pub fn read_recording(
    path: &std::path::Path,
    file: &str,
    format: FileFormat,
    mut progress: impl FnMut(u64),
) -> Result<ActivityRecording, ImportError> {
    let open = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| ImportError::File {
                file: file.to_string(),
                message: format!("cannot read: {e}"),
            })
    };
    match format {
        FileFormat::Agd => read_agd(path, progress),
        FileFormat::Awd => parse_awd(open()?, file, progress),
        FileFormat::Rpx => parse_rpx(open()?, file, progress),
        FileFormat::Mtn => {
            let recording = parse_mtn(open()?, file)?;
            progress(recording.counts.len() as u64);
            Ok(recording)
        }
        FileFormat::ActTrust => parse_acttrust(open()?, file, progress),
        FileFormat::Tempatilumi => parse_tempatilumi(open()?, file, progress),
        FileFormat::Daqtix => parse_daqtix(open()?, file, progress),
        FileFormat::Mesa => parse_mesa(open()?, file, progress),
        FileFormat::Biobank => read_biobank(path, file, progress),
        FileFormat::Csv => Err(ImportError::File {
            file: file.to_string(),
            message: "a minute CSV is read with parse_minute_csv, in a time zone".into(),
        }),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_from_the_first_bytes() {
        let cases: [(&str, &[u8], FileFormat); 12] = [
            ("a.dat", b"SQLite format 3\0", FileFormat::Agd),
            (
                "a.dat",
                b"time,acc,light\n2014-05-07 13:29:50+0100,1,0\n",
                FileFormat::Biobank,
            ),
            ("a.dat", b"\x1f\x8b\x08\x00", FileFormat::Biobank),
            (
                "a.dat",
                b"\xEF\xBB\xBF<?xml version=\"1.0\"?><motionfile>",
                FileFormat::Mtn,
            ),
            (
                "a.dat",
                b"\"Actiware-Exportdatei (Version 05.00 )\"\r\n",
                FileFormat::Rpx,
            ),
            (
                "a.dat",
                b"+----+ Condor Instruments Report +----+\nDEVICE_ID : x\n",
                FileFormat::ActTrust,
            ),
            (
                "a.dat",
                b"comment\n\nData; Hora; Evento; Luminosidade; Atividade\n",
                FileFormat::Tempatilumi,
            ),
            (
                "a.dat",
                b"Start: 2000-01-27 19:00:00 GMT\nStore rate:,1,1\n",
                FileFormat::Daqtix,
            ),
            (
                "a.dat",
                b"mesaid,line,linetime,offwrist,activity\n",
                FileFormat::Mesa,
            ),
            ("a.dat", b"S1\n01-Jan-2018\n08:30\n4\n", FileFormat::Awd),
            ("a.mtn", b"", FileFormat::Mtn),
            (
                "a.dat",
                b"timestamp,count\n2026-03-01 00:00,1\n",
                FileFormat::Csv,
            ),
        ];
        for (name, head, format) in cases {
            assert_eq!(
                detect_format(name, head),
                format,
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
