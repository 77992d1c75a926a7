//! Counts requests being served, so that a shutdown can wait for them.
//!
//! actix-server's own graceful stop races with itself: it stops the accept thread first,
//! and a worker that sees the accept thread gone exits at once, dropping the requests it
//! was still serving. So the service pauses accepting, waits here for the requests in
//! flight, and only then stops the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

/// Held while one request is served.
pub struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl InFlight {
    pub fn enter(&self) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(Arc::clone(&self.0))
    }

    /// How many requests are being served.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Waits until no request is in flight, or `limit` has passed; says which.
    pub async fn drained_within(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.0.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drained_once_every_guard_is_dropped() {
        let in_flight = InFlight::default();
        assert!(in_flight.drained_within(Duration::ZERO).await);
        let guard = in_flight.enter();
        assert!(!in_flight.drained_within(Duration::from_millis(30)).await);
        drop(guard);
        assert!(in_flight.drained_within(Duration::from_millis(30)).await);
    }
}
