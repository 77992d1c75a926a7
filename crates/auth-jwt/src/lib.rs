//! Bearer-token verification for Better Auth JWTs, behind the `TokenVerifier` port.
//!
//! [`JwtVerifier`] checks HS256/HS384/HS512 tokens against the shared `BETTER_AUTH_SECRET`
//! and asymmetric ones (EdDSA, ES256/384/512, RS256/384/512, PS256/384/512) against keys
//! fetched from a JWKS URL, then applies the same claim rules to both (contract §1).
//! Verified tokens are kept in a bounded cache keyed by their SHA-256 digest
//! ([`TokenCacheSettings`]), emptied whenever the JWKS key set changes. What it does is
//! reported through the `metrics` facade (see [`metrics`]).

mod algorithm;
mod claims;
mod error;
mod header;
mod hmac;
mod json;
mod jwks;
mod jws;
pub mod metrics;
mod settings;
#[cfg(test)]
mod test_support;
mod token_cache;
mod verifier;

pub use error::SetupError;
pub use settings::{DEFAULT_JWKS_FETCH_TIMEOUT, DEFAULT_LEEWAY, SharedSecret, VerifierSettings};
pub use token_cache::TokenCacheSettings;
pub use verifier::JwtVerifier;
