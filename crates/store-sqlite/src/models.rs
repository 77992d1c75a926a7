//! Rows of `tasks` and `idempotency_keys` as Diesel reads and writes them, and their
//! mapping to domain values.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tasks_domain::{
    Description, DomainError, IdempotentRequest, NewTask, Task, TaskId, TaskPatch, Title, UserId,
    Version,
};

use crate::schema::{idempotency_keys, tasks};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = tasks, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct TaskRow {
    id: i64,
    user_id: String,
    title: String,
    description: Option<String>,
    completed: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl TaskRow {
    /// The row that keeps this task, as created, for repeats of `request` until
    /// `expires_at` (microseconds since the Unix epoch).
    pub(crate) fn kept_for<'a>(
        &'a self,
        request: &'a IdempotentRequest,
        expires_at: i64,
    ) -> KeptCreateRow<'a> {
        KeptCreateRow {
            user_id: &self.user_id,
            key: request.key.as_str(),
            fingerprint: request.fingerprint.as_str(),
            task_id: self.id,
            title: &self.title,
            description: self.description.as_deref(),
            completed: self.completed,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
            expires_at,
        }
    }
}

/// A create kept with its idempotency key: the request's fingerprint and the task as it was
/// created.
#[derive(Debug, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub(crate) struct KeptCreateRow<'a> {
    user_id: &'a str,
    key: &'a str,
    fingerprint: &'a str,
    task_id: i64,
    title: &'a str,
    description: Option<&'a str>,
    completed: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
    expires_at: i64,
}

/// A stored row that breaks a domain rule, e.g. one written by hand.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InvalidRow {
    #[error("stored task {id} has an invalid {field}")]
    Value {
        id: i64,
        field: &'static str,
        #[source]
        source: DomainError,
    },
    #[error("stored task {id} has a {field} out of range")]
    Timestamp { id: i64, field: &'static str },
}

impl TryFrom<TaskRow> for Task {
    type Error = InvalidRow;

    fn try_from(row: TaskRow) -> Result<Self, Self::Error> {
        let id = row.id;
        let invalid = |field| move |source| InvalidRow::Value { id, field, source };
        let instant = |micros, field| {
            DateTime::<Utc>::from_timestamp_micros(micros)
                .ok_or(InvalidRow::Timestamp { id, field })
        };
        Ok(Task {
            id: TaskId::new(id),
            user_id: UserId::parse(row.user_id).map_err(invalid("user_id"))?,
            title: Title::parse(row.title).map_err(invalid("title"))?,
            description: row
                .description
                .map(Description::parse)
                .transpose()
                .map_err(invalid("description"))?,
            completed: row.completed,
            created_at: instant(row.created_at, "created_at")?,
            updated_at: instant(row.updated_at, "updated_at")?,
            version: Version::new(row.version),
        })
    }
}

/// The columns a create sets; the database assigns the id.
#[derive(Debug, Insertable)]
#[diesel(table_name = tasks)]
pub(crate) struct NewTaskRow<'a> {
    user_id: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    completed: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl<'a> NewTaskRow<'a> {
    /// The row for `task`, created at `now` (microseconds since the Unix epoch).
    pub(crate) fn new(owner: &'a UserId, task: &'a NewTask, now: i64) -> Self {
        Self {
            user_id: owner.as_str(),
            title: task.title.as_str(),
            description: task.description.as_ref().map(Description::as_str),
            completed: task.completed,
            created_at: now,
            updated_at: now,
            version: Version::FIRST.get(),
        }
    }
}

/// The columns a patch sets: `None` leaves a column as it is, `description: Some(None)`
/// clears it.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tasks)]
pub(crate) struct TaskChanges<'a> {
    title: Option<&'a str>,
    description: Option<Option<&'a str>>,
    completed: Option<bool>,
}

impl<'a> From<&'a TaskPatch> for TaskChanges<'a> {
    fn from(patch: &'a TaskPatch) -> Self {
        Self {
            title: patch.title().map(Title::as_str),
            description: patch
                .description()
                .map(|description| description.map(Description::as_str)),
            completed: patch.completed(),
        }
    }
}
