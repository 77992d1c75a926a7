use std::sync::Arc;

use tasks_domain::{Description, Precondition, TaskId, TaskPatch};
use tasks_ports::{TaskError, TaskRepository};
use tokio::task::JoinSet;

use crate::support::{described, fresh_repository, new_task, retitle, sql_session, user};

#[tokio::test]
async fn create_stores_what_was_asked_and_get_returns_it() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");

    let created = repository
        .create(&alice, &described("Buy milk", ""))
        .await
        .unwrap();
    assert!(created.id.can_exist());
    assert_eq!(created.user_id, alice);
    assert_eq!(created.title.as_str(), "Buy milk");
    // An empty description stays empty, not null.
    assert_eq!(
        created.description.as_ref().map(Description::as_str),
        Some("")
    );
    assert!(!created.completed);
    assert_eq!(created.created_at, created.updated_at);

    assert_eq!(repository.get(&alice, created.id).await.unwrap(), created);
}

#[tokio::test]
async fn create_keeps_completed_and_long_unicode_text() {
    let (_database, repository) = fresh_repository().await;
    let title = "🦀".repeat(200);
    let description = "é".repeat(1000);
    let mut task = described(&title, &description);
    task.completed = true;

    let created = repository.create(&user("alice"), &task).await.unwrap();
    assert!(created.completed);
    assert_eq!(created.title.as_str(), title);
    assert_eq!(created.description.unwrap().as_str(), description);
}

#[tokio::test]
async fn update_changes_only_what_the_patch_names_and_moves_updated_at() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    let task = repository
        .create(&alice, &described("draft", "notes"))
        .await
        .unwrap();

    let renamed = repository
        .update(&alice, task.id, &retitle("final"), &Precondition::Always)
        .await
        .unwrap();
    assert_eq!(renamed.title.as_str(), "final");
    assert_eq!(renamed.description, task.description);
    assert!(!renamed.completed);
    assert_eq!(renamed.created_at, task.created_at);
    assert!(renamed.updated_at > task.updated_at);

    let cleared = repository
        .update(
            &alice,
            task.id,
            &TaskPatch::new(None, Some(None), Some(true)).unwrap(),
            &Precondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(cleared.title.as_str(), "final");
    assert_eq!(cleared.description, None);
    assert!(cleared.completed);
    assert!(cleared.updated_at > renamed.updated_at);

    assert_eq!(repository.get(&alice, task.id).await.unwrap(), cleared);
}

#[tokio::test]
async fn toggle_flips_completed_and_moves_updated_at() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    let task = repository.create(&alice, &new_task("t")).await.unwrap();

    let done = repository
        .toggle_completed(&alice, task.id, &Precondition::Always)
        .await
        .unwrap();
    assert!(done.completed);
    assert!(done.updated_at > task.updated_at);
    let undone = repository
        .toggle_completed(&alice, task.id, &Precondition::Always)
        .await
        .unwrap();
    assert!(!undone.completed);
    assert!(undone.updated_at > done.updated_at);
}

#[tokio::test]
async fn delete_returns_the_task_as_it_was_and_removes_it() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    let task = repository.create(&alice, &new_task("t")).await.unwrap();

    assert_eq!(
        repository
            .delete(&alice, task.id, &Precondition::Always)
            .await
            .unwrap(),
        task
    );
    assert!(matches!(
        repository.get(&alice, task.id).await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        repository
            .delete(&alice, task.id, &Precondition::Always)
            .await,
        Err(TaskError::NotFound)
    ));
}

#[tokio::test]
async fn missing_ids_are_not_found() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    for id in [
        TaskId::new(1),
        TaskId::new(0),
        TaskId::new(-1),
        TaskId::new(i64::MAX),
    ] {
        assert!(matches!(
            repository.get(&alice, id).await,
            Err(TaskError::NotFound)
        ));
        assert!(matches!(
            repository
                .update(&alice, id, &retitle("x"), &Precondition::Always)
                .await,
            Err(TaskError::NotFound)
        ));
        assert!(matches!(
            repository
                .toggle_completed(&alice, id, &Precondition::Always)
                .await,
            Err(TaskError::NotFound)
        ));
        assert!(matches!(
            repository.delete(&alice, id, &Precondition::Always).await,
            Err(TaskError::NotFound)
        ));
    }
}

#[tokio::test]
async fn another_users_task_is_invisible_and_untouched() {
    let (_database, repository) = fresh_repository().await;
    let (alice, bob) = (user("alice"), user("bob"));
    let task = repository
        .create(&alice, &new_task("secret"))
        .await
        .unwrap();

    assert!(matches!(
        repository.get(&bob, task.id).await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        repository
            .update(&bob, task.id, &retitle("mine"), &Precondition::Always)
            .await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        repository
            .toggle_completed(&bob, task.id, &Precondition::Always)
            .await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        repository
            .delete(&bob, task.id, &Precondition::Always)
            .await,
        Err(TaskError::NotFound)
    ));
    let bobs = repository.list(&bob, &Default::default()).await.unwrap();
    assert_eq!((bobs.tasks.len(), bobs.total), (0, 0));

    // User ids are compared exactly.
    assert!(matches!(
        repository.get(&user("Alice"), task.id).await,
        Err(TaskError::NotFound)
    ));
    assert_eq!(repository.get(&alice, task.id).await.unwrap(), task);
}

#[tokio::test]
async fn concurrent_toggles_are_never_lost() {
    let (_database, repository) = fresh_repository().await;
    let repository = Arc::new(repository);
    let alice = user("alice");
    let task = repository.create(&alice, &new_task("t")).await.unwrap();

    let mut toggles = JoinSet::new();
    for _ in 0..101 {
        let (repository, alice) = (Arc::clone(&repository), alice.clone());
        toggles.spawn(async move {
            repository
                .toggle_completed(&alice, task.id, &Precondition::Always)
                .await
        });
    }
    let mut completions = 0;
    while let Some(toggled) = toggles.join_next().await {
        completions += usize::from(toggled.unwrap().unwrap().completed);
    }
    // Toggles applied one after another from false answer true, false, true, ...: a lost
    // update answers the same value twice, which the count or the final value shows.
    assert_eq!(completions, 51, "toggles that completed the task");
    assert!(repository.get(&alice, task.id).await.unwrap().completed);
}

#[tokio::test]
async fn concurrent_creates_are_all_stored() {
    let (_database, repository) = fresh_repository().await;
    let repository = Arc::new(repository);
    let alice = user("alice");

    let mut creates = JoinSet::new();
    for n in 0..200 {
        let (repository, alice) = (Arc::clone(&repository), alice.clone());
        creates.spawn(async move {
            repository
                .create(&alice, &new_task(&format!("task {n}")))
                .await
        });
    }
    let mut ids = Vec::new();
    while let Some(created) = creates.join_next().await {
        ids.push(created.unwrap().unwrap().id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);

    let query = tasks_domain::ListQuery {
        limit: tasks_domain::Limit::parse("1000").unwrap(),
        ..Default::default()
    };
    let page = repository.list(&alice, &query).await.unwrap();
    assert_eq!((page.tasks.len(), page.total), (200, 200));
}

#[tokio::test]
async fn ping_answers_when_the_database_is_up() {
    let (_database, repository) = fresh_repository().await;
    repository.ping().await.unwrap();
}

#[tokio::test]
async fn a_stored_row_that_breaks_a_domain_rule_is_unexpected() {
    let (database, repository) = fresh_repository().await;
    let client = sql_session(&database).await;
    // Passes the table's checks, but a title of only whitespace is empty to the domain.
    let id: i64 = client
        .query_one(
            "INSERT INTO tasks (user_id, title) VALUES ('alice', '   ') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);

    let fetched = repository.get(&user("alice"), TaskId::new(id)).await;
    assert!(
        matches!(fetched, Err(TaskError::Unexpected(_))),
        "{fetched:?}"
    );
}
