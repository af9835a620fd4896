//! The vault state, sealed in the header: what binds every row and the
//! audit head to one moment of the vault, so that rows or a header restored
//! from an older copy of the same vault into a newer one are detected.
//!
//! The state is `(version, audit head, key wrap binding, row digest)`:
//! * `version` counts write transactions: each one seals the state with
//!   `version + 1`, and every row it seals carries that number in clear
//!   (`sealed_at`) and in its associated data. A row sealed at a version
//!   above the state's shows that the header was rolled back (a cheap,
//!   indexed check made on every write, opening included). Rows sealed
//!   before schema 3 have no `sealed_at` and their old associated data; a
//!   row sealed since cannot be passed off as one of them (it would not
//!   open), so lowering the schema version cannot make the migration bless
//!   newer rows.
//! * the audit head `(seq, hash)`: the log's tail is chained to it.
//! * a SHA-256 of the key-derivation settings, salt and wrapped key, so an
//!   older key wrap (an older passphrase's) put back is detected on open.
//! * the row digest: the sum modulo 2^256 of one keyed term per sealed row
//!   of `people`, `devices`, `chunks` and `records`
//!   ([`crate::crypto::Keys::row_term`]: HMAC-SHA256 of the row's
//!   associated data and sealed bytes). This is MSet-Add-Hash (Clarke et
//!   al., "Incremental Multiset Hash Functions", 2003): a write removes the
//!   old row's term and adds the new one, so it costs O(rows written), not
//!   O(vault); the sum is sealed, so without the key neither it nor any term
//!   can be computed. Every seal has a fresh random nonce, so an older
//!   ciphertext of the same row has another term: any row restored,
//!   deleted or added changes the digest, which [`crate::Vault::verify`]
//!   recomputes (O(vault), hashing the stored bytes without decrypting).
//!
//! Audit entries are not in the digest: the chain commits to all of them
//! and its head is in the state.
//!
//! Not detectable without state kept outside the file: the whole file (or
//! every row changed since, with the header) replaced by an older copy of
//! itself. [`crate::Vault::state_version`] is what an outside anchor would
//! remember.

/// Encoding version of the sealed state.
const FORMAT: u8 = 1;
/// Length of the encoded state.
const LEN: usize = 1 + 8 + 8 + 32 + 32 + 32;

/// The sum modulo 2^256 of the rows' terms (big-endian).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RowDigest([u8; 32]);

impl RowDigest {
    /// Adds a row's term.
    pub(crate) fn add(&mut self, term: &[u8; 32]) {
        let mut carry = 0u16;
        for idx in (0..32).rev() {
            let sum = u16::from(self.0[idx]) + u16::from(term[idx]) + carry;
            self.0[idx] = sum as u8;
            carry = sum >> 8;
        }
    }

    /// Removes a row's term (the inverse of [`RowDigest::add`]).
    pub(crate) fn remove(&mut self, term: &[u8; 32]) {
        let mut borrow = 0i16;
        for idx in (0..32).rev() {
            let mut diff = i16::from(self.0[idx]) - i16::from(term[idx]) - borrow;
            borrow = 0;
            if diff < 0 {
                diff += 256;
                borrow = 1;
            }
            self.0[idx] = diff as u8;
        }
    }
}

/// The sealed state of a vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VaultState {
    /// Write transactions so far.
    pub version: u64,
    /// Entries in the audit log.
    pub audit_seq: u64,
    /// Hash of the last audit entry (zeros when there is none).
    pub audit_hash: [u8; 32],
    /// [`key_binding`] of the header's key fields.
    pub key_binding: [u8; 32],
    /// The digest of every sealed row.
    pub rows: RowDigest,
}

impl VaultState {
    /// The state of an empty vault with the given key fields.
    pub(crate) fn empty(key_binding: [u8; 32]) -> Self {
        VaultState {
            version: 0,
            audit_seq: 0,
            audit_hash: [0; 32],
            key_binding,
            rows: RowDigest::default(),
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEN);
        out.push(FORMAT);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.audit_seq.to_be_bytes());
        out.extend_from_slice(&self.audit_hash);
        out.extend_from_slice(&self.key_binding);
        out.extend_from_slice(&self.rows.0);
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != LEN || bytes[0] != FORMAT {
            return None;
        }
        let u64_at = |at: usize| bytes[at..at + 8].try_into().ok().map(u64::from_be_bytes);
        let hash_at = |at: usize| -> Option<[u8; 32]> { bytes[at..at + 32].try_into().ok() };
        Some(VaultState {
            version: u64_at(1)?,
            audit_seq: u64_at(9)?,
            audit_hash: hash_at(17)?,
            key_binding: hash_at(49)?,
            rows: RowDigest(hash_at(81)?),
        })
    }
}

/// SHA-256 of the header's key fields (KDF settings, salt, wrapped key),
/// length-prefixed.
pub(crate) fn key_binding(kdf_json: &str, salt: &[u8], wrapped_key: &[u8]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"phr-key-wrap-v1");
    for part in [kdf_json.as_bytes(), salt, wrapped_key] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(byte: u8) -> [u8; 32] {
        let mut t = [byte; 32];
        t[0] = 0xff;
        t
    }

    #[test]
    fn removing_undoes_adding_in_any_order_with_carries() {
        let mut digest = RowDigest::default();
        for b in [0xff, 0x01, 0x80, 0xfe] {
            digest.add(&term(b));
        }
        for b in [0x80, 0xff, 0xfe, 0x01] {
            digest.remove(&term(b));
        }
        assert_eq!(digest, RowDigest::default());
        digest.remove(&term(7));
        digest.add(&term(7));
        assert_eq!(digest, RowDigest::default());
    }

    #[test]
    fn the_state_round_trips_and_rejects_other_lengths() {
        let mut rows = RowDigest::default();
        rows.add(&term(3));
        let state = VaultState {
            version: 7,
            audit_seq: 5,
            audit_hash: [9; 32],
            key_binding: [4; 32],
            rows,
        };
        assert_eq!(VaultState::decode(&state.encode()), Some(state.clone()));
        assert_eq!(VaultState::decode(&state.encode()[1..]), None);
        assert_eq!(VaultState::decode(&[0; 40]), None);
    }
}
