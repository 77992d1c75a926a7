//! Writes that a precondition guards. The version check is part of the write's own
//! statement (`AND version IN (...)`), so no other write can come between check and change;
//! only a write that touched nothing looks further, to tell a missing task from one at
//! another version.

use diesel::dsl::{Filter, Find};
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::sqlite::Sqlite;
use diesel_async::RunQueryDsl;
use tasks_domain::{Precondition, TaskId, UserId, Version};
use tasks_ports::TaskError;

use crate::errors;
use crate::models::TaskRow;
use crate::pool::AsyncSqliteConnection;
use crate::schema::tasks;

/// The task `id`, if `owner` owns it.
pub(crate) type OwnedTask<'a> =
    Filter<Find<tasks::table, i64>, diesel::dsl::Eq<tasks::user_id, &'a str>>;

/// A condition on a task's columns.
type Condition = Box<dyn BoxableExpression<tasks::table, Sqlite, SqlType = Bool>>;

pub(crate) fn owned_task(owner: &UserId, id: TaskId) -> OwnedTask<'_> {
    tasks::table
        .find(id.get())
        .filter(tasks::user_id.eq(owner.as_str()))
}

/// The task `id`, if `owner` owns it and `precondition` admits its version.
pub(crate) fn admitted_task<'a>(
    owner: &'a UserId,
    id: TaskId,
    precondition: &Precondition,
) -> Filter<OwnedTask<'a>, Condition> {
    let admitted: Condition = match precondition.versions() {
        None => Box::new(true.into_sql::<Bool>()),
        Some(versions) => {
            let versions: Vec<i64> = versions.iter().map(|version| version.get()).collect();
            Box::new(tasks::version.eq_any(versions))
        }
    };
    owned_task(owner, id).filter(admitted)
}

/// What a guarded write that returned `written` (`None`: it touched no row) comes to: the
/// row it wrote, else `NotFound` or `PreconditionFailed` with the version the task has.
/// Runs on the writer connection, right after the write.
pub(crate) async fn settle(
    connection: &mut AsyncSqliteConnection,
    owner: &UserId,
    id: TaskId,
    written: Option<TaskRow>,
) -> Result<TaskRow, TaskError> {
    if let Some(row) = written {
        return Ok(row);
    }
    let current = owned_task(owner, id)
        .select(tasks::version)
        .get_result::<i64>(connection)
        .await
        .optional()
        .map_err(errors::from_query)?;
    Err(match current {
        Some(version) => TaskError::PreconditionFailed {
            current: Version::new(version),
        },
        None => TaskError::NotFound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(precondition: &Precondition) -> String {
        let owner = UserId::parse("alice").unwrap();
        let delete = diesel::delete(admitted_task(&owner, TaskId::new(7), precondition));
        diesel::debug_query::<Sqlite, _>(&delete).to_string()
    }

    #[test]
    fn the_versions_are_part_of_the_statement() {
        let listed = sql(&Precondition::VersionIn(vec![
            Version::new(2),
            Version::new(5),
        ]));
        assert!(listed.contains("`tasks`.`version` IN (?, ?)"), "{listed}");
        assert!(listed.contains("binds: [7, \"alice\", 2, 5]"), "{listed}");
        assert!(!sql(&Precondition::Always).contains("version"));
    }
}
