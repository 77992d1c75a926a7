//! The repository's errors, and the one place where pool and driver errors become the
//! port's [`TaskError`]s and failed connection attempts become readable lines.

use std::error::Error;
use std::path::PathBuf;
use std::time::Duration;

use diesel::ConnectionError;
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as QueryError};
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
    #[error("pgbouncer must be true or false, not {0:?}")]
    InvalidPoolerFlag(String),
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

/// A failed statement as the port's error: unexpected (a bug, 500) when the statement
/// itself is at fault, unavailable (503) when the database, or a pooler in front of it, could
/// not run it now. A connection whose statement failed as unavailable is not reused.
pub(crate) fn from_query(error: QueryError) -> TaskError {
    match &error {
        QueryError::NotFound => TaskError::NotFound,
        QueryError::DatabaseError(kind, information) if is_outage(*kind, information.as_ref()) => {
            match kind {
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    ErrorKind::ConnectionLost.count()
                }
                _ => ErrorKind::Unavailable.count(),
            }
            TaskError::unavailable(error)
        }
        _ => {
            ErrorKind::Query.count();
            TaskError::unexpected(error)
        }
    }
}

/// Whether the server itself answered `error` to a statement, which ends its transaction
/// without committing it; a broken connection (or a driver error) leaves that unknown.
pub(crate) fn refused_by_server(error: &QueryError) -> bool {
    matches!(
        error,
        QueryError::DatabaseError(kind, _)
            if !matches!(
                kind,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
            )
    )
}

fn is_outage(kind: DatabaseErrorKind, information: &dyn DatabaseErrorInformation) -> bool {
    match kind {
        // The connection broke under the statement (diesel-async reports every driver
        // error without an SQLSTATE, such as a closed socket, as `UnableToSendCommand`).
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => true,
        // Contention, or a server that cannot write now (a standby, a failover under way).
        DatabaseErrorKind::SerializationFailure | DatabaseErrorKind::ReadOnlyTransaction => true,
        // diesel-async keeps no SQLSTATE for the rest. The server places in the statement's
        // text every error that the text causes (an unknown column or table, a type
        // mismatch); one it cannot place came from running the statement: cancelled (by a
        // timeout or an operator), ended by a shutdown, a deadlock, exhausted resources, or
        // a prepared statement that the server session behind a pooler does not have.
        DatabaseErrorKind::Unknown => information.statement_position().is_none(),
        // Integrity violations: the statement's own.
        _ => false,
    }
}
