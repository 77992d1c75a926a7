use std::fmt;
use std::time::Duration;

/// How to reach the database and how long any call may take.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresSettings {
    /// A `postgres://` URL. Its `sslmode` (`prefer` when absent, as in libpq) and
    /// `sslrootcert` choose TLS and how the server's certificate is verified; see the
    /// crate documentation. It may hold a password, so `Debug` never prints it.
    pub url: String,
    /// Most connections open at once, the shared read session included.
    pub max_connections: usize,
    /// Whether reads share one session, over which concurrent requests' statements are
    /// pipelined, leaving the rest of `max_connections` to writes (when it is at least 2).
    /// Not through a transaction pooler.
    pub pipeline_reads: bool,
    /// Whether `url` goes through a transaction-mode pooler such as PgBouncer without
    /// prepared-statement support (also on with `pgbouncer=true` in the URL): each statement
    /// then runs in a transaction of its own, prepared in it, with its statement timeout set
    /// for that transaction only; no session setting is made.
    pub transaction_pooler: bool,
    /// Longest wait for a free pooled connection.
    pub pool_wait_timeout: Duration,
    /// Longest time to open a new connection, TCP and authentication included.
    pub connect_timeout: Duration,
    /// Longest time one statement may take.
    pub statement_timeout: Duration,
}

impl PostgresSettings {
    pub const DEFAULT_MAX_CONNECTIONS: usize = 10;
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Settings for `url` with the default pool size and timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            pipeline_reads: true,
            transaction_pooler: false,
            pool_wait_timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Self::DEFAULT_TIMEOUT,
            statement_timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("url", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("pipeline_reads", &self.pipeline_reads)
            .field("transaction_pooler", &self.transaction_pooler)
            .field("pool_wait_timeout", &self.pool_wait_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_url() {
        let settings = PostgresSettings::new("postgres://app:hunter2@db.example/tasks");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("db.example"), "{printed}");
        assert!(printed.contains("statement_timeout"), "{printed}");
    }
}
