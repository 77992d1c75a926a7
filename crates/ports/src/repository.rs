use std::future::Future;

use tasks_domain::{
    IdempotentRequest, ListQuery, NewTask, Precondition, Task, TaskId, TaskPage, TaskPatch, UserId,
};

use crate::TaskError;

/// A create's outcome: the task, and whether it is the stored outcome of an earlier request
/// with the same idempotency key rather than a new task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub task: Task,
    pub replayed: bool,
}

/// Where tasks are kept. Every method acts only on `owner`'s rows: another user's task is
/// indistinguishable from a missing one.
///
/// Implementations must return [`TaskError::NotFound`] when no task `id` belongs to `owner`
/// (whatever the precondition), [`TaskError::Unavailable`] when the store cannot be reached
/// or does not answer within its time bounds (never hanging), and [`TaskError::Unexpected`]
/// for anything else, without passing driver details or SQL up as messages meant for users.
///
/// Every write sets the task's [`Version`](tasks_domain::Version) (1 on create, one more on
/// each change). A write with a [`Precondition`] is applied only if it admits the version
/// the task has when the write is applied, decided in the same atomic step; otherwise
/// nothing changes and the method returns [`TaskError::PreconditionFailed`] with the
/// current version.
///
/// Stores that announce changes do so only for committed writes, in commit order per task.
pub trait TaskRepository: Send + Sync + 'static {
    /// The page that `query` asks for and how many tasks match in all.
    fn list(
        &self,
        owner: &UserId,
        query: &ListQuery,
    ) -> impl Future<Output = Result<TaskPage, TaskError>> + Send;

    /// Stores a new task; the store assigns the id and both timestamps.
    fn create(
        &self,
        owner: &UserId,
        task: &NewTask,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

    /// Creates the task once per `request.key` of `owner`: the first call creates it and
    /// keeps the task as created with the key, in the same transaction, for at least
    /// [`IDEMPOTENCY_KEY_LIFETIME`](tasks_domain::IDEMPOTENCY_KEY_LIFETIME). A later call
    /// with the same key returns that task as it was created, `replayed`, when its
    /// fingerprint is the same, and [`TaskError::IdempotencyKeyReused`] when it is not;
    /// while the first call has not committed, [`TaskError::IdempotencyKeyInFlight`] (or
    /// the replay, for a store that makes the repeat wait). An expired key counts as new.
    fn create_idempotent(
        &self,
        owner: &UserId,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> impl Future<Output = Result<Created, TaskError>> + Send;

    fn get(
        &self,
        owner: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

    /// Applies the patch and moves `updated_at`.
    fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

    /// Removes the task and returns it as it was.
    fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

    /// Flips `completed` atomically: concurrent toggles never lose one another.
    fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

    /// Deletes the idempotency keys past their lifetime, through an index (never a scan of
    /// every key); returns how many went.
    fn purge_expired_keys(&self) -> impl Future<Output = Result<u64, TaskError>> + Send;

    /// Whether the store answers now.
    fn ping(&self) -> impl Future<Output = Result<(), TaskError>> + Send;
}

/// A shared store is a store: lets a caller keep a handle on the one it hands over.
impl<R: TaskRepository> TaskRepository for std::sync::Arc<R> {
    fn list(
        &self,
        owner: &UserId,
        query: &ListQuery,
    ) -> impl Future<Output = Result<TaskPage, TaskError>> + Send {
        (**self).list(owner, query)
    }

    fn create(
        &self,
        owner: &UserId,
        task: &NewTask,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).create(owner, task)
    }

    fn create_idempotent(
        &self,
        owner: &UserId,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> impl Future<Output = Result<Created, TaskError>> + Send {
        (**self).create_idempotent(owner, task, request)
    }

    fn get(
        &self,
        owner: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).get(owner, id)
    }

    fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).update(owner, id, patch, precondition)
    }

    fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).delete(owner, id, precondition)
    }

    fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).toggle_completed(owner, id, precondition)
    }

    fn purge_expired_keys(&self) -> impl Future<Output = Result<u64, TaskError>> + Send {
        (**self).purge_expired_keys()
    }

    fn ping(&self) -> impl Future<Output = Result<(), TaskError>> + Send {
        (**self).ping()
    }
}
