use std::error::Error;

use tasks_domain::Version;

type Source = Box<dyn Error + Send + Sync>;

/// What can go wrong in a task use case once the caller is authorized.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No task with that id belongs to the owner (it may belong to someone else).
    #[error("task not found")]
    NotFound,
    /// The write's precondition did not admit the task's current version; nothing changed.
    #[error("precondition failed: the task is at version {current}")]
    PreconditionFailed { current: Version },
    /// The idempotency key was first used with a request of other content.
    #[error("idempotency key reused for a different request")]
    IdempotencyKeyReused,
    /// The first request with this idempotency key is still being processed.
    #[error("a request with this idempotency key is in progress")]
    IdempotencyKeyInFlight,
    /// The store could not answer in time; the same request may succeed later.
    #[error("task store unavailable")]
    Unavailable(#[source] Source),
    /// A bug or a broken invariant; details are for the logs only.
    #[error("unexpected task store error")]
    Unexpected(#[source] Source),
}

impl TaskError {
    pub fn unavailable(source: impl Into<Source>) -> Self {
        Self::Unavailable(source.into())
    }

    pub fn unexpected(source: impl Into<Source>) -> Self {
        Self::Unexpected(source.into())
    }
}
