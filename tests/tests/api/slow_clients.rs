//! A client that stops sending part-way through its body gets a JSON 408 and loses the
//! connection, instead of holding it (and a worker's attention) for ever.

use std::time::Duration;

use serde_json::Value;
use tasks_e2e::{TokenBuilder, spawn_app_with, tasks_path};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[tokio::test]
async fn a_body_that_stops_arriving_is_a_json_408() {
    let app = spawn_app_with(&[("APP__SERVER__BODY_READ_TIMEOUT_SECS", "1")]).await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connected");
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\":",
        tasks_path("alice"),
        TokenBuilder::for_user("alice").sign(),
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    // The rest of the body never comes; the server answers and closes the connection.
    let mut answer = Vec::new();
    timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the server gave up on the body well within 20 s")
        .expect("the answer was read");
    let answer = String::from_utf8(answer).expect("a UTF-8 answer");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    assert!(body["detail"].is_string(), "{body}");
}
