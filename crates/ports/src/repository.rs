use std::future::Future;

use tasks_domain::{ListQuery, NewTask, Task, TaskId, TaskPage, TaskPatch, UserId};

use crate::TaskError;

/// Where tasks are kept. Every method acts only on `owner`'s rows: another user's task is
/// indistinguishable from a missing one.
///
/// Implementations must return [`TaskError::NotFound`] when no task `id` belongs to `owner`,
/// [`TaskError::Unavailable`] when the store cannot be reached or does not answer within its
/// time bounds (never hanging), and [`TaskError::Unexpected`] for anything else, without
/// passing driver details or SQL up as messages meant for users.
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
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

    /// Removes the task and returns it as it was.
    fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

    /// Flips `completed` atomically: concurrent toggles never lose one another.
    fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send;

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
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).update(owner, id, patch)
    }

    fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).delete(owner, id)
    }

    fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<Task, TaskError>> + Send {
        (**self).toggle_completed(owner, id)
    }

    fn ping(&self) -> impl Future<Output = Result<(), TaskError>> + Send {
        (**self).ping()
    }
}
