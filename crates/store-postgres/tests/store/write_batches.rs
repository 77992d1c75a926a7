//! Write coalescing against PostgreSQL: writes that wait while a batch commits go together
//! as the next one, each keeps its own result, one that fails does not fail the rest, and
//! writes of one task keep their order.

use std::sync::Arc;

use futures_util::future::join_all;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tasks_domain::{ListQuery, Precondition, StatusFilter, Task};
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::PostgresTaskRepository;

use crate::support::{
    blocked_update, fresh_repository, locked_task, new_task, retitle, sql_session,
    until_one_waits_on_a_lock, user,
};

/// What the recorder holds now, as `(name, labels' values, value)`; taking it resets it.
fn recorded(snapshotter: &Snapshotter) -> Vec<(String, Vec<String>, DebugValue)> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels = key.key().labels().map(|label| label.value().to_owned());
            (key.key().name().to_owned(), labels.collect(), value)
        })
        .collect()
}

/// Every batch size in `recorded`.
fn batch_sizes(recorded: &[(String, Vec<String>, DebugValue)]) -> Vec<f64> {
    recorded
        .iter()
        .filter(|(name, ..)| name == "tasks_db_write_batch_size")
        .flat_map(|(.., value)| match value {
            DebugValue::Histogram(sizes) => sizes.iter().map(|size| size.into_inner()),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// Every database error in `recorded` that was counted at least once, by kind.
fn errors_counted(recorded: &[(String, Vec<String>, DebugValue)]) -> Vec<(String, u64)> {
    recorded
        .iter()
        .filter(|(name, ..)| name == "tasks_db_errors_total")
        .filter_map(|(_, kind, value)| match value {
            DebugValue::Counter(0) => None,
            DebugValue::Counter(count) => Some((kind.join(","), *count)),
            other => panic!("{other:?}"),
        })
        .collect()
}

async fn count_of(repository: &PostgresTaskRepository, owner: &str) -> u64 {
    let all = ListQuery {
        status: StatusFilter::All,
        ..ListQuery::default()
    };
    repository.list(&user(owner), &all).await.unwrap().total
}

#[tokio::test]
async fn concurrent_toggles_of_one_task_and_creates_across_users_all_land() {
    const TOGGLES: usize = 201;
    const USERS: usize = 8;
    const CREATES_PER_USER: usize = 25;
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let (_database, root) = fresh_repository().await;
    let repository = Arc::new(root.with_own_connections(4));
    let task = repository
        .create(&user("alice"), &new_task("flipped"))
        .await
        .unwrap();

    let toggles = (0..TOGGLES).map(|_| {
        let repository = Arc::clone(&repository);
        tokio::spawn(async move {
            repository
                .toggle_completed(&user("alice"), task.id, &Precondition::Always)
                .await
        })
    });
    let creates = (0..USERS * CREATES_PER_USER).map(|n| {
        let repository = Arc::clone(&repository);
        tokio::spawn(async move {
            repository
                .create(
                    &user(&format!("user-{}", n % USERS)),
                    &new_task(&format!("task {n}")),
                )
                .await
        })
    });
    let (toggled, created) = tokio::join!(join_all(toggles), join_all(creates));

    // Every toggle applied exactly once: each saw its own version, and none is missing.
    let mut versions: Vec<i64> = toggled
        .into_iter()
        .map(|outcome| outcome.unwrap().unwrap().version.get())
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (2..=TOGGLES as i64 + 1).collect::<Vec<_>>());
    let now = repository.get(&user("alice"), task.id).await.unwrap();
    assert_eq!(now.version.get(), TOGGLES as i64 + 1);
    assert_eq!(now.completed, TOGGLES % 2 == 1, "an odd number of flips");

    let mut ids: Vec<i64> = created
        .into_iter()
        .map(|outcome| outcome.unwrap().unwrap().id.get())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), USERS * CREATES_PER_USER, "one task per create");
    for owner in 0..USERS {
        assert_eq!(
            count_of(&repository, &format!("user-{owner}")).await,
            CREATES_PER_USER as u64
        );
    }
    let sizes = batch_sizes(&recorded(&snapshotter));
    assert!(
        sizes.iter().any(|&size| size > 1.0),
        "writes waited and went together: {sizes:?}"
    );
    assert!(
        sizes.iter().all(|&size| (1.0..=64.0).contains(&size)),
        "{sizes:?}"
    );
}

#[tokio::test]
async fn a_write_that_fails_in_a_batch_fails_alone() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let (database, repository) = fresh_repository().await;
    let admin = sql_session(&database).await;
    // A rule the code does not know, which one of the writes below breaks.
    admin
        .batch_execute("ALTER TABLE tasks ADD CONSTRAINT no_poison CHECK (title <> 'poison')")
        .await
        .unwrap();
    // The batch in flight waits on a locked row, so the writes after it queue together.
    let (locked, locker) = locked_task(&database, &repository).await;
    let in_flight = blocked_update(&repository, locked);
    until_one_waits_on_a_lock(&admin).await;

    let titles = ["one", "two", "poison", "three", "four"];
    let bob = user("bob");
    let tasks = titles.map(new_task);
    let queued = join_all(tasks.iter().map(|task| repository.create(&bob, task)));
    let release = async {
        tokio::task::yield_now().await;
        drop(locker);
    };
    let (outcomes, ()) = tokio::join!(queued, release);
    in_flight.await.unwrap().unwrap();

    for (title, outcome) in titles.iter().zip(&outcomes) {
        match (*title, outcome) {
            ("poison", Err(TaskError::Unexpected(_))) => {}
            ("poison", other) => panic!("the poisoned create: {other:?}"),
            (_, Ok(task)) => assert_eq!(task.title.as_str(), *title),
            (_, Err(error)) => panic!("{title}: {error:?}"),
        }
    }
    assert_eq!(count_of(&repository, "bob").await, 4);
    assert!(
        batch_sizes(&recorded(&snapshotter)).contains(&5.0),
        "the five went as one batch"
    );
}

#[tokio::test]
async fn writes_of_one_task_commit_in_the_order_they_came() {
    let (database, repository) = fresh_repository().await;
    let admin = sql_session(&database).await;
    let task = repository
        .create(&user("alice"), &new_task("draft"))
        .await
        .unwrap();
    let (locked, locker) = locked_task(&database, &repository).await;
    let in_flight = blocked_update(&repository, locked);
    until_one_waits_on_a_lock(&admin).await;

    // Queued in this order while the batch above waits; they cannot share a batch.
    let alice = user("alice");
    let patches: Vec<_> = (1..=5).map(|n| retitle(&format!("version {n}"))).collect();
    let renames = join_all(
        patches
            .iter()
            .map(|patch| repository.update(&alice, task.id, patch, &Precondition::Always)),
    );
    let release = async {
        tokio::task::yield_now().await;
        drop(locker);
    };
    let (renamed, ()) = tokio::join!(renames, release);
    in_flight.await.unwrap().unwrap();

    let renamed: Vec<Task> = renamed.into_iter().map(Result::unwrap).collect();
    for (n, task) in (1..=5).zip(&renamed) {
        assert_eq!(task.title.as_str(), format!("version {n}"));
        assert_eq!(task.version.get(), n + 1, "applied in the order they came");
    }
    let now = repository.get(&user("alice"), task.id).await.unwrap();
    assert_eq!(now.title.as_str(), "version 5");
}

#[tokio::test]
async fn batches_of_two_workers_on_the_same_tasks_never_deadlock() {
    const TASKS: usize = 16;
    const ROUNDS: usize = 6;
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let (_database, root) = fresh_repository().await;
    // Two workers' repositories, each with its batches, on one database.
    let workers = [root.with_own_connections(3), root.with_own_connections(3)];
    let mut ids = Vec::new();
    for n in 0..TASKS {
        let task = root
            .create(&user("alice"), &new_task(&format!("task {n}")))
            .await
            .unwrap();
        ids.push(task.id);
    }

    // Each round, one worker toggles every task in one order and the other in the reverse,
    // so that their batches would take the rows' locks in opposite orders.
    let alice = user("alice");
    for _ in 0..ROUNDS {
        let forward = ids
            .iter()
            .map(|&id| workers[0].toggle_completed(&alice, id, &Precondition::Always));
        let backward = ids
            .iter()
            .rev()
            .map(|&id| workers[1].toggle_completed(&alice, id, &Precondition::Always));
        let (first, second) = tokio::join!(join_all(forward), join_all(backward));
        for outcome in first.into_iter().chain(second) {
            outcome.unwrap();
        }
    }

    for &id in &ids {
        let task = root.get(&alice, id).await.unwrap();
        assert_eq!(task.version.get(), 1 + 2 * ROUNDS as i64, "no toggle lost");
    }
    let recorded = recorded(&snapshotter);
    assert!(batch_sizes(&recorded).iter().any(|&size| size > 1.0));
    assert_eq!(
        errors_counted(&recorded),
        [],
        "no batch failed (a deadlock would)"
    );
}
