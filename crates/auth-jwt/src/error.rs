use crate::settings::MIN_SECRET_BYTES;

/// Why a [`JwtVerifier`](crate::JwtVerifier) could not be built; each message names the
/// setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "no token verification configured: set BETTER_AUTH_SECRET (shared secret) and/or \
         BETTER_AUTH_URL or JWKS_URL (JWKS)"
    )]
    NothingConfigured,
    #[error(
        "BETTER_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {length}); \
         generate one with: openssl rand -base64 32"
    )]
    SecretTooShort { length: usize },
    #[error("JWKS URL {url:?} is not a valid http(s) URL")]
    InvalidJwksUrl { url: String },
    #[error(
        "JWKS URL {url:?} is plain http:// to a host other than loopback, so anyone on the \
         way could swap the keys: use https://, or set APP__AUTH__ALLOW_PLAIN_HTTP_JWKS=true \
         when the network between the two is private"
    )]
    PlainHttpJwks { url: String },
    #[error("the expected {claim} must not be empty; leave it unset to turn the check off")]
    EmptyExpectedClaim { claim: &'static str },
    #[error("could not build the HTTP client for the JWKS")]
    HttpClient(#[source] reqwest::Error),
    #[error("the JWKS verifier must be created inside a Tokio runtime")]
    NoRuntime,
}
