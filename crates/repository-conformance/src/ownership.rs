//! Another user's tasks: indistinguishable from missing ones, and untouched by the attempt.

use tasks_domain::{ListQuery, Precondition, StatusFilter};
use tasks_ports::TaskRepository;

use crate::support::{
    assert_not_found, create, described, ids, list, new_task, patch, search, user,
};

/// Bob can neither see nor change Alice's task, which is exactly as it was afterwards.
pub async fn other_users_tasks_are_invisible_and_unchanged<R: TaskRepository>(store: R) {
    let (alice, bob) = (user("alice"), user("bob"));
    let secret = create(&store, &alice, &described("secret plan", "alice only")).await;
    let bobs = create(&store, &bob, &new_task("bob's plan")).await;

    assert_not_found(store.get(&bob, secret.id).await, "bob gets alice's task");
    assert_not_found(
        store
            .update(
                &bob,
                secret.id,
                &patch(Some("hijacked"), Some(None), Some(true)),
                &Precondition::Always,
            )
            .await,
        "bob updates alice's task",
    );
    assert_not_found(
        store
            .toggle_completed(&bob, secret.id, &Precondition::Always)
            .await,
        "bob toggles alice's task",
    );
    assert_not_found(
        store.delete(&bob, secret.id, &Precondition::Always).await,
        "bob deletes alice's task",
    );

    let only_bobs = vec![bobs.id];
    for (query, expected) in [
        (ListQuery::default(), &only_bobs),
        (search("plan"), &only_bobs),
        (search("alice"), &vec![]),
        (
            ListQuery {
                status: StatusFilter::Pending,
                ..ListQuery::default()
            },
            &only_bobs,
        ),
    ] {
        let page = list(&store, &bob, &query).await;
        assert_eq!(
            (&ids(&page.tasks), page.total),
            (expected, expected.len() as u64),
            "bob lists {query:?}"
        );
    }
    let page = list(&store, &alice, &ListQuery::default()).await;
    assert_eq!((ids(&page.tasks), page.total), (vec![secret.id], 1));

    assert_eq!(store.get(&alice, secret.id).await.unwrap(), secret);
    assert_not_found(store.get(&alice, bobs.id).await, "alice gets bob's task");
    assert_eq!(store.get(&bob, bobs.id).await.unwrap(), bobs);
}
