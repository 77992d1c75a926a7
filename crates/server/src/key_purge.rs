//! Forgets idempotency keys past their lifetime, in the background: the request path never
//! scans for them.

use std::time::Duration;

use tasks_ports::{TaskRepository, TaskService};

/// How often expired keys are deleted. Keys live 24 hours, so a key outlives its lifetime
/// by at most this much.
const PURGE_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Purges now and then every [`PURGE_INTERVAL`], for as long as the runtime runs, each
/// time through a service that `open` makes and the purge drops: a store that opens
/// connections for it holds none between purges.
pub fn spawn_key_purge<R, Open>(open: Open)
where
    R: TaskRepository,
    Open: Fn() -> TaskService<R> + Send + 'static,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PURGE_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match open().purge_expired_keys().await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired idempotency keys deleted"),
                Err(error) => tracing::warn!(%error, "expired idempotency keys not deleted yet"),
            }
        }
    });
}
