//! Graceful shutdown beyond a request still sending its body: a request busy in the
//! database, idle keep-alive connections, and a request that outlasts the shutdown timeout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tasks_store_postgres::testing::TestDatabase;
use tokio_postgres::{Client, NoTls};

use crate::process::{Binary, SECRET, token_for};

const PATIENCE: Duration = Duration::from_secs(20);

fn start(database: &TestDatabase, directory: &std::path::Path, shutdown_timeout: &str) -> Binary {
    Binary::start(
        directory,
        &[
            ("DATABASE_URL", database.url()),
            ("BETTER_AUTH_SECRET", SECRET),
            ("PORT", "0"),
            ("APP__SERVER__SHUTDOWN_TIMEOUT_SECS", shutdown_timeout),
            // A request waiting on a lock waits for the test, not for a statement timeout.
            ("APP__DATABASE__STATEMENT_TIMEOUT_SECS", "120"),
        ],
    )
}

async fn sql_session(database: &TestDatabase) -> Client {
    let (client, connection) = tokio_postgres::connect(database.url(), NoTls)
        .await
        .expect("connects to the test database");
    tokio::spawn(connection);
    client
}

/// Holds a lock that every insert into `tasks` waits for, until `ROLLBACK`.
async fn lock_tasks(database: &TestDatabase) -> Client {
    let lock = sql_session(database).await;
    lock.batch_execute("BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("table locked");
    lock
}

/// Sends a create on a connection of its own and returns it, unanswered.
fn send_create(binary: &Binary) -> TcpStream {
    let body = r#"{"title": "busy in the database"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", binary.port)).expect("connects");
    write!(
        stream,
        "POST /api/alice/tasks HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        token_for("alice"),
        body.len()
    )
    .expect("request sent");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("timeout set");
    stream
}

async fn wait_until_a_statement_waits_for_the_lock(admin: &Client) {
    let deadline = Instant::now() + PATIENCE;
    let waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted \
                   AND relation = 'tasks'::regclass";
    while admin
        .query_one(waiting, &[])
        .await
        .unwrap()
        .get::<_, i64>(0)
        == 0
    {
        assert!(Instant::now() < deadline, "no statement waits for the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn wait_for_line(binary: &Binary, text: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !binary.lines().iter().any(|line| line.contains(text)) {
        assert!(
            Instant::now() < deadline,
            "no line with {text:?}: {:#?}",
            binary.lines()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_all(stream: &mut TcpStream) -> String {
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_request_busy_in_the_database_finish() {
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().expect("temp dir");
    let mut binary = start(&database, directory.path(), "60");
    let lock = lock_tasks(&database).await;
    let mut busy = send_create(&binary);
    wait_until_a_statement_waits_for_the_lock(&lock).await;

    binary.signal("TERM");
    wait_for_line(&binary, "shutting down gracefully");
    assert!(binary.is_running(), "exited with a request in flight");
    lock.batch_execute("ROLLBACK").await.expect("lock released");

    let response = read_all(&mut busy);
    assert!(response.starts_with("HTTP/1.1 201"), "{response:?}");
    let status = binary
        .wait_for_exit(PATIENCE)
        .expect("exits once it is done");
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn sigterm_closes_idle_keep_alive_connections_without_waiting_for_the_timeout() {
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().expect("temp dir");
    // Far longer than the test's patience: waiting for it would fail the test.
    let mut binary = start(&database, directory.path(), "600");
    let mut idle: Vec<_> = (0..3)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", binary.port)).expect("connects");
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .expect("request sent");
            stream
                .set_read_timeout(Some(PATIENCE))
                .expect("timeout set");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut status = String::new();
            reader.read_line(&mut status).expect("status line");
            assert!(status.starts_with("HTTP/1.1 200"), "{status:?}");
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).expect("header");
                if header == "\r\n" {
                    break;
                }
                if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().expect("a length");
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            // Kept open and idle; nothing else is sent on it.
            stream
        })
        .collect();

    binary.signal("TERM");
    let status = binary
        .wait_for_exit(PATIENCE)
        .expect("idle connections held up the exit");
    assert!(status.success(), "exit status {status}");
    for stream in &mut idle {
        assert_eq!(read_all(stream), "", "nothing more on an idle connection");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_longer_than_the_shutdown_timeout_is_cut_and_the_process_exits() {
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().expect("temp dir");
    let mut binary = start(&database, directory.path(), "2");
    let lock = lock_tasks(&database).await;
    let mut stuck = send_create(&binary);
    wait_until_a_statement_waits_for_the_lock(&lock).await;

    binary.signal("TERM");
    // The lock is never released: only the shutdown timeout ends the request.
    let status = binary
        .wait_for_exit(PATIENCE)
        .expect("still running well past the shutdown timeout");
    assert!(status.success(), "exit status {status}");
    let response = read_all(&mut stuck);
    assert!(!response.starts_with("HTTP/1.1 201"), "{response:?}");
    assert!(
        binary
            .lines()
            .iter()
            .any(|line| line.contains("after the shutdown timeout")),
        "{:#?}",
        binary.lines()
    );
    drop(lock);
}
