//! The connection pools: one writer, so that writers queue in order here instead of polling
//! for SQLite's write lock, and a few readers, which WAL lets run beside it.

use deadpool::Runtime;
use diesel::ConnectionError;
use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;

use crate::connection::{self, BUSY_TIMEOUT, Role};

/// A SQLite connection whose calls run on Tokio's blocking threads.
pub(crate) type AsyncSqliteConnection = SyncConnectionWrapper<SqliteConnection>;

pub(crate) type SqlitePool = Pool<AsyncSqliteConnection>;

/// Reads are short and local: a few connections keep them from queueing behind one another.
pub(crate) const READERS: usize = 4;

/// A pool of at most `max_size` connections to `database` for `role`. Waiting for a free
/// connection, or for a new one to open, is bounded like a lock wait.
pub(crate) fn build(database: &str, role: Role, max_size: usize) -> SqlitePool {
    let mut config = ManagerConfig::default();
    // A local file does not drop connections the way a server does: no check query needed.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |database| {
        let database = database.to_owned();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || connection::open(&database, role))
                .await
                .map_err(|error| ConnectionError::BadConnection(error.to_string()))?
                .map(SyncConnectionWrapper::new)
        })
    });
    let manager = AsyncDieselConnectionManager::new_with_config(database, config);
    Pool::builder(manager)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(BUSY_TIMEOUT))
        .create_timeout(Some(BUSY_TIMEOUT))
        .build()
        .expect("the builder has a runtime, which is all that build() checks")
}
