//! Through PgBouncer in transaction mode, which may run each transaction of a client on
//! another server session: with `transaction_pooler`, no statement depends on the session
//! that ran the one before, the statement timeout still stops a statement on the server, and
//! the writes of several statements (an idempotent create, a refused precondition) keep
//! their rules.

use std::time::{Duration, Instant};

use tasks_domain::Precondition;
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::testing::{PgBouncer, TestDatabase};
use tasks_store_postgres::{
    MigrationError, PostgresSettings, PostgresTaskRepository, run_migrations,
};
use tokio_postgres::{Client, NoTls};

use crate::support::{PROMPTLY, assert_past_deadline, new_task, retitle, sql_session, user};

/// A repository of one connection on `database` through `pooler`.
fn through(
    pooler: &PgBouncer,
    database: &TestDatabase,
    transaction_pooler: bool,
) -> PostgresTaskRepository {
    PostgresTaskRepository::connect(&PostgresSettings {
        max_connections: 1,
        transaction_pooler,
        ..PostgresSettings::new(pooler.url(database))
    })
    .unwrap()
}

/// A plain session through the pooler that begins a transaction, so that it holds the
/// pooler's only idle server session until it is dropped.
async fn hold_the_idle_server_session(pooler: &PgBouncer, database: &TestDatabase) -> Client {
    let (client, connection) = tokio_postgres::connect(&pooler.url(database), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.batch_execute("BEGIN; SELECT 1").await.unwrap();
    client
}

/// A task read once through the pooler (on its first server session, the only one), then
/// again while another client holds that session, so that the pooler opens a second one.
async fn read_twice_across_server_sessions(transaction_pooler: bool) -> Result<(), TaskError> {
    let database = TestDatabase::create().await;
    let pooler = PgBouncer::start();
    let repository = through(&pooler, &database, transaction_pooler);
    let alice = user("alice");
    let task = repository.create(&alice, &new_task("read twice")).await?;
    repository.get(&alice, task.id).await?;

    let _holder = hold_the_idle_server_session(&pooler, &database).await;
    repository.get(&alice, task.id).await.map(drop)
}

#[tokio::test]
async fn without_pooler_mode_a_prepared_statement_the_server_session_lacks_is_unavailable() {
    // The statement prepared on the first server session is not on the second: the
    // pooler's doing, not the statement's, so 503 rather than 500.
    let read = read_twice_across_server_sessions(false).await;
    assert!(matches!(read, Err(TaskError::Unavailable(_))), "{read:?}");
}

#[tokio::test]
async fn in_pooler_mode_no_statement_depends_on_an_earlier_server_session() {
    read_twice_across_server_sessions(true).await.unwrap();
}

/// Sessions of `database` waiting on a lock.
async fn lock_waiters(admin: &Client, database: &TestDatabase) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = $1 AND wait_event_type = 'Lock'",
            &[&database.name()],
        )
        .await
        .unwrap()
        .get(0)
}

/// Polls until `condition` holds, for at most [`PROMPTLY`]; says whether it did.
async fn eventually(mut condition: impl AsyncFnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < PROMPTLY {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn through_the_pooler_a_statement_past_its_timeout_is_cancelled_on_the_server() {
    let database = TestDatabase::create().await;
    let pooler = PgBouncer::start();
    let repository = PostgresTaskRepository::connect(&PostgresSettings {
        statement_timeout: Duration::from_secs(2),
        transaction_pooler: true,
        ..PostgresSettings::new(pooler.url(&database))
    })
    .unwrap();
    let alice = user("alice");
    let task = repository
        .create(&alice, &new_task("locked"))
        .await
        .unwrap();

    // A direct session holds the row lock for the whole test, so the update waits on it
    // until something stops it.
    let mut locker = sql_session(&database).await;
    let lock = locker.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE",
        &[&task.id.get()],
    )
    .await
    .unwrap();
    let admin = sql_session(&database).await;

    let update = tokio::spawn({
        let repository = repository.clone();
        let alice = alice.clone();
        async move {
            repository
                .update(&alice, task.id, &retitle("late"), &Precondition::Always)
                .await
        }
    });
    assert!(
        eventually(async || lock_waiters(&admin, &database).await == 1).await,
        "the update never waited on the lock"
    );
    assert_past_deadline(&update.await.unwrap());
    assert!(
        eventually(async || lock_waiters(&admin, &database).await == 0).await,
        "the update still runs on the server after its timeout"
    );

    lock.rollback().await.unwrap();
    let updated = repository
        .update(&alice, task.id, &retitle("now"), &Precondition::Always)
        .await;
    assert_eq!(updated.unwrap().title.as_str(), "now");
}

#[tokio::test]
async fn migrations_refuse_a_url_through_a_transaction_pooler() {
    let migrated = run_migrations("postgres://127.0.0.1/tasks?pgbouncer=true").await;
    assert!(
        matches!(migrated, Err(MigrationError::ThroughTransactionPooler)),
        "{migrated:?}"
    );
}

/// A repository in pooler mode through `pooler`, on a fresh database.
async fn fresh_through(pooler: &PgBouncer) -> (TestDatabase, PostgresTaskRepository) {
    let database = TestDatabase::create().await;
    let repository = PostgresTaskRepository::connect(&PostgresSettings {
        transaction_pooler: true,
        ..PostgresSettings::new(pooler.url(&database))
    })
    .unwrap();
    (database, repository)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_pooler_idempotent_creates_and_preconditions_keep_their_rules() {
    let pooler = PgBouncer::start();
    let (_database, store) = fresh_through(&pooler).await;
    tasks_repository_conformance::concurrent_repeats_create_one_task(store).await;
    let (_database, store) = fresh_through(&pooler).await;
    tasks_repository_conformance::a_key_reused_for_another_request_is_refused(store).await;
    let (_database, store) = fresh_through(&pooler).await;
    tasks_repository_conformance::update_applies_only_when_its_precondition_admits(store).await;
    let (_database, store) = fresh_through(&pooler).await;
    tasks_repository_conformance::concurrent_updates_of_one_version_let_exactly_one_win(store)
        .await;
}
