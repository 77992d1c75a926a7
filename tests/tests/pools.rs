//! Each worker has connections of its own; together they stay within `max_connections`.
//! Beside them a replica holds one session that listens for changes.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;
use tasks_e2e::{ReplyExt, spawn_app_with, tasks_path};
use tasks_store_postgres::SessionRole;
use tasks_store_postgres::testing::TestDatabase;

/// Request sessions open after rounds of writes (`writes_at_once` at a time) and 40
/// concurrent reads, each checked; the one listening session is checked beside them.
async fn sessions_after_busy_rounds(
    max_connections: &str,
    pipeline_reads: &str,
    writes_at_once: usize,
) -> i64 {
    let database = TestDatabase::create().await;
    let app = spawn_app_with(&[
        ("DATABASE_URL", database.url()),
        ("APP__DATABASE__MAX_CONNECTIONS", max_connections),
        ("APP__DATABASE__PIPELINE_READS", pipeline_reads),
    ])
    .await;

    let path = tasks_path("alice");
    for round in 0..5 {
        let creates = (0..writes_at_once).map(|n| {
            app.request_as("alice", Method::POST, &path)
                .json(&json!({ "title": format!("task {round}.{n}") }))
                .reply()
        });
        for reply in join_all(creates).await {
            reply.expect(201);
        }
        let lists = (0..40).map(|_| app.request_as("alice", Method::GET, &path).reply());
        for reply in join_all(lists).await {
            reply.expect(200);
        }
    }
    assert_eq!(database.sessions_in_role(SessionRole::Listener).await, 1);
    database.sessions_in_role(SessionRole::Requests).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_share_max_connections() {
    // Two workers (the test default) sharing three connections: shares of two and one.
    // The first reads on a session of its own and writes on the other; one connection
    // cannot be split, so the second reads and writes on it.
    for pipeline_reads in ["true", "false"] {
        let sessions = sessions_after_busy_rounds("3", pipeline_reads, 20).await;
        assert!(
            (2..=3).contains(&sessions),
            "{sessions} sessions for two workers sharing three connections \
             (pipeline_reads={pipeline_reads})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_share_a_session_per_worker() {
    // Shares of five each. One write at a time needs one pooled connection per worker.
    let pipelined = sessions_after_busy_rounds("10", "true", 1).await;
    let pooled = sessions_after_busy_rounds("10", "false", 1).await;
    // A read session and a pooled connection per worker, at most.
    assert!((1..=4).contains(&pipelined), "{pipelined} sessions");
    // The 40 concurrent lists open pooled connections up to the limit instead.
    assert!((5..=10).contains(&pooled), "{pooled} sessions");
}
