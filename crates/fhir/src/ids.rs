//! Stable identifiers: the same person, kind and period always give the same
//! identifier, `urn:uuid:` and logical id, so exports are reproducible and a
//! resent resource is recognised by the server (`ifNoneExist`).

use crate::datatypes::Identifier;
use crate::IDENTIFIER_SYSTEM;
use ring::digest;

/// Version tag hashed into every identifier; bump only with a migration plan
/// (a new tag re-identifies every resource ever sent).
const SCHEME: &str = "phr-fhir/id/v1";

/// Number of hex digits kept of the SHA-256 (128 bits).
const ID_HEX_LEN: usize = 32;

/// A resource's stable identity: the identifier value (32 hex digits of a
/// SHA-256) under [`IDENTIFIER_SYSTEM`], from which its UUID is derived.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StableId {
    value: String,
}

impl StableId {
    /// The identity of `kind` for `person_key` over `parts` (period bounds,
    /// source key, ...). Parts are length-prefixed, so no two different
    /// inputs hash the same text.
    pub fn derive(person_key: &str, kind: &str, parts: &[&str]) -> StableId {
        let mut context = digest::Context::new(&digest::SHA256);
        for field in [SCHEME, person_key, kind].iter().chain(parts) {
            context.update(&(field.len() as u64).to_be_bytes());
            context.update(field.as_bytes());
        }
        let mut value = hex(context.finish().as_ref());
        value.truncate(ID_HEX_LEN);
        StableId { value }
    }

    /// Wraps an existing identifier value (e.g. read back from a resource).
    pub fn from_value(value: &str) -> StableId {
        StableId {
            value: value.to_string(),
        }
    }

    /// The identifier value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The FHIR identifier `{system: IDENTIFIER_SYSTEM, value}`.
    pub fn identifier(&self) -> Identifier {
        Identifier::new(IDENTIFIER_SYSTEM, &self.value)
    }

    /// A UUID derived from the value (RFC 9562 version 8, "custom"), as
    /// `xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx`. Also used as the logical id
    /// where one is needed.
    pub fn uuid(&self) -> String {
        let digest = digest::digest(&digest::SHA256, self.value.as_bytes());
        let mut bytes = [0_u8; 16];
        bytes.copy_from_slice(&digest.as_ref()[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex = hex(&bytes);
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// `urn:uuid:<uuid>`, the `fullUrl` and in-bundle reference.
    pub fn urn(&self) -> String {
        format!("urn:uuid:{}", self.uuid())
    }

    /// The search for conditional create: `identifier=<system>|<value>`.
    pub fn if_none_exist(&self) -> String {
        format!("identifier={}|{}", IDENTIFIER_SYSTEM, self.value)
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Standard base64 with padding (RFC 4648 §4), for `Attachment.data` and
/// `Attachment.hash`.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let triple = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let symbols = [
            (triple >> 18) & 63,
            (triple >> 12) & 63,
            (triple >> 6) & 63,
            triple & 63,
        ];
        for (index, symbol) in symbols.iter().enumerate() {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[*symbol as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_is_stable_and_unambiguous() {
        let a = StableId::derive("person-1", "daily-steps", &["2026-03-01"]);
        assert_eq!(
            a,
            StableId::derive("person-1", "daily-steps", &["2026-03-01"])
        );
        assert_eq!(a.value().len(), 32);
        assert_ne!(
            a,
            StableId::derive("person-1", "daily-steps", &["2026-03-02"])
        );
        assert_ne!(
            a,
            StableId::derive("person-2", "daily-steps", &["2026-03-01"])
        );
        // Length prefixes keep "ab"+"c" apart from "a"+"bc".
        assert_ne!(
            StableId::derive("p", "k", &["ab", "c"]),
            StableId::derive("p", "k", &["a", "bc"])
        );
    }

    #[test]
    fn uuid_has_version_8_and_rfc_variant() {
        let uuid = StableId::derive("p", "k", &[]).uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "8");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
        assert!(uuid
            .chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
    }
}
