//! The vault's error type.

use std::path::PathBuf;

/// Everything that can go wrong with a vault. Crypto failures stay opaque:
/// they name the record, never which byte or key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The passphrase does not unlock this vault (or its key header is damaged).
    #[error("wrong passphrase (or the vault's key header is damaged)")]
    WrongPassphrase,
    /// A sealed record failed authentication: it was edited, damaged or moved.
    #[error("record {record} is damaged or was tampered with")]
    Tampered {
        /// Which record, e.g. `chunks (device 1, activity, day 2026-03-01)`.
        record: String,
    },
    /// The vault was locked; unlock it again.
    #[error("the vault is locked")]
    Locked,
    /// The file was written by a newer version of this software.
    #[error("vault schema version {found} is newer than this program supports ({supported}); update the app")]
    NewerVersion {
        /// Version in the file.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// The file is not a PHR vault.
    #[error("{path} is not a PHR vault")]
    NotAVault {
        /// The path that was opened.
        path: PathBuf,
    },
    /// No vault at the path.
    #[error("no vault at {path} (run `phr init` first)")]
    NotFound {
        /// The path looked at.
        path: PathBuf,
    },
    /// A vault already exists where one was to be created.
    #[error("a vault already exists at {path}")]
    AlreadyExists {
        /// The path.
        path: PathBuf,
    },
    /// Samples that cannot be stored as given.
    #[error("invalid sample: {0}")]
    InvalidSample(String),
    /// A person or device id not in this vault.
    #[error("{0} not found in this vault")]
    UnknownId(String),
    /// The audit log's chain is broken.
    #[error("audit log broken at entry {seq}: {reason}")]
    AuditBroken {
        /// The first entry found inconsistent.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// The key-derivation parameters are unusable.
    #[error("key derivation failed: {0}")]
    Kdf(String),
    /// The key-derivation settings in the header lie outside the accepted
    /// bounds (see [`crate::KdfParams::check_bounds`]): the header was
    /// damaged or edited. Refused before the key derivation runs.
    #[error("the vault header's key-derivation settings are out of bounds ({0}); the header is damaged or was tampered with")]
    KdfOutOfBounds(String),
    /// The operating system's random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// Creating the vault's folder failed.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The vault file is damaged (truncated, overwritten, its audit log
    /// broken where an unlock must be recorded, its sealed state older than
    /// its rows): only verification runs.
    #[error("the vault is damaged ({detail}); verify it and restore a backup")]
    Damaged {
        /// What is damaged.
        detail: String,
    },
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for VaultError {
    /// SQLite's "malformed" and "not a database" mean a damaged file.
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                VaultError::Damaged {
                    detail: err.to_string(),
                }
            }
            _ => VaultError::Sqlite(err),
        }
    }
}

/// Shorthand for vault results.
pub type Result<T, E = VaultError> = std::result::Result<T, E>;
