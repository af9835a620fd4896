//! Key derivation, key wrapping and record sealing.
//!
//! * The owner's passphrase goes through Argon2id (parameters stored in the
//!   header) to a key-encryption key (KEK).
//! * The KEK wraps a random 256-bit data key with AES-256-GCM; the wrap's
//!   associated data names the vault and the KDF parameters, so lowering the
//!   parameters in the header makes unwrapping fail rather than weakening it.
//! * Three subkeys come from the data key through HKDF-SHA256: one seals
//!   records (AES-256-GCM), one computes lookup tags (HMAC-SHA256) for the
//!   few columns that must be searchable without revealing their content,
//!   and one computes the per-row terms of the vault state's digest
//!   (HMAC-SHA256, see [`crate::state`]).
//! * Every sealed record is `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`
//!   with a fresh random nonce, and its associated data names the row it
//!   belongs in, so moving a ciphertext to another row makes it fail to open.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{hkdf, hmac};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;
use zeroize::Zeroizing;

/// Version byte in front of every sealed record.
const SEAL_VERSION: u8 = 1;
/// Overhead of sealing: version byte, nonce and tag.
pub(crate) const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + 16;

/// Argon2id cost parameters, stored in the vault header so they can be raised
/// later (a passphrase change rewraps under the current defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Always `argon2id` for now; kept so another KDF can be introduced.
    pub algorithm: KdfAlgorithm,
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub parallelism: u32,
}

/// Which password-hashing function derives the key-encryption key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KdfAlgorithm {
    /// Argon2id, version 0x13 (RFC 9106).
    Argon2id,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: RFC 9106's second recommended setting
    /// (with one lane, as the vault is opened on phones too). About 0.1-0.2 s
    /// on a laptop core.
    fn default() -> Self {
        KdfParams {
            algorithm: KdfAlgorithm::Argon2id,
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// Accepted memory cost in KiB: 8 MiB to 4 GiB. The default is 64 MiB;
    /// more than 4 GiB is beyond what the phones and laptops we target have.
    pub const MEMORY_KIB: RangeInclusive<u32> = 8 * 1024..=4 * 1024 * 1024;
    /// Accepted number of passes: 1 to 64 (the default is 3).
    pub const ITERATIONS: RangeInclusive<u32> = 1..=64;
    /// Accepted number of lanes: 1 to 16 (the default is 1).
    pub const PARALLELISM: RangeInclusive<u32> = 1..=16;
    /// Accepted total work, memory times passes, in KiB: at most 16 GiB
    /// (4 GiB over 4 passes, or 256 MiB over 64), a few seconds to a minute
    /// of unlocking, never hours.
    pub const MAX_WORK_KIB: u64 = 16 * 1024 * 1024;

    /// Low-cost parameters (the lowest accepted) for benchmarks that create
    /// many vaults. Never use them for a real vault.
    pub fn insecure_for_benchmarks() -> Self {
        KdfParams {
            algorithm: KdfAlgorithm::Argon2id,
            memory_kib: *Self::MEMORY_KIB.start(),
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Checks that these parameters lie within the accepted bounds
    /// ([`KdfParams::MEMORY_KIB`], [`KdfParams::ITERATIONS`],
    /// [`KdfParams::PARALLELISM`], [`KdfParams::MAX_WORK_KIB`]), so that a
    /// header edited to absurd values fails at once instead of exhausting
    /// memory or running for hours before any passphrase is checked.
    /// Returns which setting is out of bounds.
    pub fn check_bounds(&self) -> Result<(), String> {
        let within = |name: &str, value: u32, range: &RangeInclusive<u32>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(format!(
                    "{name} {value} is outside {}..={}",
                    range.start(),
                    range.end()
                ))
            }
        };
        within("memory (KiB)", self.memory_kib, &Self::MEMORY_KIB)?;
        within("passes", self.iterations, &Self::ITERATIONS)?;
        within("lanes", self.parallelism, &Self::PARALLELISM)?;
        let work = u64::from(self.memory_kib) * u64::from(self.iterations);
        if work > Self::MAX_WORK_KIB {
            return Err(format!(
                "memory times passes ({work} KiB) exceeds {} KiB",
                Self::MAX_WORK_KIB
            ));
        }
        Ok(())
    }
}

/// Failures of the crypto layer; deliberately opaque.
#[derive(Debug)]
pub(crate) enum CryptoError {
    /// The KDF rejected its parameters.
    Kdf(String),
    /// Authentication failed: wrong key, or the bytes or their row changed.
    Open,
    /// The system random generator failed.
    Random,
}

/// Fills a fresh random buffer.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| CryptoError::Random)?;
    Ok(out)
}

/// Derives the key-encryption key from a passphrase.
pub(crate) fn derive_kek(
    passphrase: &[u8],
    salt: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    params.check_bounds().map_err(CryptoError::Kdf)?;
    let argon_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| CryptoError::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut kek = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, kek.as_mut())
        .map_err(|e| CryptoError::Kdf(e.to_string()))?;
    Ok(kek)
}

/// Seals `plaintext` under `key` with `aad`, using a fresh random nonce.
fn seal_with(key: &LessSafeKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce_bytes: [u8; NONCE_LEN] = random_bytes()?;
    let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(plaintext);
    let mut in_out = out.split_off(1 + NONCE_LEN);
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce_bytes),
        Aad::from(aad),
        &mut in_out,
    )
    .map_err(|_| CryptoError::Random)?;
    out.extend_from_slice(&in_out);
    Ok(out)
}

/// Opens a record sealed by [`seal_with`].
fn open_with(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION {
        return Err(CryptoError::Open);
    }
    let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN])
        .map_err(|_| CryptoError::Open)?;
    let mut in_out = sealed[1 + NONCE_LEN..].to_vec();
    let plain_len = key
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .map_err(|_| CryptoError::Open)?
        .len();
    in_out.truncate(plain_len);
    Ok(in_out)
}

fn aes_key(bytes: &[u8; 32]) -> Result<LessSafeKey, CryptoError> {
    let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| CryptoError::Open)?;
    Ok(LessSafeKey::new(unbound))
}

/// Wraps the data key under the KEK.
pub(crate) fn wrap_data_key(
    kek: &[u8; 32],
    data_key: &[u8; 32],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    seal_with(&aes_key(kek)?, aad, data_key)
}

/// Unwraps the data key; fails on a wrong passphrase or a changed header.
pub(crate) fn unwrap_data_key(
    kek: &[u8; 32],
    wrapped: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let plain = Zeroizing::new(open_with(&aes_key(kek)?, aad, wrapped)?);
    let mut key = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return Err(CryptoError::Open);
    }
    key.copy_from_slice(&plain);
    Ok(key)
}

/// The unlocked keys of a vault.
///
/// The raw data key is zeroized on drop. ring's expanded AES key schedule
/// offers no zeroization from safe code; see the threat model in
/// ARCHITECTURE.md.
pub(crate) struct Keys {
    data_key: Zeroizing<[u8; 32]>,
    seal: LessSafeKey,
    index: hmac::Key,
    state: hmac::Key,
}

impl Keys {
    /// Derives the sealing, index and state subkeys from the data key.
    pub(crate) fn from_data_key(data_key: Zeroizing<[u8; 32]>) -> Result<Self, CryptoError> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"phr-vault-v1").extract(data_key.as_ref());
        let seal_key: UnboundKey = prk
            .expand(&[b"seal records"], &AES_256_GCM)
            .map_err(|_| CryptoError::Open)?
            .into();
        let index: hmac::Key = prk
            .expand(&[b"lookup tags"], hmac::HMAC_SHA256)
            .map_err(|_| CryptoError::Open)?
            .into();
        let state: hmac::Key = prk
            .expand(&[b"vault state"], hmac::HMAC_SHA256)
            .map_err(|_| CryptoError::Open)?
            .into();
        Ok(Keys {
            data_key,
            seal: LessSafeKey::new(seal_key),
            index,
            state,
        })
    }

    /// A copy of the raw data key, for rewrapping under a new passphrase.
    pub(crate) fn data_key(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(*self.data_key)
    }

    /// Seals a record; `aad` must name the row it is stored in.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.seal, aad, plaintext)
    }

    /// Opens a record sealed for the row `aad` names.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(&self.seal, aad, sealed)
    }

    /// A keyed tag for equality look-ups that reveals nothing else.
    pub(crate) fn lookup_tag(&self, input: &[u8]) -> Vec<u8> {
        hmac::sign(&self.index, input).as_ref().to_vec()
    }

    /// The vault state's term for one stored row: HMAC-SHA256 under the
    /// state subkey of the row's associated data (which names its table,
    /// row key and the version that sealed it) and its sealed bytes.
    pub(crate) fn row_term(&self, aad: &[u8], sealed: &[u8]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.state);
        ctx.update(&(aad.len() as u64).to_be_bytes());
        ctx.update(aad);
        ctx.update(sealed);
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::from_data_key(Zeroizing::new([7u8; 32])).expect("keys")
    }

    #[test]
    fn sealed_record_opens_only_in_its_row() {
        let keys = keys();
        let sealed = keys.seal(b"people|id=1", b"Hanako").expect("seal");
        assert_eq!(keys.open(b"people|id=1", &sealed).expect("open"), b"Hanako");
        assert!(keys.open(b"people|id=2", &sealed).is_err());
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let keys = keys();
        let sealed = keys.seal(b"row", b"heart rate 61").expect("seal");
        for idx in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[idx] ^= 0x01;
            assert!(
                keys.open(b"row", &bad).is_err(),
                "byte {idx} flip not detected"
            );
        }
    }

    #[test]
    fn nonces_differ_between_seals() {
        let keys = keys();
        let a = keys.seal(b"row", b"same").expect("seal");
        let b = keys.seal(b"row", b"same").expect("seal");
        assert_ne!(a[1..13], b[1..13]);
        assert_ne!(a, b);
    }

    #[test]
    fn data_key_unwraps_only_with_the_right_kek_and_header() {
        let params = KdfParams::insecure_for_benchmarks();
        let kek = derive_kek(b"correct horse", b"0123456789abcdef", &params).expect("kdf");
        let wrong = derive_kek(b"wrong horse", b"0123456789abcdef", &params).expect("kdf");
        let data_key = [42u8; 32];
        let wrapped = wrap_data_key(&kek, &data_key, b"header").expect("wrap");
        assert_eq!(
            *unwrap_data_key(&kek, &wrapped, b"header").expect("unwrap"),
            data_key
        );
        assert!(unwrap_data_key(&wrong, &wrapped, b"header").is_err());
        assert!(unwrap_data_key(&kek, &wrapped, b"header with lower cost").is_err());
    }
}
