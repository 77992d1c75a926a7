//! Keys, tokens and a JWKS server for the tests; nothing here is compiled outside them.

mod jwks_server;
mod keys;

use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

pub(crate) use jwks_server::{Gate, JwksServer, Reply};
pub(crate) use keys::TestKey;

use crate::claims::unix_now;

pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims that pass every rule when neither `iss` nor `aud` is checked.
pub(crate) fn valid_claims() -> Value {
    json!({"sub": "user-1", "exp": unix_now() + 600, "iat": unix_now()})
}

pub(crate) fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64(header.to_string()), b64(claims.to_string()))
}

/// A token MACed with `secret` by the `HS*` algorithm its header names.
pub(crate) fn hmac_token(secret: &[u8], header: Value, claims: &Value) -> String {
    let alg = Algorithm::from_str(header["alg"].as_str().unwrap()).unwrap();
    let input = signing_input(&header, claims);
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &EncodingKey::from_secret(secret), alg)
            .unwrap();
    format!("{input}.{signature}")
}
