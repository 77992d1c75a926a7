//! Idempotent creates on PostgreSQL beyond the conformance suite: the keys outlive the
//! repository (a restart), expire, and are purged without touching fresh ones.

use tasks_domain::{IdempotencyKey, IdempotentRequest, RequestFingerprint};
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::{PostgresSettings, PostgresTaskRepository, SessionRole};

use crate::support::{fresh_repository, new_task, sql_session, user};

fn request(key: &str) -> IdempotentRequest {
    IdempotentRequest {
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: RequestFingerprint::new("f"),
    }
}

#[tokio::test]
async fn a_repeat_after_a_restart_replays() {
    let (database, repository) = fresh_repository().await;
    let first = repository
        .create_idempotent(&user("alice"), &new_task("once"), &request("k"))
        .await
        .unwrap();
    drop(repository);
    let restarted =
        PostgresTaskRepository::connect(&PostgresSettings::new(database.url())).unwrap();
    let repeat = restarted
        .create_idempotent(&user("alice"), &new_task("once"), &request("k"))
        .await
        .unwrap();
    assert!(repeat.replayed);
    assert_eq!(repeat.task, first.task);
}

#[tokio::test]
async fn an_expired_key_is_new_again_and_purging_removes_only_expired_keys() {
    let (database, repository) = fresh_repository().await;
    let alice = user("alice");
    let old = repository
        .create_idempotent(&alice, &new_task("old"), &request("old"))
        .await
        .unwrap();
    repository
        .create_idempotent(&alice, &new_task("fresh"), &request("fresh"))
        .await
        .unwrap();
    let session = sql_session(&database).await;
    let lifetime = session
        .query_one(
            "SELECT extract(epoch FROM expires_at - created_at)::bigint FROM idempotency_keys \
             WHERE key = 'fresh'",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert!(
        (86_399..=86_401).contains(&lifetime),
        "kept 24 hours: {lifetime} s"
    );
    session
        .batch_execute(
            "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' \
             WHERE key = 'old'",
        )
        .await
        .unwrap();

    let again = repository
        .create_idempotent(&alice, &new_task("old"), &request("old"))
        .await
        .unwrap();
    assert!(!again.replayed, "an expired key counts as new");
    assert_ne!(again.task.id, old.task.id);

    session
        .batch_execute(
            "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' \
             WHERE key = 'old'",
        )
        .await
        .unwrap();
    assert_eq!(repository.purge_expired_keys().await.unwrap(), 1);
    assert_eq!(repository.purge_expired_keys().await.unwrap(), 0);
    let fresh = repository
        .create_idempotent(&alice, &new_task("fresh"), &request("fresh"))
        .await
        .unwrap();
    assert!(fresh.replayed, "fresh keys stay");
    let other = repository
        .create_idempotent(
            &alice,
            &new_task("fresh"),
            &IdempotentRequest {
                fingerprint: RequestFingerprint::new("g"),
                ..request("fresh")
            },
        )
        .await;
    assert!(
        matches!(other, Err(TaskError::IdempotencyKeyReused)),
        "{other:?}"
    );
}

#[tokio::test]
async fn purging_reads_the_expiry_index() {
    let (database, _repository) = fresh_repository().await;
    let session = sql_session(&database).await;
    session
        .batch_execute(
            "SET enable_seqscan = off; \
             INSERT INTO idempotency_keys SELECT 'u', 'k' || n, 'f', n, 't', NULL, false, \
             now(), now(), 1, now() + interval '1 day' FROM generate_series(1, 1000) AS n; \
             ANALYZE idempotency_keys;",
        )
        .await
        .unwrap();
    let plan: Vec<String> = session
        .query(
            "EXPLAIN SELECT user_id, key FROM idempotency_keys WHERE expires_at <= now() \
             ORDER BY expires_at LIMIT 1000",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(
        plan.iter()
            .any(|line| line.contains("idempotency_keys_expires_at_idx")),
        "{plan:#?}"
    );
}

#[tokio::test]
async fn a_purge_for_chores_holds_its_session_only_while_it_runs() {
    let (database, repository) = fresh_repository().await;
    let chores = repository.for_chores();
    assert_eq!(chores.purge_expired_keys().await.unwrap(), 0);
    assert_eq!(database.sessions_in_role(SessionRole::Chores).await, 1);
    assert_eq!(database.sessions_in_role(SessionRole::Requests).await, 0);
    drop(chores);
    let closed = async {
        while database.sessions_in_role(SessionRole::Chores).await > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), closed)
        .await
        .expect("the chore's session closes once its repository is dropped");
}
