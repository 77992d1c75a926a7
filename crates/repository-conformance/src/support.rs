//! Small helpers the checks share: domain values from literals and terse store calls.

use std::fmt::Debug;

use tasks_domain::{
    Description, IdempotencyKey, IdempotentRequest, Limit, ListQuery, NewTask, Offset,
    Precondition, RequestFingerprint, SearchText, Task, TaskId, TaskPage, TaskPatch, Title, UserId,
    Version,
};
use tasks_ports::{TaskError, TaskRepository};

pub(crate) fn user(id: &str) -> UserId {
    UserId::parse(id).expect("a valid user id")
}

pub(crate) fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).expect("a valid title"),
        description: None,
        completed: false,
    }
}

pub(crate) fn described(title: &str, description: &str) -> NewTask {
    NewTask {
        description: Some(Description::parse(description).expect("a valid description")),
        ..new_task(title)
    }
}

pub(crate) fn patch(
    title: Option<&str>,
    description: Option<Option<&str>>,
    completed: Option<bool>,
) -> TaskPatch {
    TaskPatch::new(
        title.map(|title| Title::parse(title).expect("a valid title")),
        description.map(|description| {
            description.map(|text| Description::parse(text).expect("a valid description"))
        }),
        completed,
    )
    .expect("a patch that changes something")
}

pub(crate) fn search(text: &str) -> ListQuery {
    ListQuery {
        search: SearchText::parse(text).expect("a valid search"),
        ..ListQuery::default()
    }
}

/// `query` with another page window.
pub(crate) fn paged(query: &ListQuery, limit: u16, offset: i64) -> ListQuery {
    ListQuery {
        limit: Limit::parse(&limit.to_string()).expect("a valid limit"),
        offset: Offset::parse(&offset.to_string()).expect("a valid offset"),
        ..query.clone()
    }
}

pub(crate) async fn create_all(
    store: &impl TaskRepository,
    owner: &UserId,
    titles: &[&str],
) -> Vec<Task> {
    let mut created = Vec::with_capacity(titles.len());
    for title in titles {
        created.push(create(store, owner, &new_task(title)).await);
    }
    created
}

pub(crate) async fn create(store: &impl TaskRepository, owner: &UserId, task: &NewTask) -> Task {
    store
        .create(owner, task)
        .await
        .unwrap_or_else(|error| panic!("create {:?}: {error:?}", task.title.as_str()))
}

pub(crate) async fn list(
    store: &impl TaskRepository,
    owner: &UserId,
    query: &ListQuery,
) -> TaskPage {
    store
        .list(owner, query)
        .await
        .unwrap_or_else(|error| panic!("list {query:?}: {error:?}"))
}

pub(crate) fn titles(page: &TaskPage) -> Vec<&str> {
    page.tasks.iter().map(|task| task.title.as_str()).collect()
}

pub(crate) fn ids(tasks: &[Task]) -> Vec<TaskId> {
    tasks.iter().map(|task| task.id).collect()
}

pub(crate) fn assert_not_found<T: Debug>(result: Result<T, TaskError>, call: &str) {
    assert!(
        matches!(result, Err(TaskError::NotFound)),
        "{call}: expected NotFound, got {result:?}"
    );
}

pub(crate) fn assert_precondition_failed<T: Debug>(
    result: Result<T, TaskError>,
    current: Version,
    call: &str,
) {
    assert!(
        matches!(result, Err(TaskError::PreconditionFailed { current: reported }) if reported == current),
        "{call}: expected PreconditionFailed {{ current: {current} }}, got {result:?}"
    );
}

/// `If-Match` with these versions.
pub(crate) fn version_in(versions: &[Version]) -> Precondition {
    Precondition::VersionIn(versions.to_vec())
}

pub(crate) fn idempotent(key: &str, fingerprint: &str) -> IdempotentRequest {
    IdempotentRequest {
        key: IdempotencyKey::parse(key).expect("a valid idempotency key"),
        fingerprint: RequestFingerprint::new(fingerprint),
    }
}

/// How many tasks `owner` has.
pub(crate) async fn total(store: &impl TaskRepository, owner: &UserId) -> u64 {
    list(store, owner, &ListQuery::default()).await.total
}
