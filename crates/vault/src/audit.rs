//! The tamper-evident audit log.
//!
//! Entry `n` is stored as `(seq = n, hash_n, sealed_n)` where `sealed_n` is the
//! sealed JSON of the entry and
//! `hash_n = SHA-256("phr-audit-v1" ‖ hash_{n-1} ‖ n as u64 BE ‖ sealed_n)`,
//! with `hash_0` all zeros. The head `(n, hash_n)` is kept sealed in the
//! header: on its own until schema 2, inside the vault state
//! ([`crate::state`]) since schema 3, where it is bound to the rows it was
//! written with. Editing an entry breaks its seal and its hash; deleting one
//! leaves a gap in `seq`; truncating the tail leaves the head pointing past
//! the end; restoring an older head from a copy leaves it older than the
//! rows.

use ring::digest;
use serde::{Deserialize, Serialize};

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditAction {
    /// The vault was created.
    Init,
    /// The vault was unlocked.
    Unlock,
    /// Data was imported from a file.
    Import,
    /// Data was synchronised from a device.
    Sync,
    /// Data was exported to a file.
    Export,
    /// Data was shared with a recipient.
    Share,
    /// The passphrase was changed.
    PassphraseChange,
    /// A person or device was added or changed.
    Profile,
}

impl AuditAction {
    /// Stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::Init => "init",
            AuditAction::Unlock => "unlock",
            AuditAction::Import => "import",
            AuditAction::Sync => "sync",
            AuditAction::Export => "export",
            AuditAction::Share => "share",
            AuditAction::PassphraseChange => "passphrase_change",
            AuditAction::Profile => "profile",
        }
    }
}

/// An event to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// What happened.
    pub action: AuditAction,
    /// Details in plain words (file name, recipient, counts).
    pub detail: String,
}

impl AuditEvent {
    /// An event with details.
    pub fn new(action: AuditAction, detail: impl Into<String>) -> Self {
        AuditEvent {
            action,
            detail: detail.into(),
        }
    }
}

/// A recorded audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it was recorded (Unix seconds, UTC).
    pub at_utc: i64,
    /// What happened.
    pub action: AuditAction,
    /// Details.
    pub detail: String,
}

/// The sealed payload of an entry.
#[derive(Serialize, Deserialize)]
pub(crate) struct EntryBody {
    pub at_utc: i64,
    pub action: AuditAction,
    pub detail: String,
}

/// Hash of entry `seq` chained to the previous hash.
pub(crate) fn chain_hash(previous: &[u8; 32], seq: u64, sealed: &[u8]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"phr-audit-v1");
    ctx.update(previous);
    ctx.update(&seq.to_be_bytes());
    ctx.update(sealed);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Decodes the head of schema 1 and 2 (`seq` as u64 BE, then the hash).
pub(crate) fn decode_head(bytes: &[u8]) -> Option<(u64, [u8; 32])> {
    if bytes.len() != 40 {
        return None;
    }
    let seq = u64::from_be_bytes(bytes[..8].try_into().ok()?);
    let hash: [u8; 32] = bytes[8..].try_into().ok()?;
    Some((seq, hash))
}
