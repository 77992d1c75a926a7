//! Idempotency keys past their lifetime: a repeat creates anew, and the purge removes them,
//! and only them.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tasks_domain::{
    IDEMPOTENCY_KEY_LIFETIME, IdempotencyKey, IdempotentRequest, ListQuery, NewTask,
    RequestFingerprint, Title, UserId,
};
use tasks_ports::TaskRepository;
use tasks_store_sqlite::SqliteTaskRepository;
use tempfile::TempDir;

/// A fresh store, and a plain connection to its file.
fn store() -> (TempDir, SqliteTaskRepository, SqliteConnection) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tasks.db");
    let repository = SqliteTaskRepository::open(&path).unwrap();
    let connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    (directory, repository, connection)
}

fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).unwrap(),
        description: None,
        completed: false,
    }
}

fn request(key: &str, fingerprint: &str) -> IdempotentRequest {
    IdempotentRequest {
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: RequestFingerprint::new(fingerprint),
    }
}

/// Moves the expiry of `key` to a microsecond ago.
fn expire(connection: &mut SqliteConnection, key: &str) {
    let now = chrono::Utc::now().timestamp_micros();
    let changed = diesel::sql_query("UPDATE idempotency_keys SET expires_at = ? WHERE key = ?")
        .bind::<BigInt, _>(now - 1)
        .bind::<Text, _>(key)
        .execute(connection)
        .unwrap();
    assert_eq!(changed, 1, "no key {key:?}");
}

#[derive(QueryableByName)]
struct Expiry {
    #[diesel(sql_type = BigInt)]
    expires_at: i64,
}

#[tokio::test]
async fn keys_are_kept_for_their_lifetime() {
    let (_directory, repository, mut connection) = store();
    let alice = UserId::parse("alice").unwrap();
    let created = repository
        .create_idempotent(&alice, &new_task("kept"), &request("k", "body"))
        .await
        .unwrap();
    let kept: Expiry = diesel::sql_query("SELECT expires_at FROM idempotency_keys")
        .get_result(&mut connection)
        .unwrap();
    let lifetime = kept.expires_at - created.task.created_at.timestamp_micros();
    assert_eq!(
        lifetime,
        i64::try_from(IDEMPOTENCY_KEY_LIFETIME.as_micros()).unwrap()
    );
}

#[tokio::test]
async fn an_expired_key_counts_as_new() {
    let (_directory, repository, mut connection) = store();
    let alice = UserId::parse("alice").unwrap();
    let first = repository
        .create_idempotent(&alice, &new_task("first"), &request("k", "body"))
        .await
        .unwrap();
    expire(&mut connection, "k");

    let second = repository
        .create_idempotent(&alice, &new_task("second"), &request("k", "other body"))
        .await
        .unwrap();
    assert!(!second.replayed, "an expired key is not reused");
    assert_ne!(second.task.id, first.task.id);
    let replayed = repository
        .create_idempotent(&alice, &new_task("second"), &request("k", "other body"))
        .await
        .unwrap();
    assert_eq!((replayed.replayed, replayed.task), (true, second.task));
    let page = repository
        .list(&alice, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
}

#[tokio::test]
async fn the_purge_removes_expired_keys_only() {
    let (_directory, repository, mut connection) = store();
    let alice = UserId::parse("alice").unwrap();
    for key in ["old-1", "old-2", "fresh"] {
        repository
            .create_idempotent(&alice, &new_task(key), &request(key, "body"))
            .await
            .unwrap();
    }
    expire(&mut connection, "old-1");
    expire(&mut connection, "old-2");

    assert_eq!(repository.purge_expired_keys().await.unwrap(), 2);
    assert_eq!(repository.purge_expired_keys().await.unwrap(), 0);
    #[derive(QueryableByName)]
    struct Key {
        #[diesel(sql_type = Text)]
        key: String,
    }
    let left: Vec<Key> = diesel::sql_query("SELECT key FROM idempotency_keys")
        .load(&mut connection)
        .unwrap();
    let left: Vec<&str> = left.iter().map(|kept| kept.key.as_str()).collect();
    assert_eq!(left, ["fresh"]);
    let fresh = repository
        .create_idempotent(&alice, &new_task("fresh"), &request("fresh", "body"))
        .await
        .unwrap();
    assert!(fresh.replayed);
    let page = repository
        .list(&alice, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 3, "purging keys leaves the tasks");
}
