//! §1: a token only opens its own `/api/{user_id}/…`, and that is decided before the
//! task id, the body or the database are looked at.

use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use tasks_e2e::{
    ReplyExt, TestApp, TokenBuilder, complete_path, spawn_app, spawn_app_with, task_id, task_path,
    tasks_path,
};

const FORBIDDEN: &str = "Not authorized to access this resource";

/// Every route of `owner`'s, with a valid JSON body where the route takes one.
fn every_route(owner: &str, id: i64) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, tasks_path(owner), None),
        (Method::POST, tasks_path(owner), Some(json!({"title": "t"}))),
        (Method::GET, task_path(owner, id), None),
        (
            Method::PUT,
            task_path(owner, id),
            Some(json!({"title": "t"})),
        ),
        (
            Method::PATCH,
            task_path(owner, id),
            Some(json!({"title": "t"})),
        ),
        (Method::DELETE, task_path(owner, id), None),
        (Method::PATCH, complete_path(owner, id), None),
    ]
}

#[tokio::test]
async fn another_users_token_gets_403_on_every_route() {
    let app = spawn_app().await;
    let task = app.create_task("alice", json!({"title": "Alice's"})).await;
    for (method, path, body) in every_route("alice", task_id(&task)) {
        let mut request = app.request_as("bob", method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.reply().await;
        assert_eq!(reply.status, 403, "{method} {path}: {}", reply.text);
        reply.expect_detail(403, FORBIDDEN);
    }
    assert_eq!(app.get_task("alice", task_id(&task)).await.body, task);
}

/// The characters JavaScript's `encodeURIComponent` leaves as they are.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

fn encode_uri_component(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

#[tokio::test]
async fn a_sub_with_any_character_reaches_its_own_tasks_when_encoded() {
    let app = spawn_app().await;
    for sub in ["a+b", "100%", "a/b", "a b", "Zoë 日本", "a%2Fb", "+/ %é?#"] {
        let user = encode_uri_component(sub);
        let token = TokenBuilder::for_user(sub).sign();
        let created = app
            .request_with_token(&token, Method::POST, &tasks_path(&user))
            .json(&json!({"title": "mine"}))
            .reply()
            .await;
        created.expect(201);
        assert_eq!(created.body["user_id"], sub, "{sub}");
        let id = task_id(&created.body);
        for (method, path, body) in [
            (Method::GET, tasks_path(&user), None),
            (Method::GET, task_path(&user, id), None),
            (
                Method::PATCH,
                task_path(&user, id),
                Some(json!({"title": "t"})),
            ),
            (Method::PATCH, complete_path(&user, id), None),
            (Method::DELETE, task_path(&user, id), None),
        ] {
            let mut request = app.request_with_token(&token, method.clone(), &path);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let reply = request.reply().await;
            assert_eq!(reply.status, 200, "{sub}: {method} {path}: {}", reply.text);
        }
    }
}

#[tokio::test]
async fn the_decoded_user_id_must_match_the_sub_byte_for_byte() {
    let app = spawn_app().await;
    for (sub, path_user) in [
        ("a+b", "a%20b"),
        ("a/b", "a%252Fb"),
        ("Alice", "alice"),
        // The same letter, composed and decomposed: no Unicode normalisation.
        ("Zo\u{eb}", "Zoe%CC%88"),
        // Not UTF-8 once decoded: never anyone's id.
        ("\u{fffd}", "%FF"),
    ] {
        let token = TokenBuilder::for_user(sub).sign();
        let reply = app
            .request_with_token(&token, Method::GET, &tasks_path(path_user))
            .reply()
            .await;
        assert_eq!(reply.status, 403, "{sub} vs {path_user}: {}", reply.text);
        reply.expect_detail(403, FORBIDDEN);
    }
}

#[tokio::test]
async fn forbidden_comes_before_the_task_id_is_parsed() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::GET, task_path("other", "abc")),
        (Method::DELETE, task_path("other", "abc")),
        (Method::PATCH, complete_path("other", "1.5")),
    ] {
        let reply = app.request_as("alice", method, &path).reply().await;
        reply.expect_detail(403, FORBIDDEN);
    }
}

#[tokio::test]
async fn forbidden_comes_before_the_body_is_read() {
    let app = spawn_app().await;
    let not_json = app
        .request_as("bob", Method::POST, &tasks_path("alice"))
        .header(CONTENT_TYPE, "text/plain")
        .body("{not json")
        .reply()
        .await;
    not_json.expect_detail(403, FORBIDDEN);

    let too_large = app
        .request_as("bob", Method::PUT, &task_path("alice", 1))
        .header(CONTENT_TYPE, "application/json")
        .body(format!(r#"{{"title": "{}"}}"#, "x".repeat(70 * 1024)))
        .reply()
        .await;
    too_large.expect_detail(403, FORBIDDEN);
}

#[tokio::test]
async fn another_users_task_is_invisible_and_untouched() {
    let app = spawn_app().await;
    let task = app
        .create_task(
            "alice",
            json!({"title": "Alice's", "description": "private"}),
        )
        .await;
    let id = task_id(&task);

    let bobs_list = app.list_tasks("bob", "q=Alice").await;
    assert_eq!(bobs_list.expect(200).tasks(), &[] as &[Value]);
    assert_eq!(bobs_list.total_count(), 0);

    app.get_task("bob", id).await.expect_task_not_found();
    let attempts = [
        (
            Method::PUT,
            task_path("bob", id),
            Some(json!({"title": "mine"})),
        ),
        (
            Method::PATCH,
            task_path("bob", id),
            Some(json!({"completed": true})),
        ),
        (Method::PATCH, complete_path("bob", id), None),
        (
            Method::PATCH,
            complete_path("bob", id),
            Some(json!({"completed": true})),
        ),
        (Method::DELETE, task_path("bob", id), None),
    ];
    for (method, path, body) in attempts {
        let mut request = app.request_as("bob", method, &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.reply().await.expect_task_not_found();
    }

    assert_eq!(app.get_task("alice", id).await.expect(200).body, task);
}

/// An app whose database cannot be reached (nothing listens on port 1).
async fn spawn_app_without_database() -> TestApp {
    spawn_app_with(&[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nowhere"),
        ("APP__DATABASE__MIGRATE_ON_START", "false"),
    ])
    .await
}

#[tokio::test]
async fn forbidden_is_decided_without_the_database() {
    let app = spawn_app_without_database().await;
    let started = Instant::now();
    let reply = app
        .request_as("bob", Method::GET, &tasks_path("alice"))
        .reply()
        .await;
    reply.expect_detail(403, FORBIDDEN);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_database_is_503_with_retry_after() {
    let app = spawn_app_without_database().await;
    for request in [
        app.request_as("alice", Method::GET, &tasks_path("alice")),
        app.request_as("alice", Method::POST, &tasks_path("alice"))
            .json(&json!({"title": "t"})),
        app.request_as("alice", Method::GET, &task_path("alice", 1)),
    ] {
        let started = Instant::now();
        let reply = request
            .header("Origin", "http://localhost:3000")
            .reply()
            .await;
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        reply.expect_error(503);
        let retry_after: u64 = reply
            .header("retry-after")
            .expect("a Retry-After header")
            .parse()
            .expect("Retry-After in seconds");
        assert!(retry_after >= 1);
        assert_eq!(
            reply.header("access-control-allow-origin").as_deref(),
            Some("http://localhost:3000"),
            "CORS headers on 503 too"
        );
    }
}

#[tokio::test]
async fn probes_report_an_unreachable_database() {
    let app = spawn_app_without_database().await;
    let health = app.request(Method::GET, "/health").reply().await;
    assert_eq!(health.expect(200).body, json!({"status": "ok"}));

    let started = Instant::now();
    let ready = app.request(Method::GET, "/ready").reply().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        ready.expect(503).body,
        json!({"status": "unavailable", "checks": {"database": "unavailable"}})
    );
}
