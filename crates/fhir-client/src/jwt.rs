//! The SMART Backend Services client assertion: a JWT signed ES384 (ECDSA
//! P-384 with SHA-384, JWS fixed-length signature) with `ring`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use zeroize::Zeroizing;

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn key_pair(pkcs8: &[u8]) -> Result<EcdsaKeyPair, String> {
    EcdsaKeyPair::from_pkcs8(
        &ECDSA_P384_SHA384_FIXED_SIGNING,
        pkcs8,
        &SystemRandom::new(),
    )
    .map_err(|_| "the client key is not an EC P-384 private key in PKCS#8 form".to_string())
}

/// The key id: a hash of the public key, as the JWK and the JWT header carry it.
fn key_id(key: &EcdsaKeyPair) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
    URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

/// A signed client assertion for `token_endpoint`, valid five minutes.
pub(crate) fn client_assertion(
    client_id: &str,
    token_endpoint: &str,
    pkcs8: &[u8],
) -> Result<String, String> {
    let key = key_pair(pkcs8)?;
    let mut jti = [0u8; 16];
    SystemRandom::new()
        .fill(&mut jti)
        .map_err(|_| "the system random generator failed".to_string())?;
    let header = serde_json::json!({"alg": "ES384", "typ": "JWT", "kid": key_id(&key)});
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "exp": now_seconds() + 300,
        "jti": URL_SAFE_NO_PAD.encode(jti),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key
        .sign(&SystemRandom::new(), signing_input.as_bytes())
        .map_err(|_| "signing the client assertion failed".to_string())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    ))
}

/// A new EC P-384 private key (PKCS#8 DER) for registering a SMART backend
/// client.
pub fn generate_es384_key() -> Result<Zeroizing<Vec<u8>>, String> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &SystemRandom::new())
        .map(|doc| Zeroizing::new(doc.as_ref().to_vec()))
        .map_err(|_| "key generation failed".to_string())
}

/// The public JWK of a key, to register with the EHR (its JWKS).
pub fn es384_jwk(pkcs8: &[u8]) -> Result<serde_json::Value, String> {
    let key = key_pair(pkcs8)?;
    let point = key.public_key().as_ref(); // 0x04 || X (48) || Y (48)
    if point.len() != 97 {
        return Err("unexpected public key length".into());
    }
    Ok(serde_json::json!({
        "kty": "EC",
        "crv": "P-384",
        "alg": "ES384",
        "use": "sig",
        "key_ops": ["verify"],
        "kid": key_id(&key),
        "x": URL_SAFE_NO_PAD.encode(&point[1..49]),
        "y": URL_SAFE_NO_PAD.encode(&point[49..97]),
    }))
}

/// A private key from a file's bytes: PKCS#8 DER, or PEM
/// (`-----BEGIN PRIVATE KEY-----`). Checked to be an EC P-384 key.
pub fn read_private_key(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
    let der = match std::str::from_utf8(bytes) {
        Ok(text) if text.contains("-----BEGIN") => {
            let body: String = text
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::trim)
                .collect();
            Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .map_err(|_| "the PEM key is not valid base64".to_string())?,
            )
        }
        _ => Zeroizing::new(bytes.to_vec()),
    };
    key_pair(&der)?;
    Ok(der)
}

/// PEM text of a PKCS#8 private key.
pub fn private_key_pem(pkcs8: &[u8]) -> Zeroizing<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8);
    let mut text = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(chunk));
        text.push('\n');
    }
    text.push_str("-----END PRIVATE KEY-----\n");
    Zeroizing::new(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ECDSA_P384_SHA384_FIXED};

    #[test]
    fn assertion_verifies_with_the_public_key_and_carries_the_claims() {
        let key = generate_es384_key().expect("key");
        let jwt = client_assertion("client-1", "https://ehr.example/token", &key).expect("jwt");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let public = key_pair(&key).expect("pair").public_key().as_ref().to_vec();
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        let input = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &public)
            .verify(input.as_bytes(), &signature)
            .expect("signature verifies");
        let mut tampered = input.clone().into_bytes();
        tampered[5] ^= 1;
        assert!(UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &public)
            .verify(&tampered, &signature)
            .is_err());
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["aud"], "https://ehr.example/token");
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(header["alg"], "ES384");
        assert_eq!(header["kid"], es384_jwk(&key).expect("jwk")["kid"]);
    }

    #[test]
    fn pem_and_der_keys_read_back() {
        let key = generate_es384_key().expect("key");
        assert_eq!(*read_private_key(&key).expect("der"), *key);
        assert_eq!(
            *read_private_key(private_key_pem(&key).as_bytes()).expect("pem"),
            *key
        );
        assert!(
            read_private_key(b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n")
                .is_err()
        );
    }

    #[test]
    fn a_wrong_key_is_a_clear_error() {
        assert!(client_assertion("c", "https://x/token", b"not a key")
            .expect_err("bad")
            .contains("P-384"));
    }
}
