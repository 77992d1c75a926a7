//! The use cases in SQL, each run by [`SqliteTaskRepository`]'s port methods on a task of
//! its own.

use chrono::Utc;
use diesel::dsl::not;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tasks_domain::{
    ChangeKind, IdempotentRequest, ListQuery, NewTask, Precondition, Task, TaskChange, TaskId,
    TaskPage, TaskPatch, UserId,
};
use tasks_ports::{Created, TaskError};

use super::SqliteTaskRepository;
use crate::errors;
use crate::guarded::{admitted_task, owned_task, settle};
use crate::idempotency::{self, Outcome};
use crate::listing;
use crate::models::{NewTaskRow, TaskChanges, TaskRow};
use crate::pool::{AsyncSqliteConnection, SqlitePool};
use crate::schema::tasks;
use crate::sql_functions::later_of;

impl SqliteTaskRepository {
    async fn read<T>(
        &self,
        statement: impl AsyncFnOnce(&mut AsyncSqliteConnection) -> QueryResult<T>,
    ) -> Result<T, TaskError> {
        run(&self.readers, statement).await
    }

    /// Runs `statement`, a write of one task, on the writer connection and announces the
    /// task it committed as `kind` before giving the connection back, so that
    /// announcements follow the order of the commits.
    async fn write(
        &self,
        kind: ChangeKind,
        statement: impl AsyncFnOnce(&mut AsyncSqliteConnection) -> Result<TaskRow, TaskError>,
    ) -> Result<Task, TaskError> {
        let mut connection = self.writer.get().await.map_err(errors::from_pool)?;
        let task = to_task(statement(&mut connection).await?)?;
        self.announce(kind, &task);
        Ok(task)
    }

    fn announce(&self, kind: ChangeKind, task: &Task) {
        if let Some(changes) = &self.changes {
            changes.publish(TaskChange {
                kind,
                task: task.clone(),
            });
        }
    }

    pub(super) async fn list_tasks(
        &self,
        owner: &UserId,
        query: &ListQuery,
    ) -> Result<TaskPage, TaskError> {
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

    pub(super) async fn get_task(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
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

    pub(super) async fn create_task(
        &self,
        owner: &UserId,
        task: &NewTask,
    ) -> Result<Task, TaskError> {
        self.write(ChangeKind::Created, async |connection| {
            diesel::insert_into(tasks::table)
                .values(NewTaskRow::new(owner, task, now()))
                .returning(TaskRow::as_returning())
                .get_result(connection)
                .await
                .map_err(errors::from_query)
        })
        .await
    }

    /// The lookup of the key and the inserts are one `BEGIN IMMEDIATE` transaction on the
    /// writer connection, so a repeat waits for the first and then replays it.
    pub(super) async fn create_task_once(
        &self,
        owner: &UserId,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> Result<Created, TaskError> {
        let mut connection = self.writer.get().await.map_err(errors::from_pool)?;
        let outcome = connection
            .immediate_transaction(async |connection| {
                idempotency::create_once(connection, owner, task, request, now()).await
            })
            .await
            .map_err(errors::from_query)?;
        // Announced while the writer connection is still held, as `write` does.
        match outcome {
            Outcome::Created(row) => {
                let task = to_task(row)?;
                self.announce(ChangeKind::Created, &task);
                Ok(Created {
                    task,
                    replayed: false,
                })
            }
            Outcome::Replayed(row) => Ok(Created {
                task: to_task(row)?,
                replayed: true,
            }),
            Outcome::Reused => Err(TaskError::IdempotencyKeyReused),
        }
    }

    pub(super) async fn update_task(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        self.write(ChangeKind::Updated, async |connection| {
            let written = diesel::update(admitted_task(owner, id, precondition))
                .set((TaskChanges::from(patch), touched(), bumped()))
                .returning(TaskRow::as_returning())
                .get_result(connection)
                .await
                .optional()
                .map_err(errors::from_query)?;
            settle(connection, owner, id, written).await
        })
        .await
    }

    pub(super) async fn delete_task(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        self.write(ChangeKind::Deleted, async |connection| {
            let deleted = diesel::delete(admitted_task(owner, id, precondition))
                .returning(TaskRow::as_returning())
                .get_result(connection)
                .await
                .optional()
                .map_err(errors::from_query)?;
            settle(connection, owner, id, deleted).await
        })
        .await
    }

    pub(super) async fn toggle_task(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        self.write(ChangeKind::Updated, async |connection| {
            let written = diesel::update(admitted_task(owner, id, precondition))
                .set((
                    tasks::completed.eq(not(tasks::completed)),
                    touched(),
                    bumped(),
                ))
                .returning(TaskRow::as_returning())
                .get_result(connection)
                .await
                .optional()
                .map_err(errors::from_query)?;
            settle(connection, owner, id, written).await
        })
        .await
    }

    pub(super) async fn purge_keys(&self) -> Result<u64, TaskError> {
        let purged = run(&self.writer, async |connection| {
            idempotency::purge(connection, now()).await
        })
        .await?;
        u64::try_from(purged).map_err(TaskError::unexpected)
    }

    pub(super) async fn ping_database(&self) -> Result<(), TaskError> {
        self.read(async |connection| {
            diesel::sql_query("SELECT 1").execute(connection).await?;
            Ok(())
        })
        .await
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

/// `updated_at` moved to now, or a microsecond past its current value if that is later:
/// it always moves forward, even for two writes within one microsecond or after the clock
/// was set back.
fn touched()
-> diesel::dsl::Eq<tasks::updated_at, later_of<i64, diesel::dsl::Add<tasks::updated_at, i64>>> {
    tasks::updated_at.eq(later_of(now(), tasks::updated_at + 1))
}

/// The version moved on by one.
fn bumped() -> diesel::dsl::Eq<tasks::version, diesel::dsl::Add<tasks::version, i64>> {
    tasks::version.eq(tasks::version + 1)
}

fn to_task(row: TaskRow) -> Result<Task, TaskError> {
    Task::try_from(row).map_err(TaskError::unexpected)
}
