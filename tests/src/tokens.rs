use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, crypto, encode};
use serde_json::{Map, Value, json};

/// The shared secret every test app is started with.
pub const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Base64url without padding, as JWS segments are encoded.
pub fn base64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Builds HS* tokens as Better Auth's shared-secret setup would, with any claim changed.
#[derive(Debug, Clone)]
pub struct TokenBuilder {
    claims: Map<String, Value>,
    algorithm: Algorithm,
    secret: String,
}

impl TokenBuilder {
    /// A valid token for `subject`, expiring in 15 minutes.
    pub fn for_user(subject: &str) -> Self {
        let claims = json!({
            "sub": subject,
            "email": format!("{subject}@example.com"),
            "name": "Test User",
            "iat": now(),
            "exp": now() + 900,
        });
        let Value::Object(claims) = claims else {
            unreachable!("a JSON object literal")
        };
        Self {
            claims,
            algorithm: Algorithm::HS256,
            secret: SECRET.to_owned(),
        }
    }

    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    pub fn secret(mut self, secret: &str) -> Self {
        self.secret = secret.to_owned();
        self
    }

    pub fn sign(&self) -> String {
        encode(
            &Header::new(self.algorithm),
            &self.claims,
            &EncodingKey::from_secret(self.secret.as_bytes()),
        )
        .expect("HMAC signing cannot fail")
    }

    /// The claims as a JSON object, for tokens put together by hand.
    pub fn payload(&self) -> Value {
        Value::Object(self.claims.clone())
    }

    /// A token with any JOSE `header`, signed with this builder's HMAC algorithm and
    /// secret whatever the header says (the signature is valid for the secret).
    pub fn sign_with_header(&self, header: &Value) -> String {
        let signing_input = signing_input(header, &self.payload());
        let signature = crypto::sign(
            signing_input.as_bytes(),
            &EncodingKey::from_secret(self.secret.as_bytes()),
            self.algorithm,
        )
        .expect("HMAC signing cannot fail");
        format!("{signing_input}.{signature}")
    }

    /// A token with any JOSE `header` and the given (usually bogus) base64url signature.
    pub fn with_header_and_signature(&self, header: &Value, signature: &str) -> String {
        format!("{}.{signature}", signing_input(header, &self.payload()))
    }
}

fn signing_input(header: &Value, payload: &Value) -> String {
    format!(
        "{}.{}",
        base64url(header.to_string()),
        base64url(payload.to_string())
    )
}
