//! Rows of `tasks` as Diesel reads and writes them, and their mapping to domain values.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use tasks_domain::{
    Description, DomainError, NewTask, Task, TaskId, TaskPatch, Title, UserId, Version,
};

use crate::schema::tasks;

/// A row as Diesel reads it, and as the change notifications carry it (`row_to_json`).
#[derive(Debug, Queryable, Selectable, QueryableByName, Deserialize)]
#[diesel(table_name = tasks, check_for_backend(diesel::pg::Pg))]
pub(crate) struct TaskRow {
    id: i64,
    user_id: String,
    title: String,
    description: Option<String>,
    completed: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl TaskRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

/// A stored row that breaks a domain rule, e.g. one written by hand.
#[derive(Debug, thiserror::Error)]
#[error("stored task {id} has an invalid {field}")]
pub(crate) struct InvalidRow {
    id: i64,
    field: &'static str,
    #[source]
    source: DomainError,
}

impl TryFrom<TaskRow> for Task {
    type Error = InvalidRow;

    fn try_from(row: TaskRow) -> Result<Self, Self::Error> {
        let invalid = |field| {
            move |source| InvalidRow {
                id: row.id,
                field,
                source,
            }
        };
        Ok(Task {
            id: TaskId::new(row.id),
            user_id: UserId::parse(row.user_id).map_err(invalid("user_id"))?,
            title: Title::parse(row.title).map_err(invalid("title"))?,
            description: row
                .description
                .map(Description::parse)
                .transpose()
                .map_err(invalid("description"))?,
            completed: row.completed,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: Version::new(row.version),
        })
    }
}

/// The columns a create sets; the database assigns the id and both timestamps.
/// `description: None` is written as NULL rather than DEFAULT, so that every insert is the
/// same statement and stays prepared.
#[derive(Debug, Insertable)]
#[diesel(table_name = tasks, treat_none_as_default_value = false)]
pub(crate) struct NewTaskRow<'a> {
    user_id: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    completed: bool,
}

impl<'a> NewTaskRow<'a> {
    pub(crate) fn new(owner: &'a UserId, task: &'a NewTask) -> Self {
        Self {
            user_id: owner.as_str(),
            title: task.title.as_str(),
            description: task.description.as_ref().map(Description::as_str),
            completed: task.completed,
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
