//! Signing keys for SMART Backend Services (EC P-384, ES384), as the front
//! ends make, read and publish them: `phr-fhir-client`'s functions behind
//! the façade's error type.

use crate::{ApiError, ErrorCode, Result};
use zeroize::Zeroizing;

/// A new EC P-384 private key (PKCS#8 DER).
pub fn generate_es384_key() -> Result<Zeroizing<Vec<u8>>> {
    phr_fhir_client::generate_es384_key().map_err(|e| ApiError::new(ErrorCode::Internal, e))
}

/// The public JWK of a private key, to register with the EHR.
pub fn es384_jwk(pkcs8: &[u8]) -> Result<serde_json::Value> {
    phr_fhir_client::es384_jwk(pkcs8).map_err(ApiError::invalid)
}

/// A private key from a PEM or DER file's bytes.
pub fn read_private_key(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    phr_fhir_client::read_private_key(bytes).map_err(ApiError::invalid)
}

/// A private key as PEM text.
pub fn private_key_pem(pkcs8: &[u8]) -> Zeroizing<String> {
    phr_fhir_client::private_key_pem(pkcs8)
}
