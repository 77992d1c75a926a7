//! Announcing committed writes to a `ChangeHub`: each one, in commit order, to its owner's
//! streams only; nothing for a write that failed or a create that was replayed.

use std::sync::Arc;
use std::time::Duration;

use tasks_domain::{
    ChangeKind, IdempotencyKey, IdempotentRequest, NewTask, Precondition, RequestFingerprint, Task,
    TaskChange, TaskId, TaskPatch, Title, UserId, Version,
};
use tasks_ports::{ChangeHub, FeedEvent, Subscription, TaskError, TaskRepository};
use tasks_store_sqlite::SqliteTaskRepository;
use tempfile::TempDir;
use tokio::task::JoinSet;

/// Far longer than any write here takes: only a missing event waits this long.
const PATIENCE: Duration = Duration::from_secs(10);

fn announcing() -> (TempDir, SqliteTaskRepository, ChangeHub) {
    let directory = tempfile::tempdir().unwrap();
    let changes = ChangeHub::default();
    let repository = SqliteTaskRepository::open(&directory.path().join("tasks.db"))
        .unwrap()
        .announcing_to(changes.clone());
    (directory, repository, changes)
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).unwrap(),
        description: None,
        completed: false,
    }
}

fn request(key: &str) -> IdempotentRequest {
    IdempotentRequest {
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: RequestFingerprint::new(format!("body of {key}")),
    }
}

fn changed(kind: ChangeKind, task: &Task) -> FeedEvent {
    FeedEvent::Changed(TaskChange {
        kind,
        task: task.clone(),
    })
}

async fn next(stream: &mut Subscription) -> FeedEvent {
    tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream is open")
}

#[tokio::test]
async fn committed_writes_are_announced_in_order_to_their_owner() {
    let (_directory, repository, changes) = announcing();
    let (alice, bob) = (user("alice"), user("bob"));
    let mut alices = changes.subscribe(&alice).unwrap();
    let mut bobs = changes.subscribe(&bob).unwrap();

    let created = repository.create(&alice, &new_task("a")).await.unwrap();
    let retitle = TaskPatch::new(Some(Title::parse("b").unwrap()), None, None).unwrap();
    let updated = repository
        .update(
            &alice,
            created.id,
            &retitle,
            &Precondition::VersionIn(vec![Version::FIRST]),
        )
        .await
        .unwrap();
    let toggled = repository
        .toggle_completed(&alice, created.id, &Precondition::Always)
        .await
        .unwrap();
    let idempotent = repository
        .create_idempotent(&alice, &new_task("once"), &request("k"))
        .await
        .unwrap();
    let deleted = repository
        .delete(&alice, created.id, &Precondition::Always)
        .await
        .unwrap();

    for (kind, task) in [
        (ChangeKind::Created, &created),
        (ChangeKind::Updated, &updated),
        (ChangeKind::Updated, &toggled),
        (ChangeKind::Created, &idempotent.task),
        (ChangeKind::Deleted, &deleted),
    ] {
        assert_eq!(next(&mut alices).await, changed(kind, task));
    }

    let bobs_own = repository.create(&bob, &new_task("bob's")).await.unwrap();
    assert_eq!(
        next(&mut bobs).await,
        changed(ChangeKind::Created, &bobs_own),
        "bob's stream got none of alice's changes first"
    );
}

#[tokio::test]
async fn failed_writes_and_replays_announce_nothing() {
    let (_directory, repository, changes) = announcing();
    let alice = user("alice");
    let task = repository.create(&alice, &new_task("a")).await.unwrap();
    repository
        .create_idempotent(&alice, &new_task("once"), &request("k"))
        .await
        .unwrap();
    let mut stream = changes.subscribe(&alice).unwrap();

    let stale = Precondition::VersionIn(vec![Version::new(9)]);
    let refused = repository.toggle_completed(&alice, task.id, &stale).await;
    assert!(matches!(refused, Err(TaskError::PreconditionFailed { .. })));
    let missing = repository
        .delete(&alice, TaskId::new(999), &Precondition::Always)
        .await;
    assert!(matches!(missing, Err(TaskError::NotFound)));
    let replayed = repository
        .create_idempotent(&alice, &new_task("once"), &request("k"))
        .await
        .unwrap();
    assert!(replayed.replayed);
    let reused = IdempotentRequest {
        fingerprint: RequestFingerprint::new("another body"),
        ..request("k")
    };
    let refused = repository
        .create_idempotent(&alice, &new_task("other"), &reused)
        .await;
    assert!(matches!(refused, Err(TaskError::IdempotencyKeyReused)));

    let marker = repository
        .create(&alice, &new_task("marker"))
        .await
        .unwrap();
    assert_eq!(
        next(&mut stream).await,
        changed(ChangeKind::Created, &marker),
        "the first event is the one after the failures"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_are_announced_in_commit_order() {
    const WRITERS: i64 = 40;
    let (_directory, repository, changes) = announcing();
    let repository = Arc::new(repository);
    let alice = user("alice");
    let task = repository
        .create(&alice, &new_task("shared"))
        .await
        .unwrap();
    let mut stream = changes.subscribe(&alice).unwrap();

    let mut writers = JoinSet::new();
    for _ in 0..WRITERS {
        let (repository, alice) = (Arc::clone(&repository), alice.clone());
        writers.spawn(async move {
            repository
                .toggle_completed(&alice, task.id, &Precondition::Always)
                .await
                .unwrap()
        });
    }
    writers.join_all().await;

    for version in 2..=WRITERS + 1 {
        let FeedEvent::Changed(change) = next(&mut stream).await else {
            panic!("a resync instead of version {version}");
        };
        assert_eq!(change.task.version, Version::new(version));
    }
}
