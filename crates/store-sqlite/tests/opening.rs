//! Opening a store: the file and its directories on first start, the same tasks on the next,
//! and private in-memory databases.

use std::fs;

use tasks_domain::{ListQuery, NewTask, Title, UserId};
use tasks_ports::TaskRepository;
use tasks_store_sqlite::{SetupError, SqliteTaskRepository, sqlite_path_from_url};

fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).unwrap(),
        description: None,
        completed: false,
    }
}

#[tokio::test]
async fn first_start_creates_the_file_and_the_next_finds_the_tasks() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("data/nested/tasks.db");
    let alice = UserId::parse("alice").unwrap();

    let first = SqliteTaskRepository::open(&path).unwrap();
    assert!(path.is_file());
    let task = first.create(&alice, &new_task("survives")).await.unwrap();
    drop(first);

    let reopened = SqliteTaskRepository::open(&path).unwrap();
    assert_eq!(reopened.get(&alice, task.id).await.unwrap(), task);
}

#[tokio::test]
async fn in_memory_databases_are_private() {
    let path = sqlite_path_from_url("sqlite::memory:").unwrap();
    let (first, second) = (
        SqliteTaskRepository::open(&path).unwrap(),
        SqliteTaskRepository::open(&path).unwrap(),
    );
    let alice = UserId::parse("alice").unwrap();
    let task = first.create(&alice, &new_task("only here")).await.unwrap();

    assert_eq!(first.get(&alice, task.id).await.unwrap(), task);
    let elsewhere = second.list(&alice, &ListQuery::default()).await.unwrap();
    assert_eq!(elsewhere.total, 0);
    second.ping().await.unwrap();
}

#[test]
fn a_directory_that_cannot_be_made_is_a_setup_error() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("a file");
    fs::write(&file, "").unwrap();

    let error = SqliteTaskRepository::open(&file.join("tasks.db")).unwrap_err();
    assert!(
        matches!(&error, SetupError::CreateDirectory { path, .. } if *path == file),
        "{error:?}"
    );
}
