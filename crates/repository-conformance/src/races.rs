//! Writers racing with the same precondition: the check and the write are one step, so no
//! two of them can both see the version they expect.

use std::sync::Arc;

use tasks_domain::Version;
use tasks_ports::{TaskError, TaskRepository};
use tokio::sync::Barrier;

use crate::support::{create, new_task, patch, user, version_in};

const ROUNDS: usize = 25;

/// Two updates carrying the task's current version, released together: exactly one is
/// applied, the other fails with the winner's version, and the task is the winner's. Over
/// many rounds.
///
/// Needs a multi-threaded runtime to be a real test.
pub async fn concurrent_updates_of_one_version_let_exactly_one_win<R: TaskRepository>(store: R) {
    let store = Arc::new(store);
    let alice = user("alice");
    let mut task = create(&*store, &alice, &new_task("contended")).await;

    for round in 0..ROUNDS {
        let expected = version_in(&[task.version]);
        let start = Arc::new(Barrier::new(2));
        let racers = ["left", "right"].map(|side| {
            let (store, alice, start) = (Arc::clone(&store), alice.clone(), Arc::clone(&start));
            let (id, precondition) = (task.id, expected.clone());
            let title = format!("{side} {round}");
            tokio::spawn(async move {
                start.wait().await;
                store
                    .update(&alice, id, &patch(Some(&title), None, None), &precondition)
                    .await
            })
        });
        let mut outcomes = Vec::with_capacity(2);
        for racer in racers {
            outcomes.push(racer.await.expect("a racer panicked"));
        }

        let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        let winner = winners[0].clone();
        assert_eq!(winner.version, task.version.next(), "round {round}");
        let loser = outcomes.into_iter().find(Result::is_err);
        assert!(
            matches!(loser, Some(Err(TaskError::PreconditionFailed { current })) if current == winner.version),
            "round {round}: the loser got {loser:?}"
        );
        assert_eq!(store.get(&alice, task.id).await.unwrap(), winner);
        task = winner;
    }
    assert_eq!(task.version, Version::new(ROUNDS as i64 + 1));
}
