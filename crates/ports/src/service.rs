use tasks_domain::{
    IdempotentRequest, ListQuery, NewTask, Precondition, Task, TaskId, TaskPage, TaskPatch,
};

use crate::{ChangeHub, Created, Owner, Subscription, TaskError, TaskRepository, TooManyStreams};

/// The task use cases. Each acts only on the [`Owner`]'s tasks.
#[derive(Debug, Clone)]
pub struct TaskService<R> {
    repository: R,
    changes: ChangeHub,
}

impl<R: TaskRepository> TaskService<R> {
    /// `changes` is the hub that `repository`'s announcements reach.
    pub fn new(repository: R, changes: ChangeHub) -> Self {
        Self {
            repository,
            changes,
        }
    }

    pub async fn list(&self, owner: &Owner, query: &ListQuery) -> Result<TaskPage, TaskError> {
        self.repository.list(owner.user_id(), query).await
    }

    pub async fn create(&self, owner: &Owner, task: &NewTask) -> Result<Task, TaskError> {
        self.repository.create(owner.user_id(), task).await
    }

    /// Creates the task once for `request`'s key: a repeat gets the first outcome.
    pub async fn create_idempotent(
        &self,
        owner: &Owner,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> Result<Created, TaskError> {
        self.repository
            .create_idempotent(owner.user_id(), task, request)
            .await
    }

    pub async fn get(&self, owner: &Owner, id: TaskId) -> Result<Task, TaskError> {
        existing(id)?;
        self.repository.get(owner.user_id(), id).await
    }

    pub async fn update(
        &self,
        owner: &Owner,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        existing(id)?;
        self.repository
            .update(owner.user_id(), id, patch, precondition)
            .await
    }

    pub async fn delete(
        &self,
        owner: &Owner,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        existing(id)?;
        self.repository
            .delete(owner.user_id(), id, precondition)
            .await
    }

    pub async fn toggle_completed(
        &self,
        owner: &Owner,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        existing(id)?;
        self.repository
            .toggle_completed(owner.user_id(), id, precondition)
            .await
    }

    pub async fn set_completed(
        &self,
        owner: &Owner,
        id: TaskId,
        completed: bool,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let patch = TaskPatch::new(None, None, Some(completed))
            .expect("a patch that sets completed is never empty");
        self.update(owner, id, &patch, precondition).await
    }

    /// Opens a live stream of the owner's committed changes.
    pub fn subscribe(&self, owner: &Owner) -> Result<Subscription, TooManyStreams> {
        self.changes.subscribe(owner.user_id())
    }

    /// Forgets the idempotency keys past their lifetime.
    pub async fn purge_expired_keys(&self) -> Result<u64, TaskError> {
        self.repository.purge_expired_keys().await
    }

    /// Whether the store answers now (for readiness checks).
    pub async fn store_ready(&self) -> Result<(), TaskError> {
        self.repository.ping().await
    }
}

/// Ids the store never assigns cannot name a task: answer without asking it.
fn existing(id: TaskId) -> Result<(), TaskError> {
    if id.can_exist() {
        Ok(())
    } else {
        Err(TaskError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use tasks_domain::{Description, Title, UserId};

    use super::*;
    use crate::Claims;
    use crate::in_memory::InMemoryTaskRepository;

    fn owner(name: &str) -> Owner {
        let claims = Claims {
            subject: UserId::parse(name).unwrap(),
            expires_at: 0,
        };
        Owner::authorize(&claims, name).unwrap()
    }

    fn new_task(title: &str) -> NewTask {
        NewTask {
            title: Title::parse(title).unwrap(),
            description: None,
            completed: false,
        }
    }

    fn service() -> TaskService<InMemoryTaskRepository> {
        TaskService::new(InMemoryTaskRepository::default(), ChangeHub::default())
    }

    #[tokio::test]
    async fn create_then_get() {
        let service = service();
        let alice = owner("alice");
        let created = service.create(&alice, &new_task("Buy milk")).await.unwrap();
        assert_eq!(created.user_id.as_str(), "alice");
        assert!(!created.completed);
        let fetched = service.get(&alice, created.id).await.unwrap();
        assert_eq!(fetched, created);
    }

    #[tokio::test]
    async fn other_users_tasks_are_not_found() {
        let service = service();
        let task = service
            .create(&owner("alice"), &new_task("secret"))
            .await
            .unwrap();
        let bob = owner("bob");
        assert!(matches!(
            service.get(&bob, task.id).await,
            Err(TaskError::NotFound)
        ));
        assert!(matches!(
            service.delete(&bob, task.id, &Precondition::Always).await,
            Err(TaskError::NotFound)
        ));
        assert!(matches!(
            service
                .toggle_completed(&bob, task.id, &Precondition::Always)
                .await,
            Err(TaskError::NotFound)
        ));
        assert_eq!(
            service
                .list(&bob, &ListQuery::default())
                .await
                .unwrap()
                .total,
            0
        );
        // Still there for its owner.
        assert!(service.get(&owner("alice"), task.id).await.is_ok());
    }

    #[tokio::test]
    async fn impossible_ids_never_reach_the_store() {
        let repository = InMemoryTaskRepository::default();
        repository.set_available(false);
        let service = TaskService::new(repository, ChangeHub::default());
        for id in [0, -1, i64::MIN] {
            assert!(matches!(
                service.get(&owner("alice"), TaskId::new(id)).await,
                Err(TaskError::NotFound)
            ));
        }
    }

    #[tokio::test]
    async fn update_toggle_set_and_delete() {
        let service = service();
        let alice = owner("alice");
        let task = service.create(&alice, &new_task("draft")).await.unwrap();

        let patch = TaskPatch::new(
            Some(Title::parse("final").unwrap()),
            Some(Some(Description::parse("notes").unwrap())),
            None,
        )
        .unwrap();
        let updated = service
            .update(&alice, task.id, &patch, &Precondition::Always)
            .await
            .unwrap();
        assert_eq!(updated.title.as_str(), "final");
        assert_eq!(updated.description.unwrap().as_str(), "notes");
        assert!(updated.updated_at >= task.updated_at);

        assert!(
            service
                .toggle_completed(&alice, task.id, &Precondition::Always)
                .await
                .unwrap()
                .completed
        );
        assert!(
            !service
                .toggle_completed(&alice, task.id, &Precondition::Always)
                .await
                .unwrap()
                .completed
        );
        assert!(
            service
                .set_completed(&alice, task.id, true, &Precondition::Always)
                .await
                .unwrap()
                .completed
        );

        let deleted = service
            .delete(&alice, task.id, &Precondition::Always)
            .await
            .unwrap();
        assert_eq!(deleted.id, task.id);
        assert!(matches!(
            service.get(&alice, task.id).await,
            Err(TaskError::NotFound)
        ));
    }

    #[tokio::test]
    async fn unavailable_store_is_reported_as_such() {
        let repository = InMemoryTaskRepository::default();
        repository.set_available(false);
        let service = TaskService::new(repository, ChangeHub::default());
        assert!(matches!(
            service.list(&owner("alice"), &ListQuery::default()).await,
            Err(TaskError::Unavailable(_))
        ));
        assert!(matches!(
            service.store_ready().await,
            Err(TaskError::Unavailable(_))
        ));
    }
}
