use std::time::Duration;

use tasks_domain::{Description, NewTask, Precondition, TaskId, TaskPatch, Title, UserId};
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::testing::TestDatabase;
use tasks_store_postgres::{PostgresSettings, PostgresTaskRepository};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout};
use tokio_postgres::{Client, NoTls};

pub fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

pub fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).unwrap(),
        description: None,
        completed: false,
    }
}

pub fn described(title: &str, description: &str) -> NewTask {
    NewTask {
        description: Some(Description::parse(description).unwrap()),
        ..new_task(title)
    }
}

pub fn retitle(title: &str) -> TaskPatch {
    TaskPatch::new(Some(Title::parse(title).unwrap()), None, None).unwrap()
}

/// A repository on a fresh database; keep the database alive as long as the repository.
pub async fn fresh_repository() -> (TestDatabase, PostgresTaskRepository) {
    let database = TestDatabase::create().await;
    let repository = PostgresTaskRepository::connect(&PostgresSettings::new(database.url()))
        .expect("valid settings");
    (database, repository)
}

/// A generous bound for "answers instead of hanging"; not a speed requirement.
pub const PROMPTLY: Duration = Duration::from_secs(10);

/// Asserts the call failed as unavailable because the database missed its deadline.
pub fn assert_past_deadline<T: std::fmt::Debug>(result: &Result<T, TaskError>) {
    assert!(
        matches!(result, Err(TaskError::Unavailable(source))
            if source.to_string().contains("did not answer")),
        "{result:?}"
    );
}

/// A plain session on the test database, for setting up what the repository cannot.
pub async fn sql_session(database: &TestDatabase) -> Client {
    let (client, connection) = tokio_postgres::connect(database.url(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// A `postgres://` URL of a local server that accepts connections and never says a word,
/// like a half-open peer; it stops when the handle is aborted.
pub async fn silent_server() -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "postgres://postgres@{}/tasks",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    (url, server)
}

/// A task whose row another session holds locked, so that the next write on it waits.
/// The lock goes when the returned session does.
pub async fn locked_task(
    database: &TestDatabase,
    repository: &PostgresTaskRepository,
) -> (TaskId, Client) {
    let task = repository
        .create(&user("alice"), &new_task("locked"))
        .await
        .unwrap();
    let locker = sql_session(database).await;
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM tasks WHERE id = {} FOR UPDATE",
            task.id.get()
        ))
        .await
        .unwrap();
    (task.id, locker)
}

/// Starts a retitle of `id` in the background: it waits on the row lock.
pub fn blocked_update(
    repository: &PostgresTaskRepository,
    id: TaskId,
) -> JoinHandle<Result<(), TaskError>> {
    let repository = repository.clone();
    tokio::spawn(async move {
        repository
            .update(&user("alice"), id, &retitle("late"), &Precondition::Always)
            .await
            .map(drop)
    })
}

/// Waits until some session of the test database waits on a row lock.
pub async fn until_one_waits_on_a_lock(admin: &Client) {
    timeout(PROMPTLY, async {
        loop {
            let row = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .await
                .unwrap();
            if row.get::<_, i64>(0) > 0 {
                return;
            }
            sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the update waits on the lock");
}
