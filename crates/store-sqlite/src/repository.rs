use std::fmt;
use std::fs;
use std::path::Path;

use chrono::Utc;
use diesel::dsl::not;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tasks_domain::{ListQuery, NewTask, Task, TaskId, TaskPage, TaskPatch, UserId};
use tasks_ports::{TaskError, TaskRepository};

use crate::connection::{self, Role};
use crate::errors;
use crate::models::{NewTaskRow, TaskChanges, TaskRow};
use crate::pool::{self, AsyncSqliteConnection, READERS, SqlitePool};
use crate::schema::tasks;
use crate::sql_functions::later_of;
use crate::url::IN_MEMORY;
use crate::{SetupError, listing, migrations};

/// Tasks in an SQLite database, one SQL statement per use case. Writes go through one
/// connection, reads through a few others.
#[derive(Clone)]
pub struct SqliteTaskRepository {
    writer: SqlitePool,
    readers: SqlitePool,
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
        })
    }

    /// A private database in memory, empty at first and gone with the repository; its one
    /// connection serves reads and writes alike.
    pub fn in_memory() -> Self {
        let only = pool::build(IN_MEMORY, Role::InMemory, 1);
        Self {
            writer: only.clone(),
            readers: only,
        }
    }

    async fn read<T>(
        &self,
        statement: impl AsyncFnOnce(&mut AsyncSqliteConnection) -> QueryResult<T>,
    ) -> Result<T, TaskError> {
        run(&self.readers, statement).await
    }

    async fn write<T>(
        &self,
        statement: impl AsyncFnOnce(&mut AsyncSqliteConnection) -> QueryResult<T>,
    ) -> Result<T, TaskError> {
        run(&self.writer, statement).await
    }
}

/// Runs `statement` on a connection of `pool`. A statement waits at most the busy timeout
/// for locks and otherwise only for local disk, so it needs no deadline of its own.
async fn run<T>(
    pool: &SqlitePool,
    statement: impl AsyncFnOnce(&mut AsyncSqliteConnection) -> QueryResult<T>,
) -> Result<T, TaskError> {
    let mut connection = pool.get().await.map_err(errors::from_pool)?;
    statement(&mut connection).await.map_err(errors::from_query)
}

/// Now, as stored: whole microseconds since the Unix epoch.
fn now() -> i64 {
    Utc::now().timestamp_micros()
}

/// The task `id`, if `owner` owns it.
fn owned_task(
    owner: &UserId,
    id: TaskId,
) -> diesel::dsl::Filter<diesel::dsl::Find<tasks::table, i64>, diesel::dsl::Eq<tasks::user_id, &str>>
{
    tasks::table
        .find(id.get())
        .filter(tasks::user_id.eq(owner.as_str()))
}

/// `updated_at` moved to now, or a microsecond past its current value if that is later:
/// it always moves forward, even for two writes within one microsecond or after the clock
/// was set back.
fn touched()
-> diesel::dsl::Eq<tasks::updated_at, later_of<i64, diesel::dsl::Add<tasks::updated_at, i64>>> {
    tasks::updated_at.eq(later_of(now(), tasks::updated_at + 1))
}

fn to_task(row: TaskRow) -> Result<Task, TaskError> {
    Task::try_from(row).map_err(TaskError::unexpected)
}

impl TaskRepository for SqliteTaskRepository {
    async fn list(&self, owner: &UserId, query: &ListQuery) -> Result<TaskPage, TaskError> {
        let rows: Vec<(TaskRow, i64)> = self
            .read(async |connection| listing::page(owner, query).load(connection).await)
            .await?;
        let total = match rows.as_slice() {
            [(_, total), ..] => *total,
            // Past the last match, no row carries the total: count on their own.
            [] if query.offset.get() > 0 => {
                self.read(async |connection| {
                    listing::matching(owner, query)
                        .count()
                        .get_result(connection)
                        .await
                })
                .await?
            }
            [] => 0,
        };
        Ok(TaskPage {
            tasks: rows
                .into_iter()
                .map(|(row, _)| to_task(row))
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).map_err(TaskError::unexpected)?,
        })
    }

    async fn create(&self, owner: &UserId, task: &NewTask) -> Result<Task, TaskError> {
        let row = self
            .write(async |connection| {
                diesel::insert_into(tasks::table)
                    .values(NewTaskRow::new(owner, task, now()))
                    .returning(TaskRow::as_returning())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn get(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        let row = self
            .read(async |connection| {
                owned_task(owner, id)
                    .select(TaskRow::as_select())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
    ) -> Result<Task, TaskError> {
        let row = self
            .write(async |connection| {
                diesel::update(owned_task(owner, id))
                    .set((TaskChanges::from(patch), touched()))
                    .returning(TaskRow::as_returning())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn delete(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        let row = self
            .write(async |connection| {
                diesel::delete(owned_task(owner, id))
                    .returning(TaskRow::as_returning())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn toggle_completed(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        let row = self
            .write(async |connection| {
                diesel::update(owned_task(owner, id))
                    .set((tasks::completed.eq(not(tasks::completed)), touched()))
                    .returning(TaskRow::as_returning())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn ping(&self) -> Result<(), TaskError> {
        self.read(async |connection| {
            diesel::sql_query("SELECT 1").execute(connection).await?;
            Ok(())
        })
        .await
    }
}

impl fmt::Debug for SqliteTaskRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteTaskRepository")
            .field("writer", &self.writer.status())
            .field("readers", &self.readers.status())
            .finish()
    }
}
