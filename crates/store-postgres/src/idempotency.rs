//! Idempotent creates: the statements of the one transaction that creates a task for an
//! idempotency key, or finds the task it created before.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tasks_domain::{IDEMPOTENCY_KEY_LIFETIME, IdempotentRequest, NewTask, UserId};

use crate::models::{NewTaskRow, TaskRow};
use crate::schema::tasks;

/// What the key's transaction found or did.
pub(crate) enum KeyOutcome {
    Created(TaskRow),
    /// The key is stored; `fingerprint` is its first request's.
    Stored {
        fingerprint: String,
        task: TaskRow,
    },
    /// Another transaction holds the key now: its first request is still being processed.
    Busy,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct StoredKey {
    #[diesel(sql_type = Text)]
    fingerprint: String,
    #[diesel(embed)]
    task: TaskRow,
}

/// Runs inside a transaction: the lock, the key and the task all commit together or not
/// at all.
pub(crate) async fn create_once(
    connection: &mut AsyncPgConnection,
    owner: &UserId,
    task: &NewTask,
    request: &IdempotentRequest,
) -> QueryResult<KeyOutcome> {
    let key = request.key.as_str();
    // Transaction-scoped, so it holds through a transaction pooler and is released at
    // COMMIT or ROLLBACK. A key never contains a newline, so the text names one pair.
    let Locked { locked } = diesel::sql_query(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || E'\\n' || $2, 0)) AS locked",
    )
    .bind::<Text, _>(owner.as_str())
    .bind::<Text, _>(key)
    .get_result(connection)
    .await?;
    if !locked {
        return Ok(KeyOutcome::Busy);
    }
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at <= now()",
    )
    .bind::<Text, _>(owner.as_str())
    .bind::<Text, _>(key)
    .execute(connection)
    .await?;
    let stored: Option<StoredKey> = diesel::sql_query(
        "SELECT fingerprint, task_id AS id, user_id, title, description, completed, \
         created_at, updated_at, version FROM idempotency_keys WHERE user_id = $1 AND key = $2",
    )
    .bind::<Text, _>(owner.as_str())
    .bind::<Text, _>(key)
    .get_result(connection)
    .await
    .optional()?;
    if let Some(StoredKey { fingerprint, task }) = stored {
        return Ok(KeyOutcome::Stored { fingerprint, task });
    }
    let created: TaskRow = diesel::insert_into(tasks::table)
        .values(NewTaskRow::new(owner, task))
        .returning(TaskRow::as_returning())
        .get_result(connection)
        .await?;
    diesel::sql_query(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, task_id, title, description, \
         completed, created_at, updated_at, version, expires_at) \
         SELECT user_id, $2, $3, id, title, description, completed, created_at, updated_at, \
         version, now() + make_interval(secs => $4) FROM tasks WHERE id = $1",
    )
    .bind::<BigInt, _>(created.id())
    .bind::<Text, _>(key)
    .bind::<Text, _>(request.fingerprint.as_str())
    .bind::<Double, _>(IDEMPOTENCY_KEY_LIFETIME.as_secs_f64())
    .execute(connection)
    .await?;
    Ok(KeyOutcome::Created(created))
}

/// Deletes up to `batch` expired keys, oldest first, through the expiry index.
pub(crate) async fn purge_expired(
    connection: &mut &AsyncPgConnection,
    batch: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN (SELECT user_id, key \
         FROM idempotency_keys WHERE expires_at <= now() ORDER BY expires_at LIMIT $1)",
    )
    .bind::<BigInt, _>(batch)
    .execute(connection)
    .await
}
