//! What the HTTP tests share: the app over in-memory ports, and requests and replies.

// Each test crate uses its own part of this module.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::web;
use serde_json::Value;
use tasks_http::EventHeartbeat;
use tasks_ports::in_memory::{FixedTokens, InMemoryTaskRepository};
use tasks_ports::{ChangeHub, TaskService, TokenVerifier};

pub const ALICE: &str = "alice-token";
pub const BOB: &str = "bob-token";

pub fn tokens() -> FixedTokens {
    FixedTokens::default()
        .with_subject(ALICE, "alice")
        .with_subject(BOB, "bob")
}

/// The app over a fresh in-memory store.
pub async fn app() -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    app_over(ChangeHub::default(), tokens(), EventHeartbeat::DEFAULT).await
}

/// The app over a fresh in-memory store that announces its writes to `hub`, with event
/// streams that send a keep-alive every `heartbeat`.
pub async fn app_over<V: TokenVerifier>(
    hub: ChangeHub,
    verifier: V,
    heartbeat: EventHeartbeat,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    let store = InMemoryTaskRepository::default().announcing_to(hub.clone());
    test::init_service(
        tasks_http::app(
            web::Data::new(TaskService::new(Arc::new(store), hub)),
            web::Data::new(verifier),
            Vec::new(),
            tasks_http::BodyReadTimeout::DEFAULT,
        )
        .app_data(heartbeat),
    )
    .await
}

/// A short heartbeat, for tests that wait for keep-alives.
pub const QUICK_HEARTBEAT: EventHeartbeat = EventHeartbeat(Duration::from_millis(50));

pub fn authed(method: Method, path: &str, token: &str) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
}

/// A whole answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub text: String,
    /// The body as JSON; `Null` when empty.
    pub body: Value,
}

impl Reply {
    /// The header's value, which must be there.
    #[track_caller]
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} on a {} answer: {}", self.status, self.text))
            .to_str()
            .unwrap()
    }

    /// The `ETag`, which must be a strong entity tag.
    #[track_caller]
    pub fn etag(&self) -> String {
        let tag = self.header("etag");
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() >= 3,
            "a strong entity tag: {tag}"
        );
        tag.to_owned()
    }

    /// Asserts the status and the `detail` of an error answer.
    #[track_caller]
    pub fn expect_detail(&self, status: StatusCode, detail: &str) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["detail"], detail, "{}", self.text);
        self
    }

    /// The task id in the body.
    #[track_caller]
    pub fn id(&self) -> i64 {
        self.body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no task id: {}", self.text))
    }
}

pub async fn call(
    app: &impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    request: TestRequest,
) -> Reply {
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    let text = String::from_utf8(bytes.to_vec()).expect("a UTF-8 body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// Creates a task for alice.
pub async fn create(
    app: &impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    title: &str,
) -> Reply {
    let reply = call(
        app,
        authed(Method::POST, "/api/alice/tasks", ALICE)
            .set_json(serde_json::json!({"title": title})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply
}
