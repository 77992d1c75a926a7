use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::KeysChanged;
use super::fetch::{FetchError, FetchedKeys, JwksFetcher};
use super::keys::KeySet;
use crate::metrics;

/// When the JWKS is fetched again. The defaults are the contract's; tests shorten them.
#[derive(Debug, Clone)]
pub(crate) struct RefreshPolicy {
    /// Least time between the starts of two fetches when a token's `kid` asks for one.
    pub(crate) unknown_kid_cooldown: Duration,
    /// Wait after a failed fetch before the next scheduled one.
    pub(crate) retry_after_failure: Duration,
    /// Refresh delay when the response states no `max-age`.
    pub(crate) default_max_age: Duration,
    pub(crate) min_max_age: Duration,
    pub(crate) max_max_age: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            unknown_kid_cooldown: Duration::from_secs(30),
            retry_after_failure: Duration::from_secs(30),
            default_max_age: Duration::from_secs(5 * 60),
            min_max_age: Duration::from_secs(60),
            max_max_age: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl RefreshPolicy {
    fn refresh_delay(&self, max_age: Option<Duration>) -> Duration {
        // max/min rather than clamp: clamp panics if a test policy had min > max.
        max_age
            .unwrap_or(self.default_max_age)
            .max(self.min_max_age)
            .min(self.max_max_age)
    }
}

/// The current JWKS keys, kept fresh by a background task that does every fetch, so that
/// requests needing a refresh share the one in flight.
pub(crate) struct KeyCache {
    shared: Arc<Shared>,
    refresher: JoinHandle<()>,
}

struct Shared {
    state: Mutex<State>,
    policy: RefreshPolicy,
    wake_refresher: Notify,
    /// Changes after every fetch; closed if the refresher is gone.
    fetch_finished: watch::Receiver<()>,
}

struct State {
    /// `None` until a fetch has succeeded; afterwards failures never take keys away.
    keys: Option<Arc<KeySet>>,
    fetch_requested: bool,
    fetch_in_flight: bool,
    last_fetch_started: Option<Instant>,
    next_scheduled_fetch: Instant,
}

impl KeyCache {
    /// Starts the refresher on `runtime`; its first fetch begins at once, unawaited.
    /// `on_keys_changed` runs after a fetch that brought a different key set, once the new
    /// keys are in place.
    pub(crate) fn start(
        fetcher: JwksFetcher,
        policy: RefreshPolicy,
        runtime: &Handle,
        on_keys_changed: KeysChanged,
    ) -> Self {
        let (fetch_done, fetch_finished) = watch::channel(());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                keys: None,
                fetch_requested: false,
                fetch_in_flight: false,
                last_fetch_started: None,
                next_scheduled_fetch: Instant::now(),
            }),
            policy,
            wake_refresher: Notify::new(),
            fetch_finished,
        });
        let refresher = runtime.spawn(run_refresher(
            Arc::clone(&shared),
            fetcher,
            fetch_done,
            on_keys_changed,
        ));
        Self { shared, refresher }
    }

    /// The keys of the last successful fetch; `None` if none has succeeded yet.
    pub(crate) fn keys(&self) -> Option<Arc<KeySet>> {
        self.shared.state().keys.clone()
    }

    /// How long a client should wait before trying again while there are no keys yet.
    pub(crate) fn retry_after(&self) -> Duration {
        let until_next_fetch = self
            .shared
            .state()
            .next_scheduled_fetch
            .saturating_duration_since(Instant::now());
        until_next_fetch.max(Duration::from_secs(1))
    }

    /// The keys after a refresh, for a token whose `kid` is not in them: joins the fetch in
    /// flight or starts one, unless one started within the cool-down (then the current keys
    /// at once, without waiting).
    pub(crate) async fn keys_after_refresh(&self) -> Option<Arc<KeySet>> {
        let mut fetch_finished = self.shared.fetch_finished.clone();
        // Only fetches finishing from now on count.
        fetch_finished.borrow_and_update();
        {
            let mut state = self.shared.state();
            if !state.fetch_requested && !state.fetch_in_flight {
                let cooling_down = state.last_fetch_started.is_some_and(|started| {
                    started.elapsed() < self.shared.policy.unknown_kid_cooldown
                });
                if cooling_down {
                    return state.keys.clone();
                }
                state.fetch_requested = true;
                self.shared.wake_refresher.notify_one();
            }
        }
        // An error means the refresher is gone; the current keys are all there is then.
        let _ = fetch_finished.changed().await;
        self.keys()
    }
}

impl Drop for KeyCache {
    fn drop(&mut self) {
        self.refresher.abort();
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, and each field is valid on its own:
        // recover from poisoning rather than fail every later request.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a fetch is due (scheduled or requested) and marks it started.
    async fn next_fetch(&self) {
        loop {
            // Created before reading the state, so a request made meanwhile still wakes us.
            let woken = self.wake_refresher.notified();
            let deadline = {
                let mut state = self.state();
                let now = Instant::now();
                if state.fetch_requested || now >= state.next_scheduled_fetch {
                    state.fetch_requested = false;
                    state.fetch_in_flight = true;
                    state.last_fetch_started = Some(now);
                    return;
                }
                state.next_scheduled_fetch
            };
            tokio::select! {
                () = sleep_until(deadline) => {}
                () = woken => {}
            }
        }
    }

    /// Stores the outcome of a fetch; whether it changed the key set.
    fn record(&self, outcome: Result<FetchedKeys, FetchError>) -> bool {
        metrics::record_fetch(&outcome);
        let mut state = self.state();
        state.fetch_in_flight = false;
        let mut changed = false;
        let wait = match outcome {
            Ok(fetched) => {
                tracing::debug!(keys = fetched.keys.len(), "JWKS fetched");
                changed = state.keys.as_ref().map(|keys| keys.fingerprint())
                    != Some(fetched.keys.fingerprint());
                state.keys = Some(Arc::new(fetched.keys));
                self.policy.refresh_delay(fetched.max_age)
            }
            Err(error) => {
                tracing::warn!(%error, "JWKS fetch failed; keeping the current keys");
                self.policy.retry_after_failure
            }
        };
        state.next_scheduled_fetch = Instant::now() + wait;
        changed
    }
}

async fn run_refresher(
    shared: Arc<Shared>,
    mut fetcher: JwksFetcher,
    fetch_done: watch::Sender<()>,
    on_keys_changed: KeysChanged,
) {
    loop {
        shared.next_fetch().await;
        let outcome = fetcher.fetch().await;
        if shared.record(outcome) {
            // After the new keys are stored: a verification that read the old ones either
            // inserted before this (and is cleared) or is refused by the cache.
            on_keys_changed();
        }
        fetch_done.send_replace(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_the_contract() {
        let policy = RefreshPolicy::default();
        assert_eq!(policy.unknown_kid_cooldown, Duration::from_secs(30));
        assert_eq!(policy.retry_after_failure, Duration::from_secs(30));
        assert_eq!(policy.refresh_delay(None), Duration::from_secs(300));
    }

    #[test]
    fn max_age_is_clamped_to_one_minute_through_one_day() {
        let policy = RefreshPolicy::default();
        let delay = |seconds| policy.refresh_delay(Some(Duration::from_secs(seconds)));
        assert_eq!(delay(0), Duration::from_secs(60));
        assert_eq!(delay(59), Duration::from_secs(60));
        assert_eq!(delay(3600), Duration::from_secs(3600));
        assert_eq!(delay(7 * 24 * 3600), Duration::from_secs(24 * 3600));
    }
}
