//! Writes racing with the same precondition, beyond the conformance suite's updates: the
//! version check is part of each write's statement, so of two writes that expect the same
//! version exactly one is applied, and the other learns why it was not.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tasks_domain::{Precondition, Task, TaskId, Version};
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::PostgresTaskRepository;
use tokio::sync::Barrier;

use crate::support::{fresh_repository, new_task, retitle, user};

const ROUNDS: usize = 25;

type Write = Pin<Box<dyn Future<Output = Result<Task, TaskError>> + Send>>;

/// What one racer does to task `id`, expecting `version`.
type Racer = fn(Arc<PostgresTaskRepository>, TaskId, Version) -> Write;

fn toggle(repository: Arc<PostgresTaskRepository>, id: TaskId, version: Version) -> Write {
    Box::pin(async move {
        repository
            .toggle_completed(&user("alice"), id, &Precondition::VersionIn(vec![version]))
            .await
    })
}

fn delete(repository: Arc<PostgresTaskRepository>, id: TaskId, version: Version) -> Write {
    Box::pin(async move {
        repository
            .delete(&user("alice"), id, &Precondition::VersionIn(vec![version]))
            .await
    })
}

fn rename(repository: Arc<PostgresTaskRepository>, id: TaskId, version: Version) -> Write {
    Box::pin(async move {
        repository
            .update(
                &user("alice"),
                id,
                &retitle("renamed"),
                &Precondition::VersionIn(vec![version]),
            )
            .await
    })
}

/// Runs both racers on `task` at its version, released together; their outcomes in order.
async fn race(
    repository: &Arc<PostgresTaskRepository>,
    task: &Task,
    racers: [Racer; 2],
) -> [Result<Task, TaskError>; 2] {
    let start = Arc::new(Barrier::new(2));
    let running = racers.map(|racer| {
        let write = racer(Arc::clone(repository), task.id, task.version);
        let start = Arc::clone(&start);
        tokio::spawn(async move {
            start.wait().await;
            write.await
        })
    });
    let [first, second] = running;
    [
        first.await.expect("a racer panicked"),
        second.await.expect("a racer panicked"),
    ]
}

async fn fresh_task(repository: &PostgresTaskRepository) -> Task {
    repository
        .create(&user("alice"), &new_task("contended"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_toggles_of_one_version_exactly_one_is_applied() {
    let (_database, repository) = fresh_repository().await;
    let repository = Arc::new(repository);
    let mut task = fresh_task(&repository).await;
    for round in 0..ROUNDS {
        let outcomes = race(&repository, &task, [toggle, toggle]).await;
        let winner = match &outcomes {
            [Ok(winner), Err(TaskError::PreconditionFailed { current })]
            | [Err(TaskError::PreconditionFailed { current }), Ok(winner)]
                if *current == winner.version =>
            {
                winner.clone()
            }
            _ => panic!("round {round}: {outcomes:?}"),
        };
        assert_eq!(winner.version, task.version.next(), "round {round}");
        assert_eq!(winner.completed, !task.completed, "round {round}: one flip");
        task = winner;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_deletes_of_one_version_one_deletes_and_the_other_finds_nothing() {
    let (_database, repository) = fresh_repository().await;
    let repository = Arc::new(repository);
    for round in 0..ROUNDS {
        let task = fresh_task(&repository).await;
        let outcomes = race(&repository, &task, [delete, delete]).await;
        assert!(
            matches!(
                &outcomes,
                [Ok(deleted), Err(TaskError::NotFound)]
                | [Err(TaskError::NotFound), Ok(deleted)] if *deleted == task
            ),
            "round {round}: {outcomes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_racing_a_delete_of_one_version_either_wins_whole_or_loses() {
    let (_database, repository) = fresh_repository().await;
    let repository = Arc::new(repository);
    for round in 0..ROUNDS {
        let task = fresh_task(&repository).await;
        let stored = match race(&repository, &task, [rename, delete]).await {
            // The update came first: the delete expected a version the task no longer has.
            [Ok(renamed), Err(TaskError::PreconditionFailed { current })]
                if current == renamed.version =>
            {
                Some(renamed)
            }
            // The delete came first: there is nothing left to update.
            [Err(TaskError::NotFound), Ok(deleted)] if deleted == task => None,
            outcomes => panic!("round {round}: {outcomes:?}"),
        };
        assert_eq!(
            repository.get(&user("alice"), task.id).await.ok(),
            stored,
            "round {round}"
        );
    }
}
