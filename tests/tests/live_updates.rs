//! §7 live updates across replicas: two instances on one PostgreSQL, and a stream opened on
//! one carries, in order, the changes made through the other.

use reqwest::Method;
use serde_json::json;
use tasks_e2e::{ReplyExt, spawn_app, task_id, task_path};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_one_replica_carries_the_changes_made_through_another() {
    let first = spawn_app().await;
    let second = first.spawn_replica(&[]).await;
    let mut on_first = first.events("alice").await;
    let mut on_second = second.events("alice").await;
    let mut bobs_on_first = first.events("bob").await;

    let mut expected = Vec::new();
    for n in 0..5 {
        let task = second
            .create_task("alice", json!({ "title": format!("task {n}") }))
            .await;
        expected.push(("task.created", task.clone()));
        let renamed = second
            .request_as("alice", Method::PATCH, &task_path("alice", task_id(&task)))
            .json(&json!({ "title": format!("renamed {n}") }))
            .reply()
            .await;
        expected.push(("task.updated", renamed.expect(200).body.clone()));
    }
    let gone = second
        .request_as(
            "alice",
            Method::DELETE,
            &task_path("alice", task_id(&expected[0].1)),
        )
        .reply()
        .await;
    expected.push(("task.deleted", gone.expect(200).body.clone()));

    for stream in [&mut on_first, &mut on_second] {
        for (name, task) in &expected {
            let event = stream.expect_event().await;
            assert_eq!((event.name.as_str(), event.json()), (*name, task.clone()));
        }
    }

    // Bob's stream got none of Alice's changes: his own comes first.
    first.create_task("bob", json!({"title": "bob's"})).await;
    assert_eq!(bobs_on_first.expect_event().await.json()["title"], "bob's");
}
