use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, de};

/// How to reach the database and how long any call may take: the `[database]` settings
/// section (its other keys belong to the binary).
#[derive(Debug, Clone, Deserialize)]
pub struct PostgresSettings {
    /// A `postgres://` URL. Its `sslmode` (`prefer` when absent, as in libpq) and
    /// `sslrootcert` choose TLS and how the server's certificate is verified; see the
    /// crate documentation. It may hold a password, so `Debug` never prints it.
    pub url: SecretString,
    /// Most connections open at once, the shared read session included; at least 1.
    #[serde(deserialize_with = "at_least_one")]
    pub max_connections: usize,
    /// Whether reads share one session, over which concurrent requests' statements are
    /// pipelined, leaving the rest of `max_connections` to writes (when it is at least 2).
    /// Not through a transaction pooler.
    pub pipeline_reads: bool,
    /// Whether writes that arrive while a batch of them commits go together as the next
    /// batch: one transaction, one commit (see the crate's `write_batch` module).
    pub coalesce_writes: bool,
    /// Whether `url` goes through a transaction-mode pooler such as PgBouncer without
    /// prepared-statement support (also on with `pgbouncer=true` in the URL): each statement
    /// then runs in a transaction of its own, prepared in it, with its statement timeout set
    /// for that transaction only; no session setting is made.
    pub transaction_pooler: bool,
    /// Longest wait for a free pooled connection.
    #[serde(rename = "pool_wait_timeout_secs", deserialize_with = "seconds")]
    pub pool_wait_timeout: Duration,
    /// Longest time to open a new connection, TCP and authentication included.
    #[serde(rename = "connect_timeout_secs", deserialize_with = "seconds")]
    pub connect_timeout: Duration,
    /// Longest time one statement may take.
    #[serde(rename = "statement_timeout_secs", deserialize_with = "seconds")]
    pub statement_timeout: Duration,
}

impl PostgresSettings {
    pub const DEFAULT_MAX_CONNECTIONS: usize = 10;
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Settings for `url` with the default pool size and timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: SecretString::from(url.into()),
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            pipeline_reads: true,
            coalesce_writes: true,
            transaction_pooler: false,
            pool_wait_timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Self::DEFAULT_TIMEOUT,
            statement_timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

fn at_least_one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    match usize::deserialize(deserializer)? {
        0 => Err(de::Error::custom(
            "database.max_connections must be at least 1",
        )),
        count => Ok(count),
    }
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_secs)
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
