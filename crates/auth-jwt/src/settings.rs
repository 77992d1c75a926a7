use std::fmt;
use std::time::Duration;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Longest a single JWKS request may take, connection to last byte.
pub const DEFAULT_JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// How to verify tokens, as resolved by the binary from its configuration.
///
/// At least one of `secret` and `jwks_url` must be set. `issuer` and `audience` are the
/// expected `iss` and `aud`; `None` turns that check off.
#[derive(Debug, Clone)]
pub struct VerifierSettings {
    /// `BETTER_AUTH_SECRET`: enables HS256 (and HS384/HS512) tokens.
    pub secret: Option<SharedSecret>,
    /// Where the JWKS is served: enables asymmetric tokens.
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway: Duration,
    pub jwks_fetch_timeout: Duration,
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
        }
    }
}

/// The shared HMAC secret. `Debug` never shows it, so settings can be logged safely.
#[derive(Clone)]
pub struct SharedSecret(String);

impl SharedSecret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<String> for SharedSecret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_contract_values() {
        let settings = VerifierSettings::default();
        assert_eq!(settings.leeway, Duration::from_secs(30));
        assert_eq!(settings.jwks_fetch_timeout, Duration::from_secs(5));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let settings = VerifierSettings {
            secret: Some(SharedSecret::new("super-secret-value-that-is-long-enough")),
            ..VerifierSettings::default()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("super-secret"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
    }
}
