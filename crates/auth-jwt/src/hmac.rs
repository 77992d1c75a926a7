use jsonwebtoken::DecodingKey;
use tasks_ports::AuthError;

use crate::jws::Jws;
use crate::settings::SharedSecret;

/// Verifies HS256/HS384/HS512 signatures made with the shared secret.
pub(crate) struct HmacVerifier {
    key: DecodingKey,
}

impl HmacVerifier {
    pub(crate) fn new(secret: &SharedSecret) -> Self {
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    pub(crate) fn verify_signature(&self, jws: &Jws<'_>) -> Result<(), AuthError> {
        let alg = jws.header.alg;
        let hmac_alg = alg
            .to_jsonwebtoken()
            .filter(|_| alg.is_hmac())
            .ok_or(AuthError::invalid("not an HMAC algorithm"))?;
        if jws.signed_with(&self.key, hmac_alg) {
            Ok(())
        } else {
            Err(AuthError::invalid("bad signature"))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_support::{TestKey, hmac_token, valid_claims};

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn verifier() -> HmacVerifier {
        HmacVerifier::new(&SharedSecret::new(SECRET).unwrap())
    }

    fn verify(token: &str) -> Result<(), AuthError> {
        verifier().verify_signature(&Jws::parse(token)?)
    }

    #[test]
    fn accepts_hs256_hs384_and_hs512() {
        for alg in ["HS256", "HS384", "HS512"] {
            let token = hmac_token(SECRET.as_bytes(), json!({"alg": alg}), &valid_claims());
            assert_eq!(verify(&token), Ok(()), "{alg}");
        }
    }

    #[test]
    fn rejects_another_secret_and_tampering() {
        let forged = hmac_token(&[7; 32], json!({"alg": "HS256"}), &valid_claims());
        assert_eq!(verify(&forged), Err(AuthError::invalid("bad signature")));

        let token = hmac_token(SECRET.as_bytes(), json!({"alg": "HS256"}), &valid_claims());
        let (signed, _) = token.rsplit_once('.').unwrap();
        let other = hmac_token(
            SECRET.as_bytes(),
            json!({"alg": "HS256"}),
            &json!({"sub": "someone-else"}),
        );
        let (_, other_signature) = other.rsplit_once('.').unwrap();
        let spliced = format!("{signed}.{other_signature}");
        assert_eq!(verify(&spliced), Err(AuthError::invalid("bad signature")));
    }

    #[test]
    fn refuses_asymmetric_algorithms() {
        let token = TestKey::p256().token(json!({"alg": "ES256"}), &valid_claims());
        assert_eq!(
            verify(&token),
            Err(AuthError::invalid("not an HMAC algorithm"))
        );
    }
}
