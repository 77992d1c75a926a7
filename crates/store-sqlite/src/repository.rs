use std::fmt;
use std::fs;
use std::path::Path;

use tasks_domain::{
    IdempotentRequest, ListQuery, NewTask, Precondition, Task, TaskId, TaskPage, TaskPatch, UserId,
};
use tasks_ports::{ChangeHub, Created, TaskError, TaskRepository};

use crate::connection::{self, Role};
use crate::pool::{self, READERS, SqlitePool};
use crate::url::IN_MEMORY;
use crate::{SetupError, migrations};

mod use_cases;

/// Tasks in an SQLite database. Each write is one statement (one transaction for a create
/// with an idempotency key) on the one writer connection; reads go through a few others.
#[derive(Clone)]
pub struct SqliteTaskRepository {
    writer: SqlitePool,
    readers: SqlitePool,
    changes: Option<ChangeHub>,
}

impl SqliteTaskRepository {
    /// Opens the database file at `path`, creating it and its parent directories on first
    /// start, and brings its schema up to date. `:memory:` gives [`Self::in_memory`].
    /// Blocking (file system and migrations): call it at startup.
    pub fn open(path: &Path) -> Result<Self, SetupError> {
        if path == Path::new(IN_MEMORY) {
            return Ok(Self::in_memory());
        }
        let database = path
            .to_str()
            .ok_or_else(|| SetupError::NonUtf8Path(path.to_owned()))?;
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            fs::create_dir_all(parent).map_err(|source| SetupError::CreateDirectory {
                path: parent.to_owned(),
                source,
            })?;
        }
        let mut connection = connection::open(database, Role::Writer).map_err(SetupError::Open)?;
        migrations::run(&mut connection).map_err(SetupError::Migrate)?;
        Ok(Self {
            writer: pool::build(database, Role::Writer, 1),
            readers: pool::build(database, Role::Reader, READERS),
            changes: None,
        })
    }

    /// A private database in memory, empty at first and gone with the repository; its one
    /// connection serves reads and writes alike.
    pub fn in_memory() -> Self {
        let only = pool::build(IN_MEMORY, Role::InMemory, 1);
        Self {
            writer: only.clone(),
            readers: only,
            changes: None,
        }
    }

    /// Announces every committed write to `changes` (this process's streams: the file has
    /// no way to tell other processes).
    pub fn announcing_to(self, changes: ChangeHub) -> Self {
        Self {
            changes: Some(changes),
            ..self
        }
    }
}

/// Runs `call` on a task of its own, to its end even when the caller stops waiting (a
/// client that hung up). A write cancelled between its commit and its announcement would go
/// unannounced, and one cancelled inside its transaction would leave that open; and
/// diesel-async makes a cancelled statement wait for SQLite by blocking the thread, which
/// panics on a current-thread runtime such as each of actix-web's workers.
async fn on_own_task<T: Send + 'static>(
    call: impl Future<Output = Result<T, TaskError>> + Send + 'static,
) -> Result<T, TaskError> {
    tokio::spawn(call).await.map_err(TaskError::unexpected)?
}

impl TaskRepository for SqliteTaskRepository {
    async fn list(&self, owner: &UserId, query: &ListQuery) -> Result<TaskPage, TaskError> {
        let (store, owner, query) = (self.clone(), owner.clone(), query.clone());
        on_own_task(async move { store.list_tasks(&owner, &query).await }).await
    }

    async fn create(&self, owner: &UserId, task: &NewTask) -> Result<Task, TaskError> {
        let (store, owner, task) = (self.clone(), owner.clone(), task.clone());
        on_own_task(async move { store.create_task(&owner, &task).await }).await
    }

    async fn create_idempotent(
        &self,
        owner: &UserId,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> Result<Created, TaskError> {
        let (store, owner, task, request) =
            (self.clone(), owner.clone(), task.clone(), request.clone());
        on_own_task(async move { store.create_task_once(&owner, &task, &request).await }).await
    }

    async fn get(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        let (store, owner) = (self.clone(), owner.clone());
        on_own_task(async move { store.get_task(&owner, id).await }).await
    }

    async fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let (store, owner, patch, precondition) = (
            self.clone(),
            owner.clone(),
            patch.clone(),
            precondition.clone(),
        );
        on_own_task(async move { store.update_task(&owner, id, &patch, &precondition).await }).await
    }

    async fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let (store, owner, precondition) = (self.clone(), owner.clone(), precondition.clone());
        on_own_task(async move { store.delete_task(&owner, id, &precondition).await }).await
    }

    async fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let (store, owner, precondition) = (self.clone(), owner.clone(), precondition.clone());
        on_own_task(async move { store.toggle_task(&owner, id, &precondition).await }).await
    }

    async fn purge_expired_keys(&self) -> Result<u64, TaskError> {
        let store = self.clone();
        on_own_task(async move { store.purge_keys().await }).await
    }

    async fn ping(&self) -> Result<(), TaskError> {
        let store = self.clone();
        on_own_task(async move { store.ping_database().await }).await
    }
}

impl fmt::Debug for SqliteTaskRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteTaskRepository")
            .field("writer", &self.writer.status())
            .field("readers", &self.readers.status())
            .field("announcing", &self.changes.is_some())
            .finish()
    }
}
