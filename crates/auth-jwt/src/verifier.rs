use std::fmt;

use tasks_ports::{AuthError, Claims, TokenVerifier};

use crate::claims::{ClaimsPolicy, unix_now};
use crate::error::SetupError;
use crate::hmac::HmacVerifier;
use crate::jwks::{JwksVerifier, RefreshPolicy};
use crate::jws::Jws;
use crate::settings::VerifierSettings;

/// Verifies bearer tokens: `HS*` with the shared secret, every other algorithm with the
/// JWKS, then the same claim rules for both.
pub struct JwtVerifier {
    shared_secret: Option<HmacVerifier>,
    jwks: Option<JwksVerifier>,
    claims: ClaimsPolicy,
}

impl JwtVerifier {
    /// Builds the verifier. With a JWKS URL this must run inside a Tokio runtime: the first
    /// fetch starts in the background, and neither its wait nor its failure delays this.
    pub fn new(settings: VerifierSettings) -> Result<Self, SetupError> {
        if settings.secret.is_none() && settings.jwks_url.is_none() {
            return Err(SetupError::NothingConfigured);
        }
        let claims = ClaimsPolicy::new(settings.issuer, settings.audience, settings.leeway)?;
        let shared_secret = settings
            .secret
            .as_ref()
            .map(HmacVerifier::new)
            .transpose()?;
        let jwks = settings
            .jwks_url
            .as_deref()
            .map(|url| {
                JwksVerifier::start(url, settings.jwks_fetch_timeout, RefreshPolicy::default())
            })
            .transpose()?;
        Ok(Self {
            shared_secret,
            jwks,
            claims,
        })
    }
}

impl TokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let jws = Jws::parse(token)?;
        if jws.header.alg.is_hmac() {
            self.shared_secret
                .as_ref()
                .ok_or(AuthError::invalid(
                    "HS* token, but no shared secret configured",
                ))?
                .verify_signature(&jws)?;
        } else {
            self.jwks
                .as_ref()
                .ok_or(AuthError::invalid(
                    "asymmetric token, but no JWKS configured",
                ))?
                .verify_signature(&jws)
                .await?;
        }
        let payload = jws
            .payload()
            .ok_or(AuthError::invalid("payload is not base64url"))?;
        self.claims.check(&payload, unix_now())
    }

    fn remote_keys_ready(&self) -> Option<bool> {
        self.jwks.as_ref().map(JwksVerifier::keys_ready)
    }
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("shared_secret", &self.shared_secret.is_some())
            .field("jwks", &self.jwks.is_some())
            .field("claims", &self.claims)
            .finish()
    }
}

#[cfg(test)]
mod tests;
