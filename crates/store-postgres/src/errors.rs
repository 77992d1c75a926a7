//! The repository's errors, and the one place where pool and driver errors become the
//! port's [`TaskError`]s and failed connection attempts become readable lines.

use std::error::Error;
use std::path::PathBuf;
use std::time::Duration;

use diesel::ConnectionError;
use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel_async::pooled_connection::deadpool::PoolError;
use tasks_ports::TaskError;

use crate::metrics::ErrorKind;
use crate::tls;

/// Why a [`PostgresTaskRepository`](crate::PostgresTaskRepository) could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the database URL is not a valid PostgreSQL URL")]
    InvalidUrl(#[source] tokio_postgres::Error),
    #[error("the database URL names no host")]
    MissingHost,
    #[error("sslmode must be disable, prefer, require, verify-ca or verify-full, not {0:?}")]
    InvalidSslMode(String),
    #[error("cannot use the sslrootcert file {}: {reason}", path.display())]
    RootCertificateFile { path: PathBuf, reason: String },
    #[error("sslrootcert=system, but the system's trust store has no usable certificate: {0}")]
    NoSystemRootCertificates(String),
}

/// The client-side deadline of a statement passed.
#[derive(Debug, thiserror::Error)]
#[error("the database did not answer within {0:?}")]
pub(crate) struct StatementTimedOut(pub(crate) Duration);

/// Why a connection to `hosts` could not be opened, in one line: a certificate that failed
/// verification says so, other failures come with their causes (tokio-postgres's own
/// message names only the kind of failure, such as "error connecting to server").
pub(crate) fn from_connect(error: &tokio_postgres::Error, hosts: &str) -> ConnectionError {
    let message = match tls::certificate_error(error) {
        Some(problem) => format!(
            "TLS certificate verification failed for host {hosts}: {}",
            tls::explain(problem)
        ),
        None => with_causes(error),
    };
    ConnectionError::BadConnection(message)
}

fn with_causes(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        message = format!("{message}: {next}");
        cause = next.source();
    }
    message
}

/// No connection could be had: the database is down, unreachable or too slow, or every
/// connection stayed busy past the pool's wait timeout.
pub(crate) fn from_pool(error: PoolError) -> TaskError {
    if let Some(kind) = ErrorKind::of_pool_error(&error) {
        kind.count();
    }
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
    match error {
        QueryError::NotFound => TaskError::NotFound,
        // The connection broke under the statement (diesel-async reports every driver
        // error without an SQLSTATE, such as a closed socket, as `UnableToSendCommand`).
        QueryError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => {
            ErrorKind::ConnectionLost.count();
            TaskError::unavailable(error)
        }
        _ => {
            ErrorKind::Query.count();
            TaskError::unexpected(error)
        }
    }
}

/// An error from the server whose SQLSTATE diesel-async does not classify: among them the
/// FATAL ones that end the session, such as 57P01 (shutdown, restart, termination).
pub(crate) fn is_unclassified(error: &QueryError) -> bool {
    matches!(
        error,
        QueryError::DatabaseError(DatabaseErrorKind::Unknown, _)
    )
}
