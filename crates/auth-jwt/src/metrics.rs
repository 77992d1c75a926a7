//! What token verification reports through the `metrics` facade: JWKS fetches by outcome,
//! the keys loaded, and the verified-token cache's hits and misses.

use metrics::{Counter, describe_counter, describe_gauge};

use crate::jwks::{FetchError, FetchedKeys};

const JWKS_FETCHES: &str = "tasks_jwks_fetches_total";
const JWKS_KEYS: &str = "tasks_jwks_keys";
const TOKEN_CACHE_LOOKUPS: &str = "tasks_token_cache_lookups_total";

/// Registers the help text of these metrics with the installed recorder.
pub fn describe() {
    describe_counter!(
        JWKS_FETCHES,
        "JWKS fetches by outcome: ok, request_failed, bad_status, too_large or not_jwks."
    );
    describe_gauge!(
        JWKS_KEYS,
        "Usable keys in the last JWKS fetched successfully."
    );
    describe_counter!(
        TOKEN_CACHE_LOOKUPS,
        "Verified-token cache lookups by result: hit (no signature check) or miss."
    );
}

/// Counts one fetch; after a successful one, sets the keys loaded.
pub(crate) fn record_fetch(outcome: &Result<FetchedKeys, FetchError>) {
    let outcome = match outcome {
        Ok(fetched) => {
            metrics::gauge!(JWKS_KEYS).set(fetched.keys.len() as f64);
            "ok"
        }
        Err(FetchError::Request(_)) => "request_failed",
        Err(FetchError::Status(_)) => "bad_status",
        Err(FetchError::TooLarge) => "too_large",
        Err(FetchError::NotJwks(_)) => "not_jwks",
    };
    metrics::counter!(JWKS_FETCHES, "outcome" => outcome).increment(1);
}

/// The token cache's hit and miss counters, registered once: counting is then an atomic
/// increment on the request path.
pub(crate) struct CacheLookups {
    pub(crate) hit: Counter,
    pub(crate) miss: Counter,
}

impl CacheLookups {
    pub(crate) fn register() -> Self {
        Self {
            hit: metrics::counter!(TOKEN_CACHE_LOOKUPS, "result" => "hit"),
            miss: metrics::counter!(TOKEN_CACHE_LOOKUPS, "result" => "miss"),
        }
    }
}

#[cfg(test)]
mod tests;
