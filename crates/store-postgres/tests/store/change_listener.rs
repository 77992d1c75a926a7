//! Live updates through PostgreSQL: the `tasks` trigger notifies, the listener publishes,
//! and only committed changes arrive, on every listener of the database.

use std::time::Duration;

use secrecy::SecretString;
use tasks_domain::{ChangeKind, Precondition, TaskChange};
use tasks_ports::{ChangeHub, FeedEvent, Subscription, TaskRepository};
use tasks_store_postgres::testing::TestDatabase;
use tasks_store_postgres::{ChangeListener, PostgresSettings};

use crate::freezing_proxy::FreezingProxy;
use crate::support::{PROMPTLY, fresh_repository, new_task, retitle, sql_session, user};

/// A listener on `database`, publishing to a hub of its own, as one replica would.
async fn listening_hub(database: &TestDatabase) -> ChangeHub {
    let hub = ChangeHub::default();
    let settings = PostgresSettings::new(database.url());
    ChangeListener::new(&settings, &SecretString::from(database.url()))
        .unwrap()
        .start(hub.clone())
        .await;
    hub
}

async fn next(stream: &mut Subscription) -> FeedEvent {
    next_within(PROMPTLY, stream).await
}

async fn next_within(bound: Duration, stream: &mut Subscription) -> FeedEvent {
    tokio::time::timeout(bound, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream is open")
}

#[track_caller]
fn change(event: FeedEvent) -> TaskChange {
    match event {
        FeedEvent::Changed(change) => change,
        FeedEvent::Resync => panic!("a change, not a resync"),
    }
}

#[tokio::test]
async fn every_committed_write_arrives_in_order() {
    let (database, repository) = fresh_repository().await;
    let hub = listening_hub(&database).await;
    let mut stream = hub.subscribe(&user("alice")).unwrap();
    let alice = user("alice");

    let created = repository
        .create(&alice, &new_task("watched"))
        .await
        .unwrap();
    let renamed = repository
        .update(
            &alice,
            created.id,
            &retitle("renamed"),
            &Precondition::Always,
        )
        .await
        .unwrap();
    let toggled = repository
        .toggle_completed(&alice, created.id, &Precondition::Always)
        .await
        .unwrap();
    let deleted = repository
        .delete(&alice, created.id, &Precondition::Always)
        .await
        .unwrap();

    for (kind, task) in [
        (ChangeKind::Created, created),
        (ChangeKind::Updated, renamed),
        (ChangeKind::Updated, toggled),
        (ChangeKind::Deleted, deleted),
    ] {
        assert_eq!(change(next(&mut stream).await), TaskChange { kind, task });
    }
}

#[tokio::test]
async fn a_rolled_back_write_announces_nothing() {
    let (database, repository) = fresh_repository().await;
    let hub = listening_hub(&database).await;
    let mut stream = hub.subscribe(&user("alice")).unwrap();
    sql_session(&database)
        .await
        .batch_execute(
            "BEGIN; INSERT INTO tasks (user_id, title) VALUES ('alice', 'never'); ROLLBACK;",
        )
        .await
        .unwrap();
    let committed = repository
        .create(&user("alice"), &new_task("committed"))
        .await
        .unwrap();
    // Had the rolled-back insert been announced, it would have come first.
    assert_eq!(change(next(&mut stream).await).task, committed);
}

#[tokio::test]
async fn every_listener_of_the_database_hears_every_write() {
    let (database, repository) = fresh_repository().await;
    let (first, second) = (
        listening_hub(&database).await,
        listening_hub(&database).await,
    );
    let mut on_first = first.subscribe(&user("alice")).unwrap();
    let mut on_second = second.subscribe(&user("alice")).unwrap();
    let mut bobs = first.subscribe(&user("bob")).unwrap();

    let alices = repository
        .create(&user("alice"), &new_task("for both"))
        .await
        .unwrap();
    assert_eq!(change(next(&mut on_first).await).task, alices);
    assert_eq!(change(next(&mut on_second).await).task, alices);
    let bobs_task = repository
        .create(&user("bob"), &new_task("bob's"))
        .await
        .unwrap();
    assert_eq!(
        change(next(&mut bobs).await).task,
        bobs_task,
        "none of alice's"
    );
}

#[tokio::test]
async fn a_change_too_large_to_send_makes_its_owner_re_read() {
    let (database, repository) = fresh_repository().await;
    let hub = listening_hub(&database).await;
    // Control characters are escaped as \u0001 in JSON, six bytes each: the longest user
    // id, title and description of them are past NOTIFY's 8000 bytes.
    let owner = user(&"\u{1}".repeat(255));
    let mut stream = hub.subscribe(&owner).unwrap();
    let task = tasks_domain::NewTask {
        title: tasks_domain::Title::parse("\u{1}".repeat(200)).unwrap(),
        description: Some(tasks_domain::Description::parse("\u{1}".repeat(1000)).unwrap()),
        completed: false,
    };
    let created = repository.create(&owner, &task).await.unwrap();
    assert_eq!(next(&mut stream).await, FeedEvent::Resync);
    assert_eq!(
        repository.get(&owner, created.id).await.unwrap(),
        created,
        "the write itself succeeded"
    );
}

#[tokio::test]
async fn after_losing_its_session_the_listener_comes_back_and_says_so() {
    let (database, repository) = fresh_repository().await;
    let hub = listening_hub(&database).await;
    let mut stream = hub.subscribe(&user("alice")).unwrap();
    let terminated = sql_session(&database)
        .await
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(terminated, 1, "the listener's session");

    assert_eq!(next(&mut stream).await, FeedEvent::Resync);
    let after = repository
        .create(&user("alice"), &new_task("after"))
        .await
        .unwrap();
    assert_eq!(change(next(&mut stream).await).task, after);
}

/// Long enough for the listener's periodic check to find the session silent, and to
/// listen again; far shorter than TCP keepalives take on a peer that acknowledges.
const SILENCE_NOTICED: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_session_that_stops_answering_is_replaced() {
    let (database, repository) = fresh_repository().await;
    let proxy = FreezingProxy::start(&database).await;
    let hub = ChangeHub::default();
    let settings = PostgresSettings {
        statement_timeout: Duration::from_secs(1),
        ..PostgresSettings::new(proxy.url())
    };
    ChangeListener::new(&settings, &SecretString::from(proxy.url()))
        .unwrap()
        .start(hub.clone())
        .await;
    let mut stream = hub.subscribe(&user("alice")).unwrap();
    let before = repository
        .create(&user("alice"), &new_task("before"))
        .await
        .unwrap();
    assert_eq!(change(next(&mut stream).await).task, before);

    proxy.freeze_open_connections();
    assert_eq!(
        next_within(SILENCE_NOTICED, &mut stream).await,
        FeedEvent::Resync
    );
    let after = repository
        .create(&user("alice"), &new_task("after"))
        .await
        .unwrap();
    assert_eq!(change(next(&mut stream).await).task, after);
}

#[tokio::test]
async fn starting_waits_for_one_attempt_only() {
    let hub = ChangeHub::default();
    let unreachable = "postgres://postgres@127.0.0.1:9/tasks";
    let mut settings = PostgresSettings::new(unreachable);
    settings.connect_timeout = std::time::Duration::from_secs(1);
    // Returns after the first attempt, without waiting for a connection.
    tokio::time::timeout(
        PROMPTLY,
        ChangeListener::new(&settings, &SecretString::from(unreachable))
            .unwrap()
            .start(hub.clone()),
    )
    .await
    .expect("start returns after one attempt");
}
