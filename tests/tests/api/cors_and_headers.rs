//! §4 Every response: request ids, cache and sniffing headers on `/api/`, and CORS.

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, RequestBuilder};
use serde_json::json;
use tasks_e2e::{
    Reply, ReplyExt, TestApp, spawn_app, spawn_app_with, task_id, task_path, tasks_path,
};

const FRONTEND: &str = "http://localhost:3000";
const EXPOSED: [&str; 7] = [
    "x-total-count",
    "link",
    "location",
    "x-request-id",
    "etag",
    "retry-after",
    "idempotent-replayed",
];

/// A selection of answers, success and error, from `/api/` routes; each request built
/// fresh so that headers can be added.
async fn api_requests(app: &TestApp) -> Vec<(u16, RequestBuilder)> {
    let task = app.create_task("alice", json!({"title": "t"})).await;
    let id = task_id(&task);
    vec![
        (
            200,
            app.request_as("alice", Method::GET, &tasks_path("alice")),
        ),
        (
            201,
            app.request_as("alice", Method::POST, &tasks_path("alice"))
                .json(&json!({"title": "new"})),
        ),
        (
            200,
            app.request_as("alice", Method::GET, &task_path("alice", id)),
        ),
        (401, app.request(Method::GET, &tasks_path("alice"))),
        (
            403,
            app.request_as("bob", Method::GET, &tasks_path("alice")),
        ),
        (
            422,
            app.request_as("alice", Method::GET, &task_path("alice", "abc")),
        ),
        (
            404,
            app.request_as("alice", Method::GET, &task_path("alice", id + 1000)),
        ),
        (404, app.request(Method::GET, "/api/alice/nothing")),
        (
            405,
            app.request_as("alice", Method::DELETE, &tasks_path("alice")),
        ),
    ]
}

fn uuid_in(reply: &Reply) -> uuid::Uuid {
    let id = reply.header("x-request-id").expect("an X-Request-Id");
    uuid::Uuid::parse_str(&id).unwrap_or_else(|_| panic!("not a UUID: {id}"))
}

#[tokio::test]
async fn a_plain_request_id_is_echoed_on_every_response() {
    let app = spawn_app().await;
    let longest = format!("{}.-_", "a1B2".repeat(31)); // 128 characters
    for id in ["abc-123_X.y", "0", longest.as_str()] {
        let mut probes: Vec<(u16, RequestBuilder)> = api_requests(&app).await;
        probes.push((200, app.request(Method::GET, "/health")));
        probes.push((404, app.request(Method::GET, "/nowhere")));
        for (status, request) in probes {
            let reply = request.header("x-request-id", id).reply().await;
            reply.expect(status);
            assert_eq!(reply.header("x-request-id").as_deref(), Some(id));
        }
    }
}

#[tokio::test]
async fn a_missing_or_unacceptable_request_id_is_replaced_by_a_uuid() {
    let app = spawn_app().await;
    let too_long = "a".repeat(129);
    let unacceptable: [&[u8]; 5] = [
        b"has space",
        b"semi;colon",
        b"slash/",
        too_long.as_bytes(),
        "ünïcode".as_bytes(),
    ];
    for id in unacceptable {
        let value = HeaderValue::from_bytes(id).expect("a header value");
        for request in [
            app.request_as("alice", Method::GET, &tasks_path("alice")),
            app.request(Method::GET, &tasks_path("alice")),
        ] {
            let reply = request.header("x-request-id", value.clone()).reply().await;
            uuid_in(&reply);
        }
    }
    let first = uuid_in(&app.request(Method::GET, "/health").reply().await);
    let second = uuid_in(&app.request(Method::GET, "/health").reply().await);
    assert_ne!(first, second, "a new id for each request");
}

#[tokio::test]
async fn api_responses_are_never_cached_or_sniffed() {
    let app = spawn_app().await;
    for (status, request) in api_requests(&app).await {
        let reply = request.reply().await;
        reply.expect(status);
        assert_eq!(
            reply.header("cache-control").as_deref(),
            Some("no-store"),
            "{status}"
        );
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{status}"
        );
    }
}

#[tokio::test]
async fn api_headers_do_not_depend_on_how_the_path_is_spelled() {
    let app = spawn_app().await;
    app.create_task("alice", json!({"title": "t"})).await;
    for path in [
        "//api/alice/tasks",
        "/api//alice/tasks/",
        "/%61pi/alice/tasks",
        "/%61%70%69/alice/tasks",
    ] {
        for (status, request) in [
            (200, app.request_as("alice", Method::GET, path)),
            (401, app.request(Method::GET, path)),
        ] {
            let reply = request.reply().await;
            assert_eq!(reply.status, status, "{path}: {}", reply.text);
            assert_eq!(
                reply.header("cache-control").as_deref(),
                Some("no-store"),
                "{status} {path}"
            );
            assert_eq!(
                reply.header("x-content-type-options").as_deref(),
                Some("nosniff"),
                "{status} {path}"
            );
        }
    }
}

fn preflight(app: &TestApp, origin: &str, method: &str) -> RequestBuilder {
    app.request(Method::OPTIONS, &task_path("alice", 1))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, x-request-id, if-match, if-none-match, idempotency-key",
        )
}

/// The comma-separated values of a header, lowercased.
fn listed(reply: &Reply, name: &str) -> Vec<String> {
    reply
        .header(name)
        .unwrap_or_default()
        .split(',')
        .map(|value| value.trim().to_lowercase())
        .filter(|value| !value.is_empty())
        .collect()
}

#[track_caller]
fn assert_preflight_allowed(reply: &Reply, origin: &str, method: &str) {
    assert!(
        (200..300).contains(&reply.status),
        "preflight: {} {}",
        reply.status,
        reply.text
    );
    assert_eq!(
        reply.header("access-control-allow-origin").as_deref(),
        Some(origin)
    );
    assert_eq!(
        reply.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let methods = listed(reply, "access-control-allow-methods");
    assert!(
        methods.contains(&method.to_lowercase()),
        "methods: {methods:?}"
    );
    let headers = listed(reply, "access-control-allow-headers");
    for header in [
        "authorization",
        "content-type",
        "x-request-id",
        "if-match",
        "if-none-match",
        "idempotency-key",
    ] {
        assert!(headers.contains(&header.to_owned()), "headers: {headers:?}");
    }
}

#[track_caller]
fn assert_cors_allowed(reply: &Reply, origin: &str) {
    assert_eq!(
        reply.header("access-control-allow-origin").as_deref(),
        Some(origin),
        "{} {}",
        reply.status,
        reply.text
    );
    assert_eq!(
        reply.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let exposed = listed(reply, "access-control-expose-headers");
    for header in EXPOSED {
        assert!(exposed.contains(&header.to_owned()), "exposed: {exposed:?}");
    }
}

#[track_caller]
fn assert_no_cors(reply: &Reply) {
    let cors: Vec<&HeaderName> = reply
        .headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .collect();
    assert!(
        cors.is_empty(),
        "CORS headers for a foreign origin on a {} answer: {cors:?}",
        reply.status
    );
}

#[tokio::test]
async fn a_preflight_from_the_frontend_is_allowed_without_a_token() {
    let app = spawn_app().await;
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let reply = preflight(&app, FRONTEND, method).reply().await;
        assert_preflight_allowed(&reply, FRONTEND, method);
    }
}

#[tokio::test]
async fn answers_to_the_frontend_carry_cors_headers_errors_included() {
    let app = spawn_app().await;
    for (status, request) in api_requests(&app).await {
        let reply = request.header("Origin", FRONTEND).reply().await;
        reply.expect(status);
        assert_cors_allowed(&reply, FRONTEND);
    }
}

#[tokio::test]
async fn a_foreign_origin_gets_no_cors_headers() {
    let app = spawn_app().await;
    let origin = "https://evil.example";
    assert_no_cors(&preflight(&app, origin, "PUT").reply().await);
    for (status, request) in api_requests(&app).await {
        let reply = request.header("Origin", origin).reply().await;
        assert_eq!(reply.status, status, "{}", reply.text);
        assert_no_cors(&reply);
    }
}

#[tokio::test]
async fn cors_origins_replace_the_default() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "https://a.example,https://b.example")]).await;
    for origin in ["https://a.example", "https://b.example"] {
        assert_preflight_allowed(&preflight(&app, origin, "PUT").reply().await, origin, "PUT");
        let reply = app
            .request_as("alice", Method::GET, &tasks_path("alice"))
            .header("Origin", origin)
            .reply()
            .await;
        assert_cors_allowed(reply.expect(200), origin);
    }
    assert_no_cors(&preflight(&app, FRONTEND, "PUT").reply().await);
    let reply = app
        .request_as("alice", Method::GET, &tasks_path("alice"))
        .header("Origin", FRONTEND)
        .reply()
        .await;
    assert_no_cors(reply.expect(200));
}
