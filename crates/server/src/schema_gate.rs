//! Keeps a repository unavailable until startup's migrations have run, so a service that
//! boots while its database is down answers 503 (and `/ready` says so) instead of exiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tasks_domain::{
    IdempotentRequest, ListQuery, NewTask, Precondition, Task, TaskId, TaskPage, TaskPatch, UserId,
};
use tasks_ports::{Created, TaskError, TaskRepository};

/// Whether the schema is known to be current; shared by every worker's repository.
#[derive(Clone, Debug, Default)]
pub struct SchemaReady(Arc<AtomicBool>);

impl SchemaReady {
    pub fn already() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }

    pub fn mark(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn check(&self) -> Result<(), TaskError> {
        if self.0.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(TaskError::unavailable("the database is not migrated yet"))
        }
    }
}

/// `inner`, answering [`TaskError::Unavailable`] until `ready` is marked.
#[derive(Clone, Debug)]
pub struct UntilMigrated<R> {
    inner: R,
    ready: SchemaReady,
}

impl<R> UntilMigrated<R> {
    pub fn new(inner: R, ready: SchemaReady) -> Self {
        Self { inner, ready }
    }
}

impl<R: TaskRepository> TaskRepository for UntilMigrated<R> {
    async fn list(&self, owner: &UserId, query: &ListQuery) -> Result<TaskPage, TaskError> {
        self.ready.check()?;
        self.inner.list(owner, query).await
    }

    async fn create(&self, owner: &UserId, task: &NewTask) -> Result<Task, TaskError> {
        self.ready.check()?;
        self.inner.create(owner, task).await
    }

    async fn create_idempotent(
        &self,
        owner: &UserId,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> Result<Created, TaskError> {
        self.ready.check()?;
        self.inner.create_idempotent(owner, task, request).await
    }

    async fn get(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        self.ready.check()?;
        self.inner.get(owner, id).await
    }

    async fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        self.ready.check()?;
        self.inner.update(owner, id, patch, precondition).await
    }

    async fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        self.ready.check()?;
        self.inner.delete(owner, id, precondition).await
    }

    async fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        self.ready.check()?;
        self.inner.toggle_completed(owner, id, precondition).await
    }

    async fn purge_expired_keys(&self) -> Result<u64, TaskError> {
        self.ready.check()?;
        self.inner.purge_expired_keys().await
    }

    async fn ping(&self) -> Result<(), TaskError> {
        self.ready.check()?;
        self.inner.ping().await
    }
}

#[cfg(test)]
mod tests {
    use tasks_ports::in_memory::InMemoryTaskRepository;

    use super::*;

    #[tokio::test]
    async fn answers_unavailable_until_marked() {
        let ready = SchemaReady::default();
        let repository = UntilMigrated::new(InMemoryTaskRepository::default(), ready.clone());
        assert!(matches!(
            repository.ping().await,
            Err(TaskError::Unavailable(_))
        ));
        ready.mark();
        repository.ping().await.unwrap();
    }
}
