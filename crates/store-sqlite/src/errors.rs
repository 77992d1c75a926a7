//! The repository's errors, and the one place where pool and driver errors become the
//! port's [`TaskError`]s.

use std::error::Error;
use std::io;
use std::path::PathBuf;

use diesel::ConnectionError;
use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel_async::pooled_connection::deadpool::PoolError;
use tasks_ports::TaskError;

/// Why a [`SqliteTaskRepository`](crate::SqliteTaskRepository) could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the database path {} is not valid UTF-8", .0.display())]
    NonUtf8Path(PathBuf),
    #[error("cannot create the database directory {}", .path.display())]
    CreateDirectory {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot open the database")]
    Open(#[source] ConnectionError),
    #[error("a migration failed")]
    Migrate(#[source] Box<dyn Error + Send + Sync>),
}

/// No connection could be had: every connection stayed busy past the pool's wait timeout,
/// or the database file could not be opened.
pub(crate) fn from_pool(error: PoolError) -> TaskError {
    match error {
        PoolError::Timeout(_) | PoolError::Backend(_) | PoolError::Closed => {
            TaskError::unavailable(error)
        }
        PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_) => {
            TaskError::unexpected(error)
        }
    }
}

pub(crate) fn from_query(error: QueryError) -> TaskError {
    match &error {
        QueryError::NotFound => TaskError::NotFound,
        QueryError::DatabaseError(DatabaseErrorKind::Unknown, information)
            if is_busy(information.message()) =>
        {
            TaskError::unavailable(error)
        }
        _ => TaskError::unexpected(error),
    }
}

/// Whether SQLite gave up waiting for another connection's lock (`SQLITE_BUSY`, after the
/// busy timeout). Diesel keeps only the message of such errors, which is SQLite's fixed
/// text for the code.
fn is_busy(message: &str) -> bool {
    message.starts_with("database is locked")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> QueryError {
        QueryError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn busy_is_unavailable() {
        let busy = database_error(DatabaseErrorKind::Unknown, "database is locked");
        assert!(matches!(from_query(busy), TaskError::Unavailable(_)));
    }

    #[test]
    fn not_found_and_the_rest() {
        assert!(matches!(
            from_query(QueryError::NotFound),
            TaskError::NotFound
        ));
        let check = database_error(DatabaseErrorKind::CheckViolation, "CHECK constraint failed");
        assert!(matches!(from_query(check), TaskError::Unexpected(_)));
        let other = database_error(DatabaseErrorKind::Unknown, "disk I/O error");
        assert!(matches!(from_query(other), TaskError::Unexpected(_)));
    }
}
