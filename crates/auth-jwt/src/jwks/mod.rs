//! Asymmetric tokens checked against a JWKS fetched over HTTP (Better Auth's `jwt()` plugin).

mod cache;
mod fetch;
mod keys;
#[cfg(test)]
mod tests;

use std::time::Duration;

use tasks_ports::AuthError;
use tokio::runtime::Handle;

use cache::KeyCache;
pub(crate) use cache::RefreshPolicy;
use fetch::JwksFetcher;
pub(crate) use fetch::{FetchError, FetchedKeys, check_transport};
use keys::{KeySet, Selection};

use crate::error::SetupError;
use crate::jws::Jws;

/// Called by the refresher when a fetch brings a key set that differs from the last one.
pub(crate) type KeysChanged = Box<dyn Fn() + Send + Sync>;

pub(crate) struct JwksVerifier {
    cache: KeyCache,
}

impl JwksVerifier {
    /// Starts fetching in the background on the current Tokio runtime; never waits for it.
    pub(crate) fn start(
        url: &str,
        fetch_timeout: Duration,
        policy: RefreshPolicy,
        on_keys_changed: KeysChanged,
    ) -> Result<Self, SetupError> {
        let fetcher = JwksFetcher::new(url, fetch_timeout)?;
        let runtime = Handle::try_current().map_err(|_| SetupError::NoRuntime)?;
        Ok(Self {
            cache: KeyCache::start(fetcher, policy, &runtime, on_keys_changed),
        })
    }

    /// Whether a fetch has ever succeeded.
    pub(crate) fn keys_ready(&self) -> bool {
        self.cache.keys().is_some()
    }

    /// Whether a fetch is asked for or under way (for tests that count fetches).
    #[cfg(test)]
    pub(crate) fn fetch_pending(&self) -> bool {
        self.cache.fetch_pending()
    }

    pub(crate) async fn verify_signature(&self, jws: &Jws<'_>) -> Result<(), AuthError> {
        let Some(keys) = self.cache.keys() else {
            return Err(AuthError::KeysUnavailable {
                retry_after: self.cache.retry_after(),
            });
        };
        if let Some(verdict) = verify_with(&keys, jws) {
            return verdict;
        }
        self.cache
            .keys_after_refresh()
            .await
            .and_then(|keys| verify_with(&keys, jws))
            .unwrap_or(Err(AuthError::invalid("no key with the token's kid")))
    }
}

/// The verdict of the key the token designates; `None` when the set lacks it.
fn verify_with(keys: &KeySet, jws: &Jws<'_>) -> Option<Result<(), AuthError>> {
    match keys.select(jws.header.kid.as_deref()) {
        Selection::Key(key) => Some(key.verify(jws)),
        Selection::Ambiguous => Some(Err(AuthError::invalid("no kid, and several keys"))),
        Selection::Unknown => None,
    }
}
