//! Many writers at once on a multi-threaded runtime.

use std::collections::HashSet;
use std::sync::Arc;

use tasks_domain::{ListQuery, Precondition};
use tasks_ports::TaskRepository;
use tokio::task::JoinSet;

use crate::support::{create, ids, list, new_task, paged, user};

const WRITERS: usize = 50;

/// 50 writers each create a task and toggle one shared task, all at once: every create
/// gets its own id and is listed, and the toggles apply one after another, so their
/// results alternate (half true, half false) and the shared task ends as it began.
///
/// Needs a multi-threaded runtime to be a real test.
pub async fn concurrent_creates_and_toggles_lose_nothing<R: TaskRepository>(store: R) {
    let store = Arc::new(store);
    let alice = user("alice");
    let shared = create(&store, &alice, &new_task("shared")).await;

    let mut writers = JoinSet::new();
    for n in 0..WRITERS {
        let (store, alice) = (Arc::clone(&store), alice.clone());
        writers.spawn(async move {
            let created = store
                .create(&alice, &new_task(&format!("writer {n}")))
                .await;
            let toggled = store
                .toggle_completed(&alice, shared.id, &Precondition::Always)
                .await;
            (
                created.expect("create").id,
                toggled.expect("toggle").completed,
            )
        });
    }
    let results = writers.join_all().await;

    let created: HashSet<_> = results.iter().map(|(id, _)| *id).collect();
    assert_eq!(created.len(), WRITERS, "distinct ids");
    let page = list(&*store, &alice, &paged(&ListQuery::default(), 1000, 0)).await;
    assert_eq!(page.total, WRITERS as u64 + 1);
    let listed: HashSet<_> = ids(&page.tasks).into_iter().collect();
    assert!(created.is_subset(&listed), "every created task is listed");

    let completions = results.iter().filter(|(_, completed)| *completed).count();
    assert_eq!(completions, WRITERS / 2, "toggles that completed the task");
    let shared_now = store.get(&alice, shared.id).await.unwrap();
    assert!(
        !shared_now.completed,
        "{WRITERS} toggles leave it as it was"
    );
}
