//! What the store records, read back from a recorder of the test's own. Each test runs on
//! a current-thread runtime, so the connections' tasks record on the test's thread too.

use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use secrecy::SecretString;
use tasks_domain::ListQuery;
use tasks_ports::{ChangeHub, FeedEvent, TaskError, TaskRepository};
use tasks_store_postgres::testing::TestDatabase;
use tasks_store_postgres::{ChangeListener, PostgresSettings, PostgresTaskRepository};
use tokio::time::timeout;

use crate::support::{
    PROMPTLY, blocked_update, fresh_repository, locked_task, new_task, silent_server, sql_session,
    until_one_waits_on_a_lock, user,
};

/// Each series as `name{label=value,...}` and its value. Taking it resets the counters.
fn recorded(snapshotter: &Snapshotter) -> Vec<(String, DebugValue)> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            (
                format!("{}{{{}}}", key.key().name(), labels.join(",")),
                value,
            )
        })
        .collect()
}

fn value<'a>(recorded: &'a [(String, DebugValue)], series: &str) -> Option<&'a DebugValue> {
    recorded
        .iter()
        .find(|(name, _)| name == series)
        .map(|(_, value)| value)
}

fn gauge(recorded: &[(String, DebugValue)], series: &str) -> f64 {
    match value(recorded, series) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!("{series}: {other:?}"),
    }
}

fn errors(recorded: &[(String, DebugValue)], kind: &str) -> u64 {
    match value(recorded, &format!("tasks_db_errors_total{{kind={kind}}}")) {
        Some(DebugValue::Counter(count)) => *count,
        None => 0,
        other => panic!("{kind}: {other:?}"),
    }
}

#[tokio::test]
async fn connections_are_counted_by_state() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let (database, root) = fresh_repository().await;
    // As a server worker gets it: one shared read session and two pooled connections.
    let repository = root.with_own_connections(3);
    let gauges = root.connection_gauges();
    let (id, locker) = locked_task(&database, &repository).await;
    repository
        .list(&user("alice"), &ListQuery::default())
        .await
        .unwrap();

    gauges.record();
    let idle = recorded(&snapshotter);
    assert_eq!(gauge(&idle, "tasks_db_connections{state=idle}"), 1.0);
    assert_eq!(gauge(&idle, "tasks_db_connections{state=in_use}"), 0.0);
    assert_eq!(gauge(&idle, "tasks_db_connections{state=shared_read}"), 1.0);
    assert_eq!(gauge(&idle, "tasks_db_pool_waiting{}"), 0.0);
    assert_eq!(
        gauge(&idle, "tasks_db_max_connections{}"),
        PostgresSettings::DEFAULT_MAX_CONNECTIONS as f64
    );
    match value(&idle, "tasks_db_pool_wait_seconds{}") {
        Some(DebugValue::Histogram(waits)) => assert_eq!(waits.len(), 1, "the create's wait"),
        other => panic!("{other:?}"),
    }

    let update = blocked_update(&repository, id);
    let admin = sql_session(&database).await;
    until_one_waits_on_a_lock(&admin).await;
    gauges.record();
    let busy = recorded(&snapshotter);
    assert_eq!(gauge(&busy, "tasks_db_connections{state=in_use}"), 1.0);
    assert_eq!(gauge(&busy, "tasks_db_connections{state=idle}"), 0.0);
    drop(locker);
    update.await.unwrap().unwrap();

    drop(repository);
    // The task that ran its write batches lets go of the pool once it sees the queue close.
    tokio::task::yield_now().await;
    gauges.record();
    let gone = recorded(&snapshotter);
    assert_eq!(gauge(&gone, "tasks_db_connections{state=idle}"), 0.0);
    assert_eq!(gauge(&gone, "tasks_db_connections{state=shared_read}"), 0.0);
}

#[tokio::test]
async fn connection_failures_are_counted_once_by_kind() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let short = |url: &str| PostgresSettings {
        connect_timeout: Duration::from_millis(300),
        ..PostgresSettings::new(url)
    };

    // Nothing listens there any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("postgres://postgres@{}/tasks", closed.local_addr().unwrap());
    drop(closed);
    let refused = PostgresTaskRepository::connect(&short(&url)).unwrap();
    refused.ping().await.unwrap_err();
    refused
        .list(&user("alice"), &ListQuery::default())
        .await
        .unwrap_err();

    let (url, silent) = silent_server().await;
    let unanswered = PostgresTaskRepository::connect(&short(&url)).unwrap();
    unanswered.ping().await.unwrap_err();
    silent.abort();

    let recorded = recorded(&snapshotter);
    assert_eq!(errors(&recorded, "connect_failed"), 2, "{recorded:?}");
    assert_eq!(errors(&recorded, "connect_timeout"), 1, "{recorded:?}");
}

#[tokio::test]
async fn statement_and_pool_timeouts_are_counted_by_kind() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let database = TestDatabase::create().await;
    // One pooled connection, so that a second write waits for it (rather than for the
    // batch in flight, as coalesced writes do).
    let repository = PostgresTaskRepository::connect(&PostgresSettings {
        max_connections: 1,
        coalesce_writes: false,
        pool_wait_timeout: Duration::from_millis(200),
        statement_timeout: Duration::from_secs(2),
        ..PostgresSettings::new(database.url())
    })
    .unwrap();
    let (id, locker) = locked_task(&database, &repository).await;

    let update = blocked_update(&repository, id);
    let admin = sql_session(&database).await;
    until_one_waits_on_a_lock(&admin).await;
    let waited = repository.create(&user("bob"), &new_task("queued")).await;
    assert!(
        matches!(waited, Err(TaskError::Unavailable(_))),
        "{waited:?}"
    );
    let timed_out = update.await.unwrap();
    assert!(
        matches!(timed_out, Err(TaskError::Unavailable(_))),
        "{timed_out:?}"
    );
    drop(locker);
    // A statement the server refuses: a schema the code does not expect.
    admin
        .batch_execute("ALTER TABLE tasks RENAME COLUMN title TO heading")
        .await
        .unwrap();
    let refused = repository.get(&user("alice"), id).await;
    assert!(
        matches!(refused, Err(TaskError::Unexpected(_))),
        "{refused:?}"
    );

    let recorded = recorded(&snapshotter);
    assert_eq!(errors(&recorded, "pool_wait_timeout"), 1, "{recorded:?}");
    assert_eq!(errors(&recorded, "statement_timeout"), 1, "{recorded:?}");
    assert_eq!(errors(&recorded, "query"), 1, "{recorded:?}");
    assert_eq!(errors(&recorded, "connection_lost"), 0, "{recorded:?}");
}

#[tokio::test]
async fn listening_again_after_losing_the_session_is_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let database = TestDatabase::create().await;
    let hub = ChangeHub::default();
    ChangeListener::new(
        &PostgresSettings::new(database.url()),
        &SecretString::from(database.url()),
    )
    .unwrap()
    .start(hub.clone())
    .await;
    let mut stream = hub.subscribe(&user("alice")).unwrap();
    let reconnects = |recorded: &[(String, DebugValue)]| match value(
        recorded,
        "tasks_db_listener_reconnects_total{}",
    ) {
        Some(DebugValue::Counter(count)) => *count,
        None => 0,
        other => panic!("{other:?}"),
    };
    assert_eq!(reconnects(&recorded(&snapshotter)), 0, "the first session");

    sql_session(&database)
        .await
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .unwrap();
    let resynced = timeout(PROMPTLY, stream.next()).await;
    assert_eq!(resynced.ok().flatten(), Some(FeedEvent::Resync));
    assert_eq!(reconnects(&recorded(&snapshotter)), 1);
}
