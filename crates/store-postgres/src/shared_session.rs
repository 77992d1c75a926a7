//! One session that every read shares. tokio-postgres writes the statements of concurrent
//! callers back to back and reads their answers in order, so a busy worker sends and
//! receives many statements per system call instead of one, and PostgreSQL serves them from
//! one backend process instead of waking one per pooled connection.

use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Instant;

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use tasks_ports::TaskError;
use tokio::sync::Mutex;

use crate::connection::ConnectionRecipe;

/// The shared session, opened on first use and replaced after it is lost.
///
/// Its I/O runs on the runtime that opened it, like a pooled connection's.
pub(crate) struct SharedSession {
    recipe: Arc<ConnectionRecipe>,
    open: std::sync::Mutex<Option<Arc<AsyncPgConnection>>>,
    /// Held while opening, one attempt at a time. It keeps the last failed attempt: callers
    /// that were already waiting fail with it, rather than each waiting out a connect
    /// timeout in turn.
    opening: Mutex<Option<(Instant, Arc<ConnectionError>)>>,
}

impl SharedSession {
    pub(crate) fn new(recipe: Arc<ConnectionRecipe>) -> Self {
        Self {
            recipe,
            open: std::sync::Mutex::default(),
            opening: Mutex::default(),
        }
    }

    /// The open session, opening it when there is none.
    pub(crate) async fn get(&self) -> Result<Arc<AsyncPgConnection>, TaskError> {
        let asked_at = Instant::now();
        if let Some(session) = self.current() {
            return Ok(session);
        }
        let mut last_failure = self.opening.lock().await;
        if let Some(session) = self.current() {
            return Ok(session);
        }
        if let Some((failed_at, error)) = &*last_failure
            && *failed_at >= asked_at
        {
            return Err(TaskError::unavailable(Arc::clone(error)));
        }
        match self.recipe.establish().await {
            Ok(session) => {
                let session = Arc::new(session);
                *self.slot() = Some(Arc::clone(&session));
                *last_failure = None;
                Ok(session)
            }
            Err(error) => {
                let error = Arc::new(error);
                *last_failure = Some((Instant::now(), Arc::clone(&error)));
                Err(TaskError::unavailable(error))
            }
        }
    }

    /// Stops handing out `session` (broken, or still busy with an abandoned statement), so
    /// that the next caller opens a new one. Statements already sent on it finish or fail
    /// on their own; it closes when the last of them lets go.
    pub(crate) fn discard(&self, session: &Arc<AsyncPgConnection>) {
        let mut open = self.slot();
        if open
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, session))
        {
            *open = None;
        }
    }

    /// Whether a session is open (and not discarded).
    pub(crate) fn is_open(&self) -> bool {
        self.slot().is_some()
    }

    fn current(&self) -> Option<Arc<AsyncPgConnection>> {
        self.slot().clone()
    }

    fn slot(&self) -> MutexGuard<'_, Option<Arc<AsyncPgConnection>>> {
        // Nothing panics while holding it, and the slot is valid whatever happened.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
