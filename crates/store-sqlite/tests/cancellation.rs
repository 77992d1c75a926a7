//! Calls whose caller stops waiting (a client that hung up), on a current-thread runtime
//! like each of actix-web's workers: they finish on their own, and a write is still
//! announced.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use tasks_domain::{ChangeKind, ListQuery, NewTask, Precondition, TaskChange, Title, UserId};
use tasks_ports::{ChangeHub, FeedEvent, TaskError, TaskRepository};
use tasks_store_sqlite::SqliteTaskRepository;

/// Far longer than any call here takes: only a missing event waits this long.
const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `call` once, then drops it, as a server does with the handler of a request whose
/// client went away.
async fn abandon<T: std::fmt::Debug>(call: impl Future<Output = T>) {
    let mut call = pin!(call);
    let first = poll_fn(|context| Poll::Ready(call.as_mut().poll(context))).await;
    assert!(first.is_pending(), "the call was done at once: {first:?}");
}

fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).unwrap(),
        description: None,
        completed: false,
    }
}

#[tokio::test]
async fn an_abandoned_write_completes_and_is_announced() {
    let directory = tempfile::tempdir().unwrap();
    let changes = ChangeHub::default();
    let repository = SqliteTaskRepository::open(&directory.path().join("tasks.db"))
        .unwrap()
        .announcing_to(changes.clone());
    let alice = UserId::parse("alice").unwrap();
    let task = repository
        .create(&alice, &new_task("doomed"))
        .await
        .unwrap();
    let mut stream = changes.subscribe(&alice).unwrap();

    abandon(repository.delete(&alice, task.id, &Precondition::Always)).await;

    let event = tokio::time::timeout(PATIENCE, stream.next()).await;
    let deleted = FeedEvent::Changed(TaskChange {
        kind: ChangeKind::Deleted,
        task: task.clone(),
    });
    assert_eq!(event.expect("an event in time"), Some(deleted));
    let gone = repository.get(&alice, task.id).await;
    assert!(matches!(gone, Err(TaskError::NotFound)), "{gone:?}");
}

#[tokio::test]
async fn an_abandoned_read_leaves_the_store_serving() {
    let directory = tempfile::tempdir().unwrap();
    let repository = SqliteTaskRepository::open(&directory.path().join("tasks.db")).unwrap();
    let alice = UserId::parse("alice").unwrap();
    let task = repository.create(&alice, &new_task("kept")).await.unwrap();
    // A reader connection is open, so the abandoned calls get as far as their statements.
    assert_eq!(repository.get(&alice, task.id).await.unwrap(), task);

    abandon(repository.list(&alice, &ListQuery::default())).await;
    abandon(repository.get(&alice, task.id)).await;

    assert_eq!(repository.get(&alice, task.id).await.unwrap(), task);
}
