//! What the store reports through the `metrics` facade: its connections by state, the
//! waits for a pooled one, its errors and timeouts by kind, and the change listener's
//! reconnects.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use deadpool::managed::WeakPool;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use metrics::{Histogram, Unit, describe_counter, describe_gauge, describe_histogram};

use crate::shared_session::SharedSession;

const CONNECTIONS: &str = "tasks_db_connections";
const MAX_CONNECTIONS: &str = "tasks_db_max_connections";
const POOL_WAITING: &str = "tasks_db_pool_waiting";
const POOL_WAIT: &str = "tasks_db_pool_wait_seconds";
const ERRORS: &str = "tasks_db_errors_total";
const LISTENER_RECONNECTS: &str = "tasks_db_listener_reconnects_total";
/// Its buckets are set where the recorder is built.
pub const WRITE_BATCH_SIZE: &str = "tasks_db_write_batch_size";

/// Registers the help text of the store's metrics with the installed recorder.
pub fn describe() {
    describe_gauge!(
        CONNECTIONS,
        "Open database connections by state: idle or in_use in the pools (writes), \
         shared_read for the sessions that reads share."
    );
    describe_gauge!(
        MAX_CONNECTIONS,
        "The database.max_connections setting: the most connections open at once."
    );
    describe_gauge!(
        POOL_WAITING,
        "Calls waiting for a pooled connection right now."
    );
    describe_histogram!(
        POOL_WAIT,
        Unit::Seconds,
        "Time to get a pooled connection, or to give up waiting for one."
    );
    describe_counter!(
        ERRORS,
        "Database errors by kind: pool_wait_timeout, connect_timeout, connect_failed, \
         statement_timeout, connection_lost, query, pool_closed, unexpected."
    );
    describe_histogram!(
        WRITE_BATCH_SIZE,
        "Writes per batch: the writes that waited while the previous batch committed, \
         sent together as one transaction (1: a write alone)."
    );
    describe_counter!(
        LISTENER_RECONNECTS,
        "Times the change listener listened again after its session was lost or could not \
         be opened; each time, every open event stream was told to re-read."
    );
}

/// Counts one return of the change listener after changes may have gone unannounced.
pub(crate) fn count_listener_reconnect() {
    metrics::counter!(LISTENER_RECONNECTS).increment(1);
}

/// A failure worth counting; `NotFound` is an answer, not one of these.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ErrorKind {
    /// Every pooled connection stayed busy past the pool's wait timeout.
    PoolWaitTimeout,
    /// A new connection took longer than the connect timeout.
    ConnectTimeout,
    /// A new connection was refused or failed (DNS, TCP, TLS, authentication).
    ConnectFailed,
    /// A statement ran past the statement timeout.
    StatementTimeout,
    /// The session broke under a statement.
    ConnectionLost,
    /// The server could not run a statement now: cancelled, shutting down, a deadlock,
    /// out of resources, or a pooler's server session without the prepared statement.
    Unavailable,
    /// The server refused a statement.
    Query,
    /// The pool was closed.
    PoolClosed,
    /// A pool misconfiguration, a bug.
    Unexpected,
}

impl ErrorKind {
    fn label(self) -> &'static str {
        match self {
            Self::PoolWaitTimeout => "pool_wait_timeout",
            Self::ConnectTimeout => "connect_timeout",
            Self::ConnectFailed => "connect_failed",
            Self::StatementTimeout => "statement_timeout",
            Self::ConnectionLost => "connection_lost",
            Self::Unavailable => "unavailable",
            Self::Query => "query",
            Self::PoolClosed => "pool_closed",
            Self::Unexpected => "unexpected",
        }
    }

    /// The kind of a pool error; `None` for a failed connection attempt, which the
    /// attempt itself counted.
    pub(crate) fn of_pool_error(error: &PoolError) -> Option<Self> {
        use deadpool::managed::TimeoutType;
        match error {
            PoolError::Timeout(TimeoutType::Wait) => Some(Self::PoolWaitTimeout),
            // The pool's create timeout is the connect timeout.
            PoolError::Timeout(TimeoutType::Create) => Some(Self::ConnectTimeout),
            PoolError::Backend(_) => None,
            PoolError::Closed => Some(Self::PoolClosed),
            PoolError::Timeout(TimeoutType::Recycle)
            | PoolError::NoRuntimeSpecified
            | PoolError::PostCreateHook(_) => Some(Self::Unexpected),
        }
    }

    /// Counts one error of this kind. Errors are rare: the series is looked up each time.
    pub(crate) fn count(self) {
        metrics::counter!(ERRORS, "kind" => self.label()).increment(1);
    }
}

/// The histogram of pool waits, registered once per repository.
pub(crate) fn pool_wait_histogram() -> Histogram {
    metrics::histogram!(POOL_WAIT)
}

/// The histogram of write batch sizes, registered once per repository.
pub(crate) fn write_batch_histogram() -> Histogram {
    metrics::histogram!(WRITE_BATCH_SIZE)
}

type ConnectionManager = AsyncDieselConnectionManager<AsyncPgConnection>;

/// Every pool and shared read session of one repository and of those made from it by
/// `with_own_connections`, so that a scrape can add up their state.
#[derive(Clone)]
pub struct ConnectionGauges {
    members: Arc<Mutex<Vec<Member>>>,
    max_connections: usize,
}

struct Member {
    pool: WeakPool<ConnectionManager>,
    reads: Option<Weak<SharedSession>>,
}

impl ConnectionGauges {
    pub(crate) fn new(max_connections: usize) -> Self {
        Self {
            members: Arc::default(),
            max_connections,
        }
    }

    pub(crate) fn enrol(&self, pool: &Pool<AsyncPgConnection>, reads: Option<&Arc<SharedSession>>) {
        self.members().push(Member {
            pool: pool.weak(),
            reads: reads.map(Arc::downgrade),
        });
    }

    /// Sets the connection gauges from the current state of every pool and read session
    /// still in use; forgets those that are gone.
    pub fn record(&self) {
        let (mut idle, mut in_use, mut waiting, mut shared_read) = (0, 0, 0, 0);
        self.members().retain(|member| {
            let Some(pool) = member.pool.upgrade() else {
                return false;
            };
            let status = pool.status();
            idle += status.available;
            in_use += status.size.saturating_sub(status.available);
            waiting += status.waiting;
            let reads = member.reads.as_ref().and_then(Weak::upgrade);
            shared_read += usize::from(reads.is_some_and(|reads| reads.is_open()));
            true
        });
        for (state, count) in [
            ("idle", idle),
            ("in_use", in_use),
            ("shared_read", shared_read),
        ] {
            metrics::gauge!(CONNECTIONS, "state" => state).set(count as f64);
        }
        metrics::gauge!(POOL_WAITING).set(waiting as f64);
        metrics::gauge!(MAX_CONNECTIONS).set(self.max_connections as f64);
    }

    fn members(&self) -> std::sync::MutexGuard<'_, Vec<Member>> {
        // Each member is pushed or dropped whole: a poisoned list is still consistent.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
