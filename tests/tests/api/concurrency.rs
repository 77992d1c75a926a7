//! §2: toggles are one atomic statement, and creates do not trip over each other.

use std::collections::HashSet;

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;
use tasks_e2e::{ReplyExt, complete_path, spawn_app, task_id, tasks_path};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_toggles_are_atomic() {
    let app = spawn_app().await;
    let id = task_id(&app.create_task("alice", json!({"title": "flip"})).await);

    let toggles = (0..101).map(|_| {
        app.request_as("alice", Method::PATCH, &complete_path("alice", id))
            .reply()
    });
    // Toggles applied one after another from false answer true, false, true, ...: a lost
    // update answers the same value twice, which the count or the final value shows.
    let completions = join_all(toggles)
        .await
        .into_iter()
        .filter(|reply| reply.expect(200).body["completed"] == true)
        .count();
    assert_eq!(completions, 51, "toggles that completed the task");
    let task = app.get_task("alice", id).await;
    assert_eq!(
        task.expect(200).body["completed"],
        true,
        "101 toggles from false"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_all_succeed() {
    let app = spawn_app().await;
    let creates = (0..200).map(|n| {
        app.request_as("alice", Method::POST, &tasks_path("alice"))
            .json(&json!({"title": format!("task {n}")}))
            .reply()
    });
    let created: Vec<i64> = join_all(creates)
        .await
        .iter()
        .map(|reply| task_id(&reply.expect(201).body))
        .collect();
    let distinct: HashSet<i64> = created.iter().copied().collect();
    assert_eq!(distinct.len(), 200, "ids are distinct");

    let listed = app.list_tasks("alice", "limit=1000").await;
    let listed_ids: HashSet<i64> = listed.expect(200).ids().into_iter().collect();
    assert_eq!(listed_ids, distinct);
    assert_eq!(listed.total_count(), 200);
}
