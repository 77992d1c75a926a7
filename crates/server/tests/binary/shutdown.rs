use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use tasks_store_postgres::testing::TestDatabase;

use crate::process::{Binary, SECRET, token_for};

/// A request whose body is still arriving when the signal comes completes; a connection
/// opened after the signal is never served; the process exits 0.
async fn finishes_in_flight_requests_on(signal: &str) {
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().expect("temp dir");
    let mut binary = Binary::start(
        directory.path(),
        &[
            ("DATABASE_URL", database.url()),
            ("BETTER_AUTH_SECRET", SECRET),
            ("PORT", "0"),
            ("APP__SERVER__SHUTDOWN_TIMEOUT_SECS", "10"),
        ],
    );

    let body = r#"{"title": "written during shutdown"}"#;
    let (head, tail) = body.split_at(10);
    let mut in_flight = TcpStream::connect(("127.0.0.1", binary.port)).expect("connects");
    write!(
        in_flight,
        "POST /api/alice/tasks HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        token_for("alice"),
        body.len()
    )
    .expect("request head sent");
    in_flight.flush().expect("flushed");
    std::thread::sleep(Duration::from_millis(300));

    binary.signal(signal);
    std::thread::sleep(Duration::from_millis(500));
    // Refused, or left in the kernel's backlog and closed unanswered at exit.
    let late = TcpStream::connect(("127.0.0.1", binary.port))
        .ok()
        .map(|mut late| {
            let _ = late.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
            late
        });

    in_flight
        .write_all(tail.as_bytes())
        .expect("rest of the body sent");
    let mut response = String::new();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout set");
    in_flight
        .read_to_string(&mut response)
        .expect("response read");
    assert!(response.starts_with("HTTP/1.1 201"), "{response:?}");

    if let Some(mut late) = late {
        late.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout set");
        let mut answer = String::new();
        let _ = late.read_to_string(&mut answer);
        assert_eq!(answer, "", "a connection opened after {signal} was served");
    }

    let status = binary
        .wait_for_exit(Duration::from_secs(15))
        .unwrap_or_else(|| panic!("still running after {signal}"));
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    finishes_in_flight_requests_on("TERM").await;
}

#[tokio::test]
async fn sigint_finishes_in_flight_requests_and_exits_zero() {
    finishes_in_flight_requests_on("INT").await;
}
