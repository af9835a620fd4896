//! The one error type front ends see: a stable code to switch on and a
//! message for people.

use phr_import::ImportError;
use phr_vault::VaultError;
use serde::Serialize;

/// Stable machine-readable error codes. Front ends switch on these, never on
/// message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The passphrase does not open the vault.
    WrongPassphrase,
    /// There is no vault at the path.
    VaultNotFound,
    /// A vault already exists at the path.
    VaultExists,
    /// The file is not a vault.
    NotAVault,
    /// The vault was written by a newer version.
    NewerVersion,
    /// The vault is locked.
    Locked,
    /// A record failed its integrity check.
    Tampered,
    /// The audit log is broken.
    AuditBroken,
    /// Input (a file, an argument) was rejected; nothing was stored.
    InvalidInput,
    /// Reading or writing a file failed.
    Io,
    /// The recipient's server failed or refused; what did not arrive is said.
    Remote,
    /// Bluetooth failed: no adapter, or the device or its link failed.
    Device,
    /// The person cancelled the operation; nothing from it was stored.
    Cancelled,
    /// Anything else.
    Internal,
}

/// An error for front ends: `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// One line a person can act on.
    pub message: String,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// Rejected input.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidInput, message)
    }
}

impl From<VaultError> for ApiError {
    fn from(err: VaultError) -> Self {
        let code = match &err {
            VaultError::WrongPassphrase => ErrorCode::WrongPassphrase,
            VaultError::Tampered { .. }
            | VaultError::KdfOutOfBounds(_)
            | VaultError::Damaged { .. } => ErrorCode::Tampered,
            VaultError::Locked => ErrorCode::Locked,
            VaultError::NewerVersion { .. } => ErrorCode::NewerVersion,
            VaultError::NotAVault { .. } => ErrorCode::NotAVault,
            VaultError::NotFound { .. } => ErrorCode::VaultNotFound,
            VaultError::AlreadyExists { .. } => ErrorCode::VaultExists,
            VaultError::InvalidSample(_) | VaultError::UnknownId(_) => ErrorCode::InvalidInput,
            VaultError::AuditBroken { .. } => ErrorCode::AuditBroken,
            VaultError::Io { .. } => ErrorCode::Io,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, err.to_string())
    }
}

impl From<ImportError> for ApiError {
    fn from(err: ImportError) -> Self {
        ApiError::invalid(format!("{err}; nothing from this file was stored"))
    }
}

impl From<phr_exports::ExportError> for ApiError {
    fn from(err: phr_exports::ExportError) -> Self {
        match err {
            phr_exports::ExportError::Cancelled { .. } => ApiError::new(
                ErrorCode::Cancelled,
                format!("{err}; nothing from it was stored"),
            ),
            _ => ApiError::invalid(format!("{err}; nothing from this file was stored")),
        }
    }
}

/// Shorthand for façade results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;
