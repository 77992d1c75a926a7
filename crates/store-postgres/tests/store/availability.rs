use std::time::{Duration, Instant};

use tasks_domain::ListQuery;
use tasks_domain::Precondition;
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::{
    MigrationError, PostgresSettings, PostgresTaskRepository, SetupError, run_migrations,
};
use tokio::net::TcpListener;

use crate::support::{
    PROMPTLY, assert_past_deadline, fresh_repository, new_task, retitle, silent_server,
    sql_session, user,
};

fn short_timeouts(url: &str) -> PostgresSettings {
    PostgresSettings {
        pool_wait_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_millis(500),
        statement_timeout: Duration::from_millis(500),
        ..PostgresSettings::new(url)
    }
}

/// A local port where nothing listens.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn assert_unavailable(repository: &PostgresTaskRepository) {
    let started = Instant::now();
    let listed = repository.list(&user("alice"), &ListQuery::default()).await;
    assert!(
        matches!(listed, Err(TaskError::Unavailable(_))),
        "{listed:?}"
    );
    let pinged = repository.ping().await;
    assert!(
        matches!(pinged, Err(TaskError::Unavailable(_))),
        "{pinged:?}"
    );
    assert!(started.elapsed() < PROMPTLY, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn connecting_needs_no_database_but_a_valid_url() {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/tasks",
        closed_port().await
    );
    assert!(PostgresTaskRepository::connect(&PostgresSettings::new(url)).is_ok());
    assert!(matches!(
        PostgresTaskRepository::connect(&PostgresSettings::new("definitely not a url")),
        Err(SetupError::InvalidUrl(_))
    ));
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/tasks",
        closed_port().await
    );
    let repository = PostgresTaskRepository::connect(&PostgresSettings::new(url)).unwrap();
    assert_unavailable(&repository).await;
}

#[tokio::test]
async fn a_server_that_never_answers_is_unavailable() {
    let (url, silent) = silent_server().await;
    let repository = PostgresTaskRepository::connect(&short_timeouts(&url)).unwrap();
    assert_unavailable(&repository).await;
    silent.abort();
}

#[tokio::test]
async fn a_statement_past_its_timeout_is_unavailable_and_the_pool_recovers() {
    let (database, _) = fresh_repository().await;
    let repository = PostgresTaskRepository::connect(&short_timeouts(database.url())).unwrap();
    let alice = user("alice");
    let task = repository
        .create(&alice, &new_task("locked"))
        .await
        .unwrap();

    // Another session holds the row lock, so the update waits past its timeout.
    let mut locker = sql_session(&database).await;
    let lock = locker.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE",
        &[&task.id.get()],
    )
    .await
    .unwrap();

    let started = Instant::now();
    let updated = repository
        .update(&alice, task.id, &retitle("late"), &Precondition::Always)
        .await;
    assert_past_deadline(&updated);
    assert!(started.elapsed() < PROMPTLY, "took {:?}", started.elapsed());

    lock.rollback().await.unwrap();
    let updated = repository
        .update(&alice, task.id, &retitle("now"), &Precondition::Always)
        .await
        .unwrap();
    assert_eq!(updated.title.as_str(), "now");
}

#[tokio::test]
async fn migrating_an_unreachable_database_fails_promptly() {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/tasks",
        closed_port().await
    );
    let started = Instant::now();
    assert!(matches!(
        run_migrations(&url).await,
        Err(MigrationError::Connect(_))
    ));
    assert!(started.elapsed() < PROMPTLY);
    assert!(matches!(
        run_migrations("nonsense").await,
        Err(MigrationError::Setup(SetupError::InvalidUrl(_)))
    ));
}

/// An update waits on a row lock until `stop` (a server function taking a backend's pid)
/// is called on its session; it must fail as unavailable, and the next update succeed.
async fn stopped_under_a_statement(stop: &str) {
    let (database, _) = fresh_repository().await;
    let victim = "stopped-under-a-statement";
    let url = format!("{}?application_name={victim}", database.url());
    let repository = PostgresTaskRepository::connect(&PostgresSettings::new(url)).unwrap();
    let alice = user("alice");
    let task = repository
        .create(&alice, &new_task("locked"))
        .await
        .unwrap();

    let mut admin = sql_session(&database).await;
    let lock = admin.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE",
        &[&task.id.get()],
    )
    .await
    .unwrap();
    let waiting = tokio::spawn({
        let repository = repository.clone();
        let alice = alice.clone();
        async move {
            repository
                .update(&alice, task.id, &retitle("late"), &Precondition::Always)
                .await
        }
    });
    let mut stopped = false;
    for _ in 0..50 {
        let row = lock
            .query_one(
                &format!(
                    "SELECT count({stop}(pid)) FROM pg_stat_activity \
                     WHERE application_name = $1 AND wait_event_type = 'Lock'"
                ),
                &[&victim],
            )
            .await
            .unwrap();
        if row.get::<_, i64>(0) > 0 {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stopped, "the update never waited on the lock");

    let updated = waiting.await.unwrap();
    assert!(
        matches!(updated, Err(TaskError::Unavailable(_))),
        "{updated:?}"
    );
    lock.rollback().await.unwrap();
    let updated = repository
        .update(&alice, task.id, &retitle("now"), &Precondition::Always)
        .await
        .unwrap();
    assert_eq!(updated.title.as_str(), "now");
}

#[tokio::test]
async fn a_session_terminated_under_a_statement_is_unavailable_and_the_pool_recovers() {
    // As a server shutdown or a managed service's restart ends it (SQLSTATE 57P01).
    stopped_under_a_statement("pg_terminate_backend").await;
}

#[tokio::test]
async fn a_statement_cancelled_on_the_server_is_unavailable_and_the_pool_recovers() {
    // As an operator, or the server's own statement timeout, cancels it (SQLSTATE 57014):
    // the session lives on, and the statement was not at fault.
    stopped_under_a_statement("pg_cancel_backend").await;
}

#[tokio::test]
async fn a_failing_statement_on_a_live_session_stays_unexpected() {
    let (database, repository) = fresh_repository().await;
    let admin = sql_session(&database).await;
    // A schema the code does not expect: a bug, not an outage.
    admin
        .batch_execute("ALTER TABLE tasks RENAME COLUMN title TO heading")
        .await
        .unwrap();
    let listed = repository.list(&user("alice"), &ListQuery::default()).await;
    assert!(
        matches!(listed, Err(TaskError::Unexpected(_))),
        "{listed:?}"
    );
    assert!(repository.ping().await.is_ok());
}
