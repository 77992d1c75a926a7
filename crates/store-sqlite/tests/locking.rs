//! Another connection holding the write lock, as another process could: writes wait out
//! the busy timeout and then fail as `Unavailable`; reads go on meanwhile (WAL).

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use tasks_domain::{NewTask, Title, UserId};
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_sqlite::SqliteTaskRepository;

fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).unwrap(),
        description: None,
        completed: false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_locked_out_past_the_busy_timeout_are_unavailable() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tasks.db");
    let repository = SqliteTaskRepository::open(&path).unwrap();
    let alice = UserId::parse("alice").unwrap();
    let task = repository
        .create(&alice, &new_task("before"))
        .await
        .unwrap();

    let mut other = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    other.batch_execute("BEGIN IMMEDIATE").unwrap();

    let started = Instant::now();
    let blocked = repository.create(&alice, &new_task("blocked")).await;
    assert!(
        matches!(blocked, Err(TaskError::Unavailable(_))),
        "{blocked:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "gave up too soon"
    );
    assert_eq!(repository.get(&alice, task.id).await.unwrap(), task);

    other.batch_execute("ROLLBACK").unwrap();
    repository.create(&alice, &new_task("after")).await.unwrap();
}
