use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, de};

use crate::error::SetupError;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Longest a single JWKS request may take, connection to last byte.
pub const DEFAULT_JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Shortest accepted `BETTER_AUTH_SECRET`: 256 bits, as HS256 needs.
pub const MIN_SECRET_BYTES: usize = 32;

/// How to verify tokens: the `[auth]` settings section.
///
/// At least one of `secret` and `jwks_url` must be set. `issuer` and `audience` are the
/// expected `iss` and `aud`; `None` turns that check off. An empty `secret` or `jwks_url`
/// counts as unset.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifierSettings {
    /// `BETTER_AUTH_SECRET`: enables HS256 (and HS384/HS512) tokens.
    #[serde(default, deserialize_with = "optional_secret")]
    pub secret: Option<SharedSecret>,
    /// Where the JWKS is served: enables asymmetric tokens.
    #[serde(default, deserialize_with = "optional_text")]
    pub jwks_url: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(rename = "leeway_secs", deserialize_with = "seconds")]
    pub leeway: Duration,
    #[serde(rename = "jwks_fetch_timeout_secs", deserialize_with = "seconds")]
    pub jwks_fetch_timeout: Duration,
    /// Whether a `http://` JWKS URL may name a host other than loopback (off in
    /// production, where keys fetched in the clear could be swapped on the way).
    #[serde(default = "plain_http_allowed")]
    pub allow_plain_http_jwks: bool,
}

fn plain_http_allowed() -> bool {
    true
}

impl Default for VerifierSettings {
    fn default() -> Self {
        Self {
            secret: None,
            jwks_url: None,
            issuer: None,
            audience: None,
            leeway: DEFAULT_LEEWAY,
            jwks_fetch_timeout: DEFAULT_JWKS_FETCH_TIMEOUT,
            allow_plain_http_jwks: plain_http_allowed(),
        }
    }
}

/// The shared HMAC secret, at least [`MIN_SECRET_BYTES`] long. `Debug` never shows it.
#[derive(Debug, Clone)]
pub struct SharedSecret(SecretString);

impl SharedSecret {
    pub fn new(value: impl Into<String>) -> Result<Self, SetupError> {
        let value: String = value.into();
        if value.len() < MIN_SECRET_BYTES {
            return Err(SetupError::SecretTooShort {
                length: value.len(),
            });
        }
        Ok(Self(value.into()))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

fn optional_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SharedSecret>, D::Error> {
    let Some(secret) = Option::<SecretString>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let value = secret.expose_secret().trim();
    if value.is_empty() {
        return Ok(None);
    }
    SharedSecret::new(value)
        .map(Some)
        .map_err(de::Error::custom)
}

fn optional_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty()))
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "super-secret-value-that-is-long-enough";

    fn section(value: serde_json::Value) -> Result<VerifierSettings, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn defaults_are_the_contract_values() {
        let settings = VerifierSettings::default();
        assert_eq!(settings.leeway, Duration::from_secs(30));
        assert_eq!(settings.jwks_fetch_timeout, Duration::from_secs(5));
    }

    #[test]
    fn reads_the_auth_section() {
        let settings = section(json!({
            "secret": SECRET, "jwks_url": " https://auth.example/jwks ",
            "leeway_secs": 10, "jwks_fetch_timeout_secs": 2,
        }))
        .unwrap();
        assert!(settings.secret.is_some());
        assert_eq!(
            settings.jwks_url.as_deref(),
            Some("https://auth.example/jwks")
        );
        assert_eq!(settings.leeway, Duration::from_secs(10));
        assert_eq!(settings.jwks_fetch_timeout, Duration::from_secs(2));
    }

    #[test]
    fn empty_secret_and_jwks_url_are_unset() {
        let settings = section(json!({
            "secret": " ", "jwks_url": "", "leeway_secs": 30, "jwks_fetch_timeout_secs": 5,
        }))
        .unwrap();
        assert!(settings.secret.is_none());
        assert!(settings.jwks_url.is_none());
    }

    #[test]
    fn secret_must_have_at_least_32_bytes() {
        assert!(matches!(
            SharedSecret::new("x".repeat(31)),
            Err(SetupError::SecretTooShort { length: 31 })
        ));
        assert!(SharedSecret::new("x".repeat(32)).is_ok());
        let error = section(json!({
            "secret": "short", "leeway_secs": 30, "jwks_fetch_timeout_secs": 5,
        }))
        .unwrap_err();
        assert!(error.to_string().contains("BETTER_AUTH_SECRET"), "{error}");
        assert!(!error.to_string().contains("short\""), "{error}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let settings = VerifierSettings {
            secret: Some(SharedSecret::new(SECRET).unwrap()),
            ..VerifierSettings::default()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("super-secret"), "{printed}");
        assert!(printed.contains("REDACTED"), "{printed}");
    }
}
