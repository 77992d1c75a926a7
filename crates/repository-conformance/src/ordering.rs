//! List order by every key in both directions, and pages that never skip nor repeat.

use tasks_domain::{ListQuery, Precondition, SortKey, SortOrder, TaskId};
use tasks_ports::TaskRepository;

use crate::support::{create_all, ids, list, paged, patch, titles, user};

fn sorted(sort: SortKey, order: Option<SortOrder>) -> ListQuery {
    ListQuery {
        sort,
        order,
        ..ListQuery::default()
    }
}

const EVERY_ORDER: [(SortKey, SortOrder); 6] = [
    (SortKey::Created, SortOrder::Asc),
    (SortKey::Created, SortOrder::Desc),
    (SortKey::Updated, SortOrder::Asc),
    (SortKey::Updated, SortOrder::Desc),
    (SortKey::Title, SortOrder::Asc),
    (SortKey::Title, SortOrder::Desc),
];

/// Newest first by default; oldest first when asked.
pub async fn created_order_both_directions<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let created = ids(&create_all(&store, &alice, &["first", "second", "third"]).await);
    let newest_first: Vec<TaskId> = created.iter().rev().copied().collect();

    let default = list(&store, &alice, &ListQuery::default()).await;
    assert_eq!(ids(&default.tasks), newest_first, "default order");
    let desc = list(
        &store,
        &alice,
        &sorted(SortKey::Created, Some(SortOrder::Desc)),
    )
    .await;
    assert_eq!(ids(&desc.tasks), newest_first, "created desc");
    let asc = list(
        &store,
        &alice,
        &sorted(SortKey::Created, Some(SortOrder::Asc)),
    )
    .await;
    assert_eq!(ids(&asc.tasks), created, "created asc");
}

/// The most recently updated or toggled first by default; the reverse when asked.
pub async fn updated_order_both_directions<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let [a, b, c] = <[_; 3]>::try_from(create_all(&store, &alice, &["a", "b", "c"]).await)
        .expect("three tasks");
    store
        .update(
            &alice,
            a.id,
            &patch(Some("a2"), None, None),
            &Precondition::Always,
        )
        .await
        .unwrap();
    store
        .toggle_completed(&alice, b.id, &Precondition::Always)
        .await
        .unwrap();

    let default = list(&store, &alice, &sorted(SortKey::Updated, None)).await;
    assert_eq!(
        ids(&default.tasks),
        vec![b.id, a.id, c.id],
        "updated, default"
    );
    let desc = list(
        &store,
        &alice,
        &sorted(SortKey::Updated, Some(SortOrder::Desc)),
    )
    .await;
    assert_eq!(ids(&desc.tasks), vec![b.id, a.id, c.id], "updated desc");
    let asc = list(
        &store,
        &alice,
        &sorted(SortKey::Updated, Some(SortOrder::Asc)),
    )
    .await;
    assert_eq!(ids(&asc.tasks), vec![c.id, a.id, b.id], "updated asc");
}

/// Titles order by their Unicode lowercase forms, code point by code point, A to Z by
/// default; equal forms by id in the same direction.
pub async fn title_order_folds_case_both_directions<R: TaskRepository>(store: R) {
    let alice = user("alice");
    create_all(
        &store,
        &alice,
        &[
            "b",
            "Äpfel",
            "a",
            "B",
            "Zebra",
            "ähre",
            "Éclair",
            "apfel",
            "🦀 crab",
            "Ωmega",
        ],
    )
    .await;
    // "b" was created before "B": with equal lowercase forms, the id decides.
    let expected = [
        "a",
        "apfel",
        "b",
        "B",
        "Zebra",
        "ähre",
        "Äpfel",
        "Éclair",
        "Ωmega",
        "🦀 crab",
    ];
    let reversed: Vec<&str> = expected.iter().rev().copied().collect();

    let default = list(&store, &alice, &sorted(SortKey::Title, None)).await;
    assert_eq!(titles(&default), expected, "title, default");
    let asc = list(
        &store,
        &alice,
        &sorted(SortKey::Title, Some(SortOrder::Asc)),
    )
    .await;
    assert_eq!(titles(&asc), expected, "title asc");
    let desc = list(
        &store,
        &alice,
        &sorted(SortKey::Title, Some(SortOrder::Desc)),
    )
    .await;
    assert_eq!(titles(&desc), reversed, "title desc");
}

/// In every order, small pages laid end to end are the whole list, each page with the
/// full total, even where sort keys tie.
pub async fn pages_concatenate_to_the_full_list<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let tasks = create_all(
        &store,
        &alice,
        &["same", "Same", "other", "same", "x", "X", "SAME"],
    )
    .await;
    store
        .toggle_completed(&alice, tasks[1].id, &Precondition::Always)
        .await
        .unwrap();
    store
        .update(
            &alice,
            tasks[4].id,
            &patch(Some("same"), None, None),
            &Precondition::Always,
        )
        .await
        .unwrap();

    for (sort, order) in EVERY_ORDER {
        let query = sorted(sort, Some(order));
        let whole = list(&store, &alice, &paged(&query, 1000, 0)).await;
        assert_eq!(whole.total, 7, "{sort:?} {order:?}");
        for limit in [1_u16, 2, 3] {
            let mut pages = Vec::new();
            for offset in (0_i64..=7).step_by(usize::from(limit)) {
                let page = list(&store, &alice, &paged(&query, limit, offset)).await;
                assert_eq!(
                    page.total, 7,
                    "{sort:?} {order:?} limit {limit} offset {offset}"
                );
                pages.extend(ids(&page.tasks));
            }
            assert_eq!(
                pages,
                ids(&whole.tasks),
                "{sort:?} {order:?} in pages of {limit}"
            );
        }
    }
}
