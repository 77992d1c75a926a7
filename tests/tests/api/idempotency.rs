//! §7 safe retries: a create repeated with its `Idempotency-Key` gets the first answer
//! again and creates nothing, across instances and restarts.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use tasks_e2e::{Reply, ReplyExt, TestApp, spawn_app, task_id, task_path, tasks_path};

fn create_with_key(app: &TestApp, user: &str, key: &str, body: &str) -> reqwest::RequestBuilder {
    app.request_as(user, Method::POST, &tasks_path(user))
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
}

async fn total(app: &TestApp, user: &str) -> u64 {
    app.list_tasks(user, "limit=1")
        .await
        .expect(200)
        .total_count()
}

/// Asserts that `repeat` is `first` again, marked as replayed.
#[track_caller]
fn assert_replay_of(repeat: &Reply, first: &Reply) {
    repeat.expect(201);
    assert_eq!(
        repeat.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(repeat.body, first.body, "the stored body");
    assert_eq!(repeat.header("location"), first.header("location"));
    assert_eq!(repeat.header("etag"), first.header("etag"));
}

#[tokio::test]
async fn a_repeat_replays_the_first_answer_and_creates_nothing() {
    let app = spawn_app().await;
    let first = create_with_key(
        &app,
        "alice",
        "k-1",
        r#"{"title": "once", "completed": false}"#,
    )
    .reply()
    .await;
    first.expect(201);
    assert_eq!(first.header("idempotent-replayed"), None);

    // The same JSON, spelled otherwise.
    let repeat = create_with_key(
        &app,
        "alice",
        "k-1",
        r#"{ "completed":false,"title":"once" }"#,
    )
    .reply()
    .await;
    assert_replay_of(&repeat, &first);
    assert_eq!(total(&app, "alice").await, 1);

    // Even after the task changed, the replay is the answer to the create.
    let id = task_id(&first.body);
    app.request_as("alice", Method::PUT, &task_path("alice", id))
        .json(&json!({"title": "renamed"}))
        .reply()
        .await
        .expect(200);
    let later = create_with_key(
        &app,
        "alice",
        "k-1",
        r#"{"title":"once","completed":false}"#,
    )
    .reply()
    .await;
    assert_replay_of(&later, &first);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    create_with_key(&app, "alice", "k", r#"{"title": "a"}"#)
        .reply()
        .await
        .expect(201);
    let other = create_with_key(&app, "alice", "k", r#"{"title": "b"}"#)
        .reply()
        .await;
    assert_eq!(
        other.body["detail"], "Idempotency-Key was used with a different request",
        "{}",
        other.text
    );
    assert_eq!(other.status, 422);
    assert_eq!(total(&app, "alice").await, 1);
}

#[tokio::test]
async fn keys_belong_to_their_user_and_requests_without_one_are_unchanged() {
    let app = spawn_app().await;
    let alices = create_with_key(&app, "alice", "shared", r#"{"title": "a"}"#)
        .reply()
        .await;
    let bobs = create_with_key(&app, "bob", "shared", r#"{"title": "a"}"#)
        .reply()
        .await;
    assert_eq!(bobs.expect(201).header("idempotent-replayed"), None);
    assert_ne!(task_id(&alices.body), task_id(&bobs.body));

    for _ in 0..2 {
        app.create_task("alice", json!({"title": "a"})).await;
    }
    assert_eq!(total(&app, "alice").await, 3, "no key, no deduplication");
}

#[tokio::test]
async fn bad_keys_are_400_and_create_nothing() {
    let app = spawn_app().await;
    let too_long = "k".repeat(256);
    for key in ["", "with space", "tab\there", too_long.as_str()] {
        let reply = app
            .request_as("alice", Method::POST, &tasks_path("alice"))
            .header("Idempotency-Key", key)
            .json(&json!({"title": "x"}))
            .reply()
            .await;
        reply.expect_error(400);
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key"),
            "{}",
            reply.text
        );
    }
    assert_eq!(total(&app, "alice").await, 0);
    create_with_key(&app, "alice", &"k".repeat(255), r#"{"title": "x"}"#)
        .reply()
        .await
        .expect(201);
}

#[tokio::test]
async fn an_invalid_body_is_not_remembered() {
    let app = spawn_app().await;
    create_with_key(&app, "alice", "fix-me", r#"{"title": ""}"#)
        .reply()
        .await
        .expect_invalid("title");
    create_with_key(&app, "alice", "fix-me", r#"{"title": "fixed"}"#)
        .reply()
        .await
        .expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_repeats_create_one_task() {
    let app = spawn_app().await;
    let repeats =
        (0..16).map(|_| create_with_key(&app, "alice", "burst", r#"{"title": "burst"}"#).reply());
    let replies = join_all(repeats).await;
    let mut ids = Vec::new();
    for reply in &replies {
        match reply.status {
            201 => ids.push(task_id(&reply.body)),
            409 => {
                reply.expect_error(409);
                assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
            }
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert!(!ids.is_empty(), "at least the first one created it");
    assert!(ids.iter().all(|id| *id == ids[0]), "one task: {ids:?}");
    assert_eq!(total(&app, "alice").await, 1);
    let after = create_with_key(&app, "alice", "burst", r#"{"title": "burst"}"#)
        .reply()
        .await;
    assert_eq!(task_id(&after.expect(201).body), ids[0]);
}

#[tokio::test]
async fn a_repeat_through_another_instance_or_after_a_restart_replays() {
    let app = spawn_app().await;
    let first = create_with_key(&app, "alice", "survives", r#"{"title": "kept"}"#)
        .reply()
        .await;
    first.expect(201);
    let replica = app.spawn_replica(&[]).await;
    let repeat = create_with_key(&replica, "alice", "survives", r#"{"title": "kept"}"#)
        .reply()
        .await;
    assert_replay_of(&repeat, &first);
    let listed: Vec<Value> = replica.list_tasks("alice", "").await.tasks().to_vec();
    assert_eq!(listed.len(), 1);
}
