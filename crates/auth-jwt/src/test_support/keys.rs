use std::sync::LazyLock;

use rand::rngs::OsRng;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, pkcs1v15, pss, sha2};
use serde_json::{Value, json};

use super::{b64, signing_input};

/// A private key of each type the JWKS verifier accepts.
pub(crate) enum TestKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Rsa(RsaPrivateKey),
}

/// RSA key generation is slow in debug builds, so every test shares one key.
static RSA_KEY: LazyLock<RsaPrivateKey> =
    LazyLock::new(|| RsaPrivateKey::new(&mut OsRng, 2048).unwrap());

impl TestKey {
    pub(crate) fn ed25519() -> Self {
        Self::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng))
    }

    pub(crate) fn p256() -> Self {
        Self::P256(p256::ecdsa::SigningKey::random(&mut OsRng))
    }

    pub(crate) fn p384() -> Self {
        Self::P384(p384::ecdsa::SigningKey::random(&mut OsRng))
    }

    pub(crate) fn p521() -> Self {
        Self::P521(p521::ecdsa::SigningKey::random(&mut OsRng))
    }

    pub(crate) fn rsa() -> Self {
        Self::Rsa(RSA_KEY.clone())
    }

    pub(crate) fn one_of_each() -> Vec<Self> {
        vec![
            Self::ed25519(),
            Self::p256(),
            Self::p384(),
            Self::p521(),
            Self::rsa(),
        ]
    }

    /// The public half as a JWK without `alg` or `use`, as Better Auth serves it.
    pub(crate) fn public_jwk(&self, kid: &str) -> Value {
        let ec = |crv: &str, x: &[u8], y: &[u8]| json!({"kty": "EC", "crv": crv, "kid": kid, "x": b64(x), "y": b64(y)});
        match self {
            Self::Ed25519(key) => json!({
                "kty": "OKP", "crv": "Ed25519", "kid": kid,
                "x": b64(key.verifying_key().as_bytes()),
            }),
            Self::P256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                ec("P-256", point.x().unwrap(), point.y().unwrap())
            }
            Self::P384(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                ec("P-384", point.x().unwrap(), point.y().unwrap())
            }
            Self::P521(key) => {
                let point = p521::ecdsa::VerifyingKey::from(key).to_encoded_point(false);
                ec("P-521", point.x().unwrap(), point.y().unwrap())
            }
            Self::Rsa(key) => json!({
                "kty": "RSA", "kid": kid,
                "n": b64(key.n().to_bytes_be()), "e": b64(key.e().to_bytes_be()),
            }),
        }
    }

    /// Signs with the key's own scheme; for RSA, `alg` picks PKCS#1 v1.5 or PSS and the hash.
    pub(crate) fn sign(&self, alg: &str, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Ed25519(key) => key.sign(message).to_bytes().to_vec(),
            Self::P256(key) => Signer::<p256::ecdsa::Signature>::sign(key, message).to_vec(),
            Self::P384(key) => Signer::<p384::ecdsa::Signature>::sign(key, message).to_vec(),
            Self::P521(key) => {
                let signature: p521::ecdsa::Signature = key.sign_with_rng(&mut OsRng, message);
                signature.to_vec()
            }
            Self::Rsa(key) => sign_rsa(key, alg, message),
        }
    }

    /// A compact JWS of `claims` with exactly `header`, signed per the `alg` it names.
    pub(crate) fn token(&self, header: Value, claims: &Value) -> String {
        let input = signing_input(&header, claims);
        let signature = self.sign(header["alg"].as_str().unwrap_or(""), input.as_bytes());
        format!("{input}.{}", b64(signature))
    }
}

fn sign_rsa(key: &RsaPrivateKey, alg: &str, message: &[u8]) -> Vec<u8> {
    use sha2::{Sha256, Sha384, Sha512};
    let key = key.clone();
    match alg {
        "RS384" => pkcs1v15::SigningKey::<Sha384>::new(key)
            .sign(message)
            .to_vec(),
        "RS512" => pkcs1v15::SigningKey::<Sha512>::new(key)
            .sign(message)
            .to_vec(),
        "PS256" => pss::BlindedSigningKey::<Sha256>::new(key)
            .sign_with_rng(&mut OsRng, message)
            .to_vec(),
        "PS384" => pss::BlindedSigningKey::<Sha384>::new(key)
            .sign_with_rng(&mut OsRng, message)
            .to_vec(),
        "PS512" => pss::BlindedSigningKey::<Sha512>::new(key)
            .sign_with_rng(&mut OsRng, message)
            .to_vec(),
        _ => pkcs1v15::SigningKey::<Sha256>::new(key)
            .sign(message)
            .to_vec(),
    }
}
