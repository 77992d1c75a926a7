//! Idempotent creates: one task per key and user, replayed as it was created, refused for
//! another request, and kept through a purge while fresh. Expiry itself depends on each
//! store's clock and is tested by each store.

use std::sync::Arc;

use tasks_domain::{Precondition, Task};
use tasks_ports::{Created, TaskError, TaskRepository};
use tokio::sync::Barrier;

use crate::support::{described, idempotent, new_task, patch, total, user};

const CONCURRENT_REPEATS: usize = 16;

/// The first call creates the task; a repeat with the same key and fingerprint replays it
/// and creates nothing more.
pub async fn repeated_creates_replay_the_first<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let (task, request) = (described("once", "only once"), idempotent("k-1", "body-1"));
    let first = store
        .create_idempotent(&alice, &task, &request)
        .await
        .unwrap();
    assert!(!first.replayed, "the first call creates");
    assert_eq!(
        (first.task.title.as_str(), &first.task.user_id),
        ("once", &alice)
    );
    assert_eq!(first.task.description, task.description);
    assert_eq!(store.get(&alice, first.task.id).await.unwrap(), first.task);

    for repeat in 0..3 {
        let again = store
            .create_idempotent(&alice, &task, &request)
            .await
            .unwrap();
        assert_eq!(
            again,
            Created {
                task: first.task.clone(),
                replayed: true
            },
            "repeat {repeat}"
        );
    }
    assert_eq!(total(&store, &alice).await, 1, "no second task");
}

/// A replay returns the task as it was created, even after it was changed or deleted, and
/// does not bring a deleted task back.
pub async fn replays_return_the_task_as_created<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let (task, request) = (new_task("original"), idempotent("k-2", "body-2"));
    let created = store
        .create_idempotent(&alice, &task, &request)
        .await
        .unwrap()
        .task;
    let replay = async || {
        let again = store
            .create_idempotent(&alice, &task, &request)
            .await
            .unwrap();
        assert!(again.replayed);
        again.task
    };

    store
        .update(
            &alice,
            created.id,
            &patch(Some("changed"), None, Some(true)),
            &Precondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(replay().await, created, "after an update");

    store
        .delete(&alice, created.id, &Precondition::Always)
        .await
        .unwrap();
    assert_eq!(replay().await, created, "after a delete");
    assert_eq!(total(&store, &alice).await, 0, "the replay created nothing");
}

/// The same key with another fingerprint is refused, creates nothing and leaves the first
/// outcome to replay.
pub async fn a_key_reused_for_another_request_is_refused<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let key = "k-3";
    let first = store
        .create_idempotent(&alice, &new_task("first"), &idempotent(key, "body-a"))
        .await
        .unwrap();
    let reused = store
        .create_idempotent(&alice, &new_task("second"), &idempotent(key, "body-b"))
        .await;
    assert!(
        matches!(reused, Err(TaskError::IdempotencyKeyReused)),
        "another fingerprint: {reused:?}"
    );
    assert_eq!(total(&store, &alice).await, 1);
    let replayed = store
        .create_idempotent(&alice, &new_task("first"), &idempotent(key, "body-a"))
        .await
        .unwrap();
    assert_eq!(replayed.task, first.task);
}

/// Keys belong to their user: another user's request with the same key creates their own
/// task; and a new key creates another task.
pub async fn keys_are_scoped_to_their_user<R: TaskRepository>(store: R) {
    let (alice, bob) = (user("alice"), user("bob"));
    let request = idempotent("shared-key", "same body");
    let alices = store
        .create_idempotent(&alice, &new_task("mine"), &request)
        .await
        .unwrap();
    let bobs = store
        .create_idempotent(&bob, &new_task("mine"), &request)
        .await
        .unwrap();
    assert!(!bobs.replayed, "bob's first use of the key creates");
    assert_eq!(bobs.task.user_id, bob);
    assert_ne!(bobs.task.id, alices.task.id);
    assert_eq!(store.get(&bob, bobs.task.id).await.unwrap(), bobs.task);

    let another = store
        .create_idempotent(
            &alice,
            &new_task("mine"),
            &idempotent("new-key", "same body"),
        )
        .await
        .unwrap();
    assert!(!another.replayed, "a new key creates");
    assert_ne!(another.task.id, alices.task.id);
    assert_eq!(total(&store, &alice).await, 2);
    assert_eq!(total(&store, &bob).await, 1);
}

/// 16 identical requests at once create exactly one task; every answer is that task
/// (created once, otherwise replayed) or `IdempotencyKeyInFlight`.
///
/// Needs a multi-threaded runtime to be a real test.
pub async fn concurrent_repeats_create_one_task<R: TaskRepository>(store: R) {
    let store = Arc::new(store);
    let alice = user("alice");
    let start = Arc::new(Barrier::new(CONCURRENT_REPEATS));
    let requests: Vec<_> = (0..CONCURRENT_REPEATS)
        .map(|_| {
            let (store, alice, start) = (Arc::clone(&store), alice.clone(), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                store
                    .create_idempotent(&alice, &new_task("once"), &idempotent("k-4", "body-4"))
                    .await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(CONCURRENT_REPEATS);
    for request in requests {
        answers.push(request.await.expect("a request panicked"));
    }

    let created: Vec<&Task> = answers
        .iter()
        .filter_map(|answer| answer.as_ref().ok().filter(|c| !c.replayed))
        .map(|created| &created.task)
        .collect();
    assert_eq!(created.len(), 1, "exactly one creates: {answers:?}");
    for answer in &answers {
        match answer {
            Ok(replay) => assert_eq!(&replay.task, created[0], "every answer is the task"),
            Err(TaskError::IdempotencyKeyInFlight) => {}
            Err(error) => panic!("unexpected answer {error:?}"),
        }
    }
    assert_eq!(total(&*store, &alice).await, 1);
}

/// Purging removes no key that is still fresh: their outcomes still replay afterwards.
pub async fn purging_keeps_fresh_keys<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let mut created = Vec::new();
    for n in 0..3 {
        let request = idempotent(&format!("fresh-{n}"), "body");
        created.push((
            store
                .create_idempotent(&alice, &new_task("fresh"), &request)
                .await
                .unwrap()
                .task,
            request,
        ));
    }
    assert_eq!(store.purge_expired_keys().await.unwrap(), 0);
    for (task, request) in &created {
        let again = store
            .create_idempotent(&alice, &new_task("fresh"), request)
            .await
            .unwrap();
        assert_eq!((again.replayed, &again.task), (true, task));
    }
    assert_eq!(total(&store, &alice).await, 3);
}
