use serde_json::Value;
use tasks_store_postgres::testing::TestDatabase;

use crate::process::{Binary, SECRET, token_for};

/// In production every line is JSON; each request line names the request id, method,
/// path, status, latency and, once known, the user; no token or secret ever appears.
#[tokio::test]
async fn production_logs_are_json_request_lines_without_secrets() {
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().expect("temp dir");
    let binary = Binary::start(
        directory.path(),
        &[
            ("APP_ENV", "production"),
            ("HOST", "127.0.0.1"),
            ("DATABASE_URL", database.url()),
            ("BETTER_AUTH_SECRET", SECRET),
            ("PORT", "0"),
        ],
    );
    let client = reqwest::Client::new();
    let token = token_for("alice");
    let created = client
        .post(binary.url("/api/alice/tasks"))
        .bearer_auth(&token)
        .header("x-request-id", "log-test-1")
        .json(&serde_json::json!({"title": "logged"}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(created.status(), 201);
    let rejected = client
        .get(binary.url("/api/alice/tasks"))
        .bearer_auth(format!("{token}x"))
        .header("x-request-id", "log-test-2")
        .send()
        .await
        .expect("request sent");
    assert_eq!(rejected.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let lines = binary.lines();
    let events: Vec<Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"))
        })
        .collect();
    let request_line = |id: &str| {
        events
            .iter()
            .find(|event| {
                event["message"] == "request finished"
                    && event.to_string().contains(&format!("\"{id}\""))
            })
            .unwrap_or_else(|| panic!("no request line for {id}: {lines:#?}"))
            .clone()
    };
    let first = request_line("log-test-1").to_string();
    for expected in [
        "\"POST\"",
        "/api/alice/tasks",
        "\"status\":201",
        "latency_ms",
        "\"user_id\":\"alice\"",
    ] {
        assert!(first.contains(expected), "{expected} missing from {first}");
    }
    assert!(
        request_line("log-test-2")
            .to_string()
            .contains("\"status\":401")
    );

    let everything = lines.join("\n");
    assert!(!everything.contains(&token), "a token was logged");
    assert!(!everything.contains(SECRET), "the secret was logged");
}
