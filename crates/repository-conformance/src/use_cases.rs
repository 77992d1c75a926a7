//! Each use case on its own: create, get, update, toggle, delete, ping.

use chrono::{TimeDelta, Utc};
use tasks_domain::{Description, ListQuery, NewTask, Precondition, TaskId, Title};
use tasks_ports::TaskRepository;

use crate::support::{assert_not_found, create, described, list, new_task, patch, user};

/// What `create` returns is what `get` reads back, with the store's id and timestamps.
pub async fn create_then_get_round_trips<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let task = NewTask {
        title: Title::parse("  Buy milk \n").unwrap(),
        description: Some(Description::parse("2 litres").unwrap()),
        completed: true,
    };
    let created = create(&store, &alice, &task).await;
    assert!(created.id.can_exist(), "id {}", created.id);
    assert_eq!(created.user_id, alice);
    assert_eq!(created.title.as_str(), "Buy milk");
    assert_eq!(created.description, task.description);
    assert!(created.completed);
    assert_eq!(created.created_at, created.updated_at);
    let age = Utc::now() - created.created_at;
    assert!(
        age.abs() < TimeDelta::minutes(1),
        "created_at {} is not the current UTC time",
        created.created_at
    );
    assert_eq!(store.get(&alice, created.id).await.unwrap(), created);

    let second = create(&store, &alice, &new_task("Buy bread")).await;
    assert_ne!(second.id, created.id);
    assert_eq!(second.description, None);
    assert!(!second.completed);
}

/// `""` stays `""` and no description stays none, through create, update and list.
pub async fn empty_and_absent_descriptions_stay_apart<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let empty = create(&store, &alice, &described("empty", "")).await;
    let absent = create(&store, &alice, &new_task("absent")).await;
    assert_eq!(
        empty.description.as_ref().map(Description::as_str),
        Some("")
    );
    assert_eq!(absent.description, None);
    assert_eq!(store.get(&alice, empty.id).await.unwrap(), empty);
    assert_eq!(store.get(&alice, absent.id).await.unwrap(), absent);
    assert_eq!(
        list(&store, &alice, &ListQuery::default()).await.tasks,
        vec![absent.clone(), empty]
    );

    let emptied = store
        .update(
            &alice,
            absent.id,
            &patch(None, Some(Some("")), None),
            &Precondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(
        emptied.description.as_ref().map(Description::as_str),
        Some("")
    );
}

/// A title of 200 characters and a description of 1000, multibyte ones, are kept whole.
pub async fn longest_title_and_description_are_kept<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let title = format!("{}{}", "ä".repeat(100), "🦀".repeat(100));
    let description = format!("{}🎉", "ß".repeat(999));
    let created = create(&store, &alice, &described(&title, &description)).await;
    assert_eq!(created.title.as_str(), title);
    assert_eq!(
        created.description.as_ref().map(Description::as_str),
        Some(description.as_str())
    );
    assert_eq!(store.get(&alice, created.id).await.unwrap(), created);
    assert_eq!(
        list(&store, &alice, &ListQuery::default()).await.tasks,
        vec![created]
    );
}

/// A patch changes the fields it names and leaves the others; `Some(None)` clears the
/// description.
pub async fn update_changes_only_what_the_patch_names<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let task = create(&store, &alice, &described("draft", "notes")).await;
    let update = async |patch| {
        let updated = store
            .update(&alice, task.id, &patch, &Precondition::Always)
            .await
            .unwrap();
        assert_eq!(store.get(&alice, task.id).await.unwrap(), updated);
        updated
    };

    let retitled = update(patch(Some("final"), None, None)).await;
    assert_eq!(retitled.title.as_str(), "final");
    assert_eq!(retitled.description, task.description);
    assert!(!retitled.completed);

    let cleared = update(patch(None, Some(None), None)).await;
    assert_eq!(cleared.title.as_str(), "final");
    assert_eq!(cleared.description, None);

    let completed = update(patch(None, None, Some(true))).await;
    assert!(completed.completed);
    assert_eq!(completed.title.as_str(), "final");

    let everything = update(patch(Some("again"), Some(Some("new")), Some(false))).await;
    assert_eq!(everything.title.as_str(), "again");
    assert_eq!(
        everything.description.as_ref().map(Description::as_str),
        Some("new")
    );
    assert!(!everything.completed);
    assert_eq!(everything.id, task.id);
    assert_eq!(everything.user_id, task.user_id);
}

/// Every update moves `updated_at` forward and leaves `created_at`.
pub async fn update_moves_updated_at_not_created_at<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let task = create(&store, &alice, &new_task("draft")).await;
    let first = store
        .update(
            &alice,
            task.id,
            &patch(Some("first"), None, None),
            &Precondition::Always,
        )
        .await
        .unwrap();
    let second = store
        .update(
            &alice,
            task.id,
            &patch(None, None, Some(false)),
            &Precondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(first.created_at, task.created_at);
    assert_eq!(second.created_at, task.created_at);
    assert!(
        first.updated_at > task.updated_at,
        "{} after {}",
        first.updated_at,
        task.updated_at
    );
    assert!(
        second.updated_at > first.updated_at,
        "{} after {}",
        second.updated_at,
        first.updated_at
    );
}

/// A toggle flips `completed`, moves `updated_at` and leaves everything else.
pub async fn toggle_flips_completed_and_moves_updated_at<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let task = create(&store, &alice, &described("chore", "weekly")).await;
    let done = store
        .toggle_completed(&alice, task.id, &Precondition::Always)
        .await
        .unwrap();
    assert!(done.completed);
    assert!(done.updated_at > task.updated_at);
    assert_eq!(done.created_at, task.created_at);
    assert_eq!(
        (&done.title, &done.description),
        (&task.title, &task.description)
    );
    assert_eq!(store.get(&alice, task.id).await.unwrap(), done);

    let undone = store
        .toggle_completed(&alice, task.id, &Precondition::Always)
        .await
        .unwrap();
    assert!(!undone.completed);
    assert!(undone.updated_at > done.updated_at);
    assert_eq!(undone.created_at, task.created_at);
}

/// `delete` returns the task as it was; afterwards every call on it is `NotFound`, and the
/// other tasks stay.
pub async fn delete_returns_the_task_and_removes_it<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let doomed = create(&store, &alice, &described("doomed", "bye")).await;
    let doomed = store
        .toggle_completed(&alice, doomed.id, &Precondition::Always)
        .await
        .unwrap();
    let kept = create(&store, &alice, &new_task("kept")).await;

    assert_eq!(
        store
            .delete(&alice, doomed.id, &Precondition::Always)
            .await
            .unwrap(),
        doomed
    );
    assert_not_found(store.get(&alice, doomed.id).await, "get after delete");
    assert_not_found(
        store.delete(&alice, doomed.id, &Precondition::Always).await,
        "second delete",
    );
    assert_not_found(
        store
            .update(
                &alice,
                doomed.id,
                &patch(Some("back"), None, None),
                &Precondition::Always,
            )
            .await,
        "update after delete",
    );
    assert_not_found(
        store
            .toggle_completed(&alice, doomed.id, &Precondition::Always)
            .await,
        "toggle after delete",
    );
    let page = list(&store, &alice, &ListQuery::default()).await;
    assert_eq!((page.tasks, page.total), (vec![kept], 1));

    let next = create(&store, &alice, &new_task("next")).await;
    assert_ne!(
        next.id, doomed.id,
        "a deleted task's id was handed out again"
    );
}

/// Ids that were never handed out, impossible ones included, name no task.
pub async fn ids_never_assigned_are_not_found<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let task = create(&store, &alice, &new_task("only")).await;
    let unassigned = [task.id.get() + 1000, i64::MAX, 0, -1, i64::MIN];
    for id in unassigned.map(TaskId::new) {
        assert_not_found(store.get(&alice, id).await, &format!("get {id}"));
        assert_not_found(
            store
                .update(
                    &alice,
                    id,
                    &patch(Some("x"), None, None),
                    &Precondition::Always,
                )
                .await,
            &format!("update {id}"),
        );
        assert_not_found(
            store
                .toggle_completed(&alice, id, &Precondition::Always)
                .await,
            &format!("toggle {id}"),
        );
        assert_not_found(
            store.delete(&alice, id, &Precondition::Always).await,
            &format!("delete {id}"),
        );
    }
    assert_eq!(store.get(&alice, task.id).await.unwrap(), task);
}

/// A reachable store answers `ping`.
pub async fn ping_answers<R: TaskRepository>(store: R) {
    store.ping().await.expect("ping");
}
