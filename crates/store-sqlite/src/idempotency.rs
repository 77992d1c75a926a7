//! Creates with an idempotency key, in SQL: the task and its key are written in one
//! transaction, and a repeat reads the kept task back instead of creating another.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tasks_domain::{IDEMPOTENCY_KEY_LIFETIME, IdempotentRequest, NewTask, UserId};

use crate::models::{NewTaskRow, TaskRow};
use crate::pool::AsyncSqliteConnection;
use crate::schema::{idempotency_keys, tasks};

/// How long a key is kept, in the stored unit (microseconds).
const LIFETIME_MICROS: i64 = IDEMPOTENCY_KEY_LIFETIME.as_micros() as i64;

/// What a create with a key came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// No live key: the task was created and kept with the key.
    Created(TaskRow),
    /// The key was kept with this request's fingerprint: the task as it was created.
    Replayed(TaskRow),
    /// The key was kept with another request's fingerprint.
    Reused,
}

/// Creates `task` once per key of `owner`, at `now` (microseconds since the Unix epoch).
/// Must run inside a write transaction, so that the lookup and the inserts are one step.
pub(crate) async fn create_once(
    connection: &mut AsyncSqliteConnection,
    owner: &UserId,
    task: &NewTask,
    request: &IdempotentRequest,
    now: i64,
) -> QueryResult<Outcome> {
    let slot = || idempotency_keys::table.find((owner.as_str(), request.key.as_str()));
    // An expired key counts as new: make room for it.
    diesel::delete(slot().filter(idempotency_keys::expires_at.le(now)))
        .execute(connection)
        .await?;
    let kept_task = (
        idempotency_keys::task_id,
        idempotency_keys::user_id,
        idempotency_keys::title,
        idempotency_keys::description,
        idempotency_keys::completed,
        idempotency_keys::created_at,
        idempotency_keys::updated_at,
        idempotency_keys::version,
    );
    let kept: Option<(String, TaskRow)> = slot()
        .select((idempotency_keys::fingerprint, kept_task))
        .get_result(connection)
        .await
        .optional()?;
    if let Some((fingerprint, row)) = kept {
        return Ok(if fingerprint == request.fingerprint.as_str() {
            Outcome::Replayed(row)
        } else {
            Outcome::Reused
        });
    }

    let row: TaskRow = diesel::insert_into(tasks::table)
        .values(NewTaskRow::new(owner, task, now))
        .returning(TaskRow::as_returning())
        .get_result(connection)
        .await?;
    diesel::insert_into(idempotency_keys::table)
        .values(row.kept_for(request, now + LIFETIME_MICROS))
        .execute(connection)
        .await?;
    Ok(Outcome::Created(row))
}

/// The keys that expired by `now`, found through `idempotency_keys_expires_at_idx`.
fn expired(
    now: i64,
) -> diesel::dsl::Filter<
    idempotency_keys::table,
    diesel::dsl::LtEq<idempotency_keys::expires_at, i64>,
> {
    idempotency_keys::table.filter(idempotency_keys::expires_at.le(now))
}

/// Deletes the keys that expired by `now`; returns how many went.
pub(crate) async fn purge(connection: &mut AsyncSqliteConnection, now: i64) -> QueryResult<usize> {
    diesel::delete(expired(now)).execute(connection).await
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::{BigInt, Text};
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::connection::{self, Role};

    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = Text)]
        detail: String,
    }

    #[test]
    fn the_purge_searches_the_expiry_index() {
        let mut connection = connection::open(":memory:", Role::InMemory).unwrap();
        let purge = diesel::delete(expired(0));
        let statement = diesel::debug_query::<Sqlite, _>(&purge).to_string();
        let (statement, _binds) = statement.split_once(" -- binds").unwrap();
        let plan: Vec<Step> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {statement}")).bind::<BigInt, _>(0),
            &mut connection,
        )
        .unwrap();
        let details: Vec<&str> = plan.iter().map(|step| step.detail.as_str()).collect();
        assert!(
            details
                .iter()
                .any(|detail| detail.contains("INDEX idempotency_keys_expires_at_idx")),
            "{details:?}"
        );
    }
}
