//! How one connection is opened and prepared. Every connection, pooled or not, comes from
//! here, so each gets the same pragmas and SQL functions.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError, ConnectionResult};

use crate::{migrations, sql_functions};

/// Longest a statement waits for another connection's lock before failing with
/// `SQLITE_BUSY`.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What a connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The one connection that writes to a database file.
    Writer,
    /// Reads a database file; `query_only`, so it never competes for the write lock.
    Reader,
    /// The one connection of a private in-memory database, which it migrates on opening
    /// (the database is born empty with the connection and dies with it).
    InMemory,
}

/// Opens `database` (a path, or `:memory:`) and prepares the connection for `role`.
/// Blocking: it touches the file system.
pub(crate) fn open(database: &str, role: Role) -> ConnectionResult<SqliteConnection> {
    let mut connection = SqliteConnection::establish(database)?;
    connection
        .batch_execute(&pragmas(role))
        .and_then(|()| sql_functions::register(&mut connection))
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    if role == Role::InMemory {
        migrations::run(&mut connection)
            .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
    }
    Ok(connection)
}

/// `busy_timeout` comes first, so that switching to WAL waits for other connections too.
/// WAL lets readers and the writer work at the same time; with it, `synchronous = NORMAL`
/// never corrupts the database, and a power cut can lose only the last commits.
fn pragmas(role: Role) -> String {
    let mut pragmas = format!(
        "PRAGMA busy_timeout = {};
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
        BUSY_TIMEOUT.as_millis()
    );
    if role == Role::Reader {
        pragmas.push_str("PRAGMA query_only = ON;");
    }
    pragmas
}
