//! An event stream over a real connection: its first bytes arrive at once, and when the
//! client goes away the stream's subscription goes too, freeing its place.

mod support;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpServer, web};
use support::{ALICE, QUICK_HEARTBEAT, tokens};
use tasks_ports::in_memory::InMemoryTaskRepository;
use tasks_ports::{ChangeHub, TaskService};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for what it expects: generous, not a speed bound.
const WAIT: Duration = Duration::from_secs(10);

#[actix_web::test]
async fn a_closed_connection_frees_its_stream() {
    let hub = ChangeHub::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let serving = hub.clone();
    let server = HttpServer::new(move || {
        let store = InMemoryTaskRepository::default().announcing_to(serving.clone());
        tasks_http::app(
            web::Data::new(TaskService::new(Arc::new(store), serving.clone())),
            web::Data::new(tokens()),
            Vec::new(),
            tasks_http::BodyReadTimeout::DEFAULT,
        )
        .app_data(QUICK_HEARTBEAT)
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let mut connection = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /api/alice/tasks/events HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {ALICE}\r\n\r\n"
    );
    connection.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    tokio::time::timeout(WAIT, async {
        while !String::from_utf8_lossy(&received).contains(": stream open") {
            let mut chunk = [0; 1024];
            let read = connection.read(&mut chunk).await.unwrap();
            assert_ne!(read, 0, "the server closed the stream");
            received.extend_from_slice(&chunk[..read]);
        }
    })
    .await
    .expect("the stream's first line, at once");
    let head = String::from_utf8_lossy(&received);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    assert_eq!(hub.open_streams(), 1);

    drop(connection);
    // The server notices at its next write: a keep-alive, soon.
    tokio::time::timeout(WAIT, async {
        while hub.open_streams() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the subscription is dropped with the connection");
    handle.stop(true).await;
}
