use std::fmt;
use std::sync::Arc;

use tasks_ports::{AuthError, Claims, TokenVerifier};

use crate::claims::{ClaimsPolicy, unix_now};
use crate::error::SetupError;
use crate::hmac::HmacVerifier;
use crate::jwks::{self, JwksVerifier, RefreshPolicy};
use crate::jws::{Jws, MAX_TOKEN_BYTES};
use crate::metrics::CacheLookups;
use crate::settings::VerifierSettings;
use crate::token_cache::{TokenCache, TokenCacheSettings, TokenKey};

/// Verifies bearer tokens: `HS*` with the shared secret, every other algorithm with the
/// JWKS, then the same claim rules for both. Tokens that pass are remembered in a bounded
/// cache (see [`TokenCacheSettings`]), so that a token presented again costs a hash and a
/// lookup rather than a signature check.
pub struct JwtVerifier {
    shared_secret: Option<HmacVerifier>,
    jwks: Option<JwksVerifier>,
    claims: ClaimsPolicy,
    cache: Option<Arc<TokenCache>>,
    cache_lookups: CacheLookups,
}

impl JwtVerifier {
    /// Builds the verifier, with the default token cache. With a JWKS URL this must run
    /// inside a Tokio runtime: the first fetch starts in the background, and neither its
    /// wait nor its failure delays this.
    pub fn new(settings: VerifierSettings) -> Result<Self, SetupError> {
        Self::with_token_cache(settings, TokenCacheSettings::default())
    }

    /// Like [`new`](Self::new), with the token cache sized by `cache`
    /// ([`TokenCacheSettings::DISABLED`] checks every token in full).
    pub fn with_token_cache(
        settings: VerifierSettings,
        cache: TokenCacheSettings,
    ) -> Result<Self, SetupError> {
        Self::build(settings, cache, RefreshPolicy::default())
    }

    pub(crate) fn build(
        settings: VerifierSettings,
        cache: TokenCacheSettings,
        refresh: RefreshPolicy,
    ) -> Result<Self, SetupError> {
        if settings.secret.is_none() && settings.jwks_url.is_none() {
            return Err(SetupError::NothingConfigured);
        }
        let claims = ClaimsPolicy::new(settings.issuer, settings.audience, settings.leeway)?;
        let shared_secret = settings.secret.as_ref().map(HmacVerifier::new);
        let cache = TokenCache::new(cache).map(Arc::new);
        let jwks = settings
            .jwks_url
            .as_deref()
            .map(|url| {
                jwks::check_transport(url, settings.allow_plain_http_jwks)?;
                // A token verified with a key that has since left the set must be checked
                // again (and refused): a new key set empties the cache.
                let cache = cache.clone();
                let on_keys_changed = move || {
                    if let Some(cache) = &cache {
                        cache.clear();
                    }
                };
                JwksVerifier::start(
                    url,
                    settings.jwks_fetch_timeout,
                    refresh,
                    Box::new(on_keys_changed),
                )
            })
            .transpose()?;
        Ok(Self {
            shared_secret,
            jwks,
            claims,
            cache,
            cache_lookups: CacheLookups::register(),
        })
    }

    /// The full check: signature, then claims.
    async fn verify_uncached(&self, token: &str) -> Result<Claims, AuthError> {
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

    #[cfg(test)]
    pub(crate) fn cached_tokens(&self) -> usize {
        self.cache.as_ref().map_or(0, |cache| cache.len())
    }
}

impl TokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        // An oversized token is refused by the full check before anything is decoded; do
        // not spend a hash on it.
        let Some(cache) = self
            .cache
            .as_ref()
            .filter(|_| token.len() <= MAX_TOKEN_BYTES)
        else {
            return self.verify_uncached(token).await;
        };
        let key = TokenKey::of(token);
        if let Some(claims) = cache.get(&key, unix_now()) {
            self.cache_lookups.hit.increment(1);
            return Ok(claims);
        }
        self.cache_lookups.miss.increment(1);
        // Read before the keys are: if they change meanwhile, this result is not kept.
        let generation = cache.generation();
        let claims = self.verify_uncached(token).await?;
        cache.insert(key, &claims, unix_now(), generation);
        Ok(claims)
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
            .field("token_cache", &self.cache.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests;
