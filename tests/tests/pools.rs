//! Each worker has a pool of its own; together they stay within `max_connections`.

use futures_util::future::join_all;
use reqwest::Method;
use tasks_e2e::{ReplyExt, spawn_app_with, tasks_path};
use tasks_store_postgres::testing::TestDatabase;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_pools_share_max_connections() {
    let database = TestDatabase::create().await;
    // Two workers (the test default) sharing three connections: pools of two and one.
    let app = spawn_app_with(&[
        ("DATABASE_URL", database.url()),
        ("APP__DATABASE__MAX_CONNECTIONS", "3"),
    ])
    .await;

    for _ in 0..5 {
        let lists = (0..40).map(|_| {
            app.request_as("alice", Method::GET, &tasks_path("alice"))
                .reply()
        });
        for reply in join_all(lists).await {
            reply.expect(200);
        }
    }
    let sessions = database.sessions().await;
    assert!(
        (2..=3).contains(&sessions),
        "{sessions} sessions for two workers sharing three connections"
    );
}
