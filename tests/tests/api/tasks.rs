//! §2 Tasks: the endpoints' happy paths, as the frontend uses them.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use tasks_e2e::{
    Reply, ReplyExt, TestApp, TokenBuilder, complete_path, spawn_app, task_id, task_path,
    tasks_path,
};

/// An RFC 3339 UTC timestamp, written with `Z`.
#[track_caller]
fn timestamp(task: &Value, field: &str) -> DateTime<Utc> {
    let text = task[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string: {task}"));
    assert!(
        text.ends_with('Z'),
        "{field} is not written in UTC with Z: {text}"
    );
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("{field} is not RFC 3339 ({error}): {text}"))
        .with_timezone(&Utc)
}

/// Asserts the contract's task shape, exactly these keys with these types.
#[track_caller]
fn assert_task_shape(task: &Value) {
    let keys: BTreeSet<&str> = task
        .as_object()
        .unwrap_or_else(|| panic!("a task is an object: {task}"))
        .keys()
        .map(String::as_str)
        .collect();
    let expected = BTreeSet::from([
        "id",
        "user_id",
        "title",
        "description",
        "completed",
        "created_at",
        "updated_at",
    ]);
    assert_eq!(keys, expected, "task: {task}");
    assert!(task["id"].is_i64(), "integer id: {task}");
    assert!(task["user_id"].is_string(), "{task}");
    assert!(task["title"].is_string(), "{task}");
    assert!(
        task["description"].is_null() || task["description"].is_string(),
        "{task}"
    );
    assert!(task["completed"].is_boolean(), "{task}");
    timestamp(task, "created_at");
    timestamp(task, "updated_at");
}

async fn update(app: &TestApp, method: Method, id: i64, body: Value) -> Reply {
    app.request_as("alice", method, &task_path("alice", id))
        .json(&body)
        .reply()
        .await
}

/// `PATCH …/complete` with a JSON body.
async fn complete_with(app: &TestApp, id: i64, body: Value) -> Reply {
    app.request_as("alice", Method::PATCH, &complete_path("alice", id))
        .json(&body)
        .reply()
        .await
}

/// `PATCH …/complete` with no body and no content type: a toggle.
async fn toggle(app: &TestApp, id: i64) -> Reply {
    app.request_as("alice", Method::PATCH, &complete_path("alice", id))
        .reply()
        .await
}

#[track_caller]
fn completed(reply: &Reply) -> bool {
    reply.expect(200).body["completed"]
        .as_bool()
        .expect("completed is a boolean")
}

/// Lets the database clock move on, so that a new `updated_at` is visibly later.
async fn a_moment() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

#[tokio::test]
async fn creating_a_task_returns_201_the_task_and_its_location() {
    let app = spawn_app().await;
    let reply = app
        .request_as("alice", Method::POST, &tasks_path("alice"))
        .json(&json!({"title": "  Buy milk \t\n"}))
        .reply()
        .await;
    reply.expect(201);
    let task = &reply.body;
    assert_task_shape(task);
    assert_eq!(task["user_id"], "alice");
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["description"], Value::Null);
    assert_eq!(task["completed"], false);

    let path = task_path("alice", task_id(task));
    let location = reply.header("location").expect("a Location header");
    assert!(
        location == path || location == app.url(&path),
        "Location {location}, expected {path}"
    );
    assert_eq!(
        app.get_task("alice", task_id(task)).await.expect(200).body,
        *task
    );
}

#[tokio::test]
async fn a_task_can_be_created_with_a_description_and_completed() {
    let app = spawn_app().await;
    let task = app
        .create_task(
            "alice",
            json!({"title": "Read", "description": "  chapter 3  ", "completed": true}),
        )
        .await;
    assert_task_shape(&task);
    assert_eq!(
        task["description"], "  chapter 3  ",
        "stored exactly as sent"
    );
    assert_eq!(task["completed"], true);
}

#[tokio::test]
async fn a_task_can_be_read_by_its_id() {
    let app = spawn_app().await;
    let task = app
        .create_task(
            "alice",
            json!({"title": "Call mum", "description": "Sunday"}),
        )
        .await;
    let reply = app.get_task("alice", task_id(&task)).await;
    assert_task_shape(&reply.expect(200).body);
    assert_eq!(reply.body, task);
}

#[tokio::test]
async fn put_changes_only_the_fields_it_is_given() {
    let app = spawn_app().await;
    let task = app
        .create_task("alice", json!({"title": "Walk", "completed": true}))
        .await;
    a_moment().await;

    let reply = update(
        &app,
        Method::PUT,
        task_id(&task),
        json!({"description": "the dog"}),
    )
    .await;
    let updated = &reply.expect(200).body;
    assert_task_shape(updated);
    assert_eq!(updated["description"], "the dog");
    for unchanged in ["id", "user_id", "title", "completed", "created_at"] {
        assert_eq!(updated[unchanged], task[unchanged], "{unchanged}");
    }
    assert!(timestamp(updated, "updated_at") > timestamp(&task, "updated_at"));
    assert_eq!(app.get_task("alice", task_id(&task)).await.body, *updated);
}

#[tokio::test]
async fn put_can_change_every_field_and_trims_the_title() {
    let app = spawn_app().await;
    let task = app.create_task("alice", json!({"title": "Old"})).await;
    let reply = update(
        &app,
        Method::PUT,
        task_id(&task),
        json!({"title": "  New  ", "description": "d", "completed": true}),
    )
    .await;
    let updated = &reply.expect(200).body;
    assert_eq!(updated["title"], "New");
    assert_eq!(updated["description"], "d");
    assert_eq!(updated["completed"], true);
}

#[tokio::test]
async fn patch_is_the_same_as_put() {
    let app = spawn_app().await;
    let task = app.create_task("alice", json!({"title": "Walk"})).await;
    a_moment().await;
    let reply = update(
        &app,
        Method::PATCH,
        task_id(&task),
        json!({"completed": true}),
    )
    .await;
    let updated = &reply.expect(200).body;
    assert_task_shape(updated);
    assert_eq!(updated["completed"], true);
    assert_eq!(updated["title"], "Walk");
    assert_eq!(updated["created_at"], task["created_at"]);
    assert!(timestamp(updated, "updated_at") > timestamp(&task, "updated_at"));
}

#[tokio::test]
async fn a_null_description_clears_it_and_an_empty_one_stays_empty() {
    let app = spawn_app().await;
    let task = app
        .create_task("alice", json!({"title": "t", "description": "something"}))
        .await;
    let id = task_id(&task);

    let cleared = update(&app, Method::PUT, id, json!({"description": null})).await;
    assert_eq!(cleared.expect(200).body["description"], Value::Null);

    let emptied = update(&app, Method::PUT, id, json!({"description": ""})).await;
    assert_eq!(emptied.expect(200).body["description"], "");
    assert_eq!(app.get_task("alice", id).await.body["description"], "");
}

#[tokio::test]
async fn deleting_returns_the_task_which_is_then_gone() {
    let app = spawn_app().await;
    let task = app.create_task("alice", json!({"title": "Doomed"})).await;
    let path = task_path("alice", task_id(&task));

    let deleted = app.request_as("alice", Method::DELETE, &path).reply().await;
    assert_eq!(deleted.expect(200).body, task);

    app.get_task("alice", task_id(&task))
        .await
        .expect_task_not_found();
    app.request_as("alice", Method::DELETE, &path)
        .reply()
        .await
        .expect_task_not_found();
    assert_eq!(app.list_tasks("alice", "").await.total_count(), 0);
}

#[tokio::test]
async fn complete_with_an_empty_body_toggles() {
    let app = spawn_app().await;
    let id = task_id(&app.create_task("alice", json!({"title": "t"})).await);

    assert!(completed(&toggle(&app, id).await));
    assert!(!completed(&toggle(&app, id).await));

    let with_text_plain = app
        .request_as("alice", Method::PATCH, &complete_path("alice", id))
        .header(CONTENT_TYPE, "text/plain")
        .reply()
        .await;
    assert!(completed(&with_text_plain));

    let with_json_and_no_body = app
        .request_as("alice", Method::PATCH, &complete_path("alice", id))
        .header(CONTENT_TYPE, "application/json")
        .reply()
        .await;
    assert!(!completed(&with_json_and_no_body));
}

#[tokio::test]
async fn complete_with_an_empty_object_toggles() {
    let app = spawn_app().await;
    let id = task_id(&app.create_task("alice", json!({"title": "t"})).await);
    assert!(completed(&complete_with(&app, id, json!({})).await));
    assert!(!completed(&complete_with(&app, id, json!({})).await));
}

#[tokio::test]
async fn complete_with_a_boolean_sets_it() {
    let app = spawn_app().await;
    let id = task_id(&app.create_task("alice", json!({"title": "t"})).await);
    for expected in [true, true, false, false, true] {
        let reply = complete_with(&app, id, json!({"completed": expected})).await;
        assert_eq!(completed(&reply), expected);
    }
    assert_eq!(app.get_task("alice", id).await.body["completed"], true);
}

#[tokio::test]
async fn complete_with_null_or_a_non_boolean_is_422() {
    let app = spawn_app().await;
    let task = app.create_task("alice", json!({"title": "t"})).await;
    let id = task_id(&task);
    for value in [json!(null), json!("yes"), json!(1), json!("true")] {
        complete_with(&app, id, json!({"completed": value}))
            .await
            .expect_invalid("completed");
    }
    assert_eq!(app.get_task("alice", id).await.body, task, "unchanged");
}

/// The seed frontend's `fetchWithAuth`: always `Content-Type: application/json`, and it
/// calls `response.json()` on every success.
async fn seed_client_call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let mut request = app
        .client
        .request(method.clone(), app.url(path))
        .header(CONTENT_TYPE, "application/json")
        .header(
            "Authorization",
            format!("Bearer {}", TokenBuilder::for_user("user_2abc").sign()),
        );
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let reply = request.reply().await;
    assert!(
        (200..300).contains(&reply.status),
        "{method} {path}: {} {}",
        reply.status,
        reply.text
    );
    assert!(
        !reply.body.is_null(),
        "{method} {path}: not JSON: {:?}",
        reply.text
    );
    reply.body
}

#[tokio::test]
async fn the_seed_clients_calls_all_succeed() {
    let app = spawn_app().await;
    let user = "user_2abc";

    let created = seed_client_call(
        &app,
        Method::POST,
        &tasks_path(user),
        Some(json!({"title": "From the UI", "description": "seed"})),
    )
    .await;
    let id = task_id(&created);

    let listed = seed_client_call(&app, Method::GET, &tasks_path(user), None).await;
    assert_eq!(listed, json!([created]));
    let fetched = seed_client_call(&app, Method::GET, &task_path(user, id), None).await;
    assert_eq!(fetched, created);

    let updated = seed_client_call(
        &app,
        Method::PUT,
        &task_path(user, id),
        Some(json!({"title": "Renamed", "description": "edited"})),
    )
    .await;
    assert_eq!(updated["title"], "Renamed");

    let toggled = seed_client_call(&app, Method::PATCH, &complete_path(user, id), None).await;
    assert_eq!(toggled["completed"], true);

    let deleted = seed_client_call(&app, Method::DELETE, &task_path(user, id), None).await;
    assert_eq!(deleted["id"], id);
    assert_eq!(deleted["completed"], true);
}

#[tokio::test]
async fn a_whole_task_sent_back_updates_it_and_read_only_fields_are_ignored() {
    let app = spawn_app().await;
    let task = app.create_task("alice", json!({"title": "Original"})).await;
    let id = task_id(&task);

    let mut edited = task.clone();
    edited["title"] = json!("Edited");
    edited["completed"] = json!(true);
    let reply = update(&app, Method::PUT, id, edited).await;
    assert_eq!(reply.expect(200).body["title"], "Edited");

    let mut forged = reply.body.clone();
    forged["id"] = json!(id + 1000);
    forged["user_id"] = json!("mallory");
    forged["created_at"] = json!("2000-01-01T00:00:00Z");
    forged["updated_at"] = json!("2000-01-01T00:00:00Z");
    let reply = update(&app, Method::PUT, id, forged).await;
    let stored = &reply.expect(200).body;
    assert_eq!(stored["id"], id);
    assert_eq!(stored["user_id"], "alice");
    assert_eq!(stored["created_at"], task["created_at"]);
    assert!(timestamp(stored, "updated_at") > timestamp(&task, "updated_at"));
    app.get_task("alice", id + 1000)
        .await
        .expect_task_not_found();
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let app = spawn_app().await;
    let task = app
        .create_task(
            "alice",
            json!({"title": "t", "priority": "high", "tags": ["a"], "due": null}),
        )
        .await;
    assert_task_shape(&task);

    let reply = update(
        &app,
        Method::PUT,
        task_id(&task),
        json!({"completed": true, "priority": 3}),
    )
    .await;
    assert_task_shape(&reply.expect(200).body);
    assert_eq!(reply.body["completed"], true);
}
