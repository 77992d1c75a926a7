//! The HTTP layer against in-memory ports: status codes, headers and bodies.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::web;
use serde_json::{Value, json};
use tasks_ports::in_memory::{FixedTokens, InMemoryTaskRepository};
use tasks_ports::{AuthError, ChangeHub, TaskService};

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";
const EXPIRED: &str = "expired-token";
const NO_KEYS: &str = "no-keys-token";
const ORIGIN: &str = "http://localhost:3000";

fn tokens() -> FixedTokens {
    FixedTokens::default()
        .with_subject(ALICE, "alice")
        .with_subject(BOB, "bob")
        .with_error(EXPIRED, AuthError::Expired)
        .with_error(
            NO_KEYS,
            AuthError::KeysUnavailable {
                retry_after: std::time::Duration::from_secs(7),
            },
        )
}

/// The app over a store the test keeps a handle on.
async fn app(
    store: Arc<InMemoryTaskRepository>,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(tasks_http::app(
        web::Data::new(TaskService::new(store, ChangeHub::default())),
        web::Data::new(tokens()),
        vec![ORIGIN.to_owned()],
        tasks_http::BodyReadTimeout::DEFAULT,
    ))
    .await
}

fn authed(method: Method, path: &str, token: &str) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
}

fn json_request(method: Method, path: &str, token: &str, body: &Value) -> TestRequest {
    authed(method, path, token).set_json(body)
}

async fn call(
    app: &impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    request: TestRequest,
) -> (StatusCode, header::HeaderMap, Value) {
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {bytes:?}"))
    };
    (status, headers, body)
}

fn header_str<'a>(headers: &'a header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .to_str()
        .unwrap()
}

#[actix_web::test]
async fn create_get_list_update_complete_delete() {
    let app = app(Arc::default()).await;
    let (status, headers, created) = call(
        &app,
        json_request(
            Method::POST,
            "/api/alice/tasks",
            ALICE,
            &json!({"title": " Buy milk "}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["title"], "Buy milk");
    assert_eq!(created["description"], Value::Null);
    assert_eq!(created["completed"], false);
    assert_eq!(created["user_id"], "alice");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        header_str(&headers, "location"),
        format!("/api/alice/tasks/{id}")
    );
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

    let path = format!("/api/alice/tasks/{id}");
    let (status, _, fetched) = call(&app, authed(Method::GET, &path, ALICE)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, created);

    let (status, headers, list) = call(&app, authed(Method::GET, "/api/alice/tasks", ALICE)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([created]));
    assert_eq!(header_str(&headers, "x-total-count"), "1");
    assert!(headers.get(header::LINK).is_none());

    let (status, _, updated) = call(
        &app,
        json_request(
            Method::PUT,
            &path,
            ALICE,
            &json!({"description": "2 litres"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["description"], "2 litres");
    assert_eq!(updated["title"], "Buy milk");

    let (status, _, patched) = call(
        &app,
        json_request(Method::PATCH, &path, ALICE, &json!({"description": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["description"], Value::Null);

    let complete = format!("{path}/complete");
    let (_, _, toggled) = call(&app, authed(Method::PATCH, &complete, ALICE)).await;
    assert_eq!(toggled["completed"], true);
    let (_, _, toggled) = call(
        &app,
        json_request(Method::PATCH, &complete, ALICE, &json!({})),
    )
    .await;
    assert_eq!(toggled["completed"], false);
    let (_, _, set) = call(
        &app,
        json_request(
            Method::PATCH,
            &complete,
            ALICE,
            &json!({"completed": false}),
        ),
    )
    .await;
    assert_eq!(set["completed"], false);

    let (status, _, deleted) = call(&app, authed(Method::DELETE, &path, ALICE)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["id"], id);
    let (status, _, body) = call(&app, authed(Method::GET, &path, ALICE)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Task not found"}));
}

#[actix_web::test]
async fn missing_and_other_schemes_get_a_bare_challenge() {
    let app = app(Arc::default()).await;
    for request in [
        TestRequest::get().uri("/api/alice/tasks"),
        TestRequest::get()
            .uri("/api/alice/tasks")
            .insert_header((header::AUTHORIZATION, "Basic YTpi")),
    ] {
        let (status, headers, body) = call(&app, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            header_str(&headers, "www-authenticate"),
            r#"Bearer realm="api""#
        );
        assert_eq!(body["detail"], "Not authenticated");
    }
}

#[actix_web::test]
async fn bad_tokens_get_distinct_details_and_invalid_token_challenges() {
    let app = app(Arc::default()).await;
    let cases = [
        ("Bearer", "Malformed Authorization header"),
        ("Bearer a b", "Malformed Authorization header"),
        ("Bearer expired-token", "Token has expired"),
        ("bearer nonsense", "Invalid authentication token"),
    ];
    for (authorization, detail) in cases {
        let request = TestRequest::get()
            .uri("/api/alice/tasks")
            .insert_header((header::AUTHORIZATION, authorization));
        let (status, headers, body) = call(&app, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization}");
        assert_eq!(body["detail"], detail);
        assert_eq!(
            header_str(&headers, "www-authenticate"),
            format!(r#"Bearer realm="api", error="invalid_token", error_description="{detail}""#)
        );
    }
}

#[actix_web::test]
async fn keys_not_yet_fetched_is_503_with_retry_after() {
    let app = app(Arc::default()).await;
    let (status, headers, body) =
        call(&app, authed(Method::GET, "/api/alice/tasks", NO_KEYS)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header_str(&headers, "retry-after"), "7");
    assert!(body["detail"].is_string());
}

#[actix_web::test]
async fn foreign_user_is_403_before_task_id_body_and_store() {
    let store = Arc::new(InMemoryTaskRepository::default());
    store.set_available(false);
    let app = app(store).await;
    let forbidden = json!({"detail": "Not authorized to access this resource"});
    let requests = [
        authed(Method::GET, "/api/alice/tasks", BOB),
        authed(Method::GET, "/api/alice/tasks/abc", BOB),
        authed(Method::POST, "/api/alice/tasks", BOB)
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .set_payload("not json"),
        authed(Method::PUT, "/api/alice/tasks/1", BOB)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload("{"),
        authed(Method::PATCH, "/api/alice/tasks/1/complete", BOB),
        authed(Method::DELETE, "/api/alice/tasks/1", BOB),
    ];
    for request in requests {
        let (status, _, body) = call(&app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, forbidden);
    }
}

#[actix_web::test]
async fn task_id_rules() {
    let app = app(Arc::default()).await;
    for bad in ["abc", "1.5", "1e3", "%20"] {
        let (status, _, body) = call(
            &app,
            authed(Method::GET, &format!("/api/alice/tasks/{bad}"), ALICE),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(body["errors"][0]["field"], "task_id");
    }
    for missing in [
        "0",
        "-1",
        "99999999999999999999999",
        "-99999999999999999999999",
        "42",
    ] {
        let (status, _, body) = call(
            &app,
            authed(Method::GET, &format!("/api/alice/tasks/{missing}"), ALICE),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(body, json!({"detail": "Task not found"}));
    }
}

#[actix_web::test]
async fn body_errors_in_order() {
    let app = app(Arc::default()).await;
    let big = format!(r#"{{"title": "{}"}}"#, "x".repeat(70 * 1024));
    let (status, _, body) = call(
        &app,
        authed(Method::POST, "/api/alice/tasks", ALICE)
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .set_payload(big.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["detail"].is_string());

    let (status, _, _) = call(
        &app,
        authed(Method::POST, "/api/alice/tasks", ALICE)
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .set_payload(r#"{"title": "a"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (status, _, _) = call(
        &app,
        authed(Method::POST, "/api/alice/tasks", ALICE)
            .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
            .set_payload(r#"{"title": "a"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _, body) = call(
        &app,
        authed(Method::POST, "/api/alice/tasks", ALICE)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(r#"{"title": "#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().contains("JSON"));

    let (status, _, body) = call(
        &app,
        json_request(
            Method::POST,
            "/api/alice/tasks",
            ALICE,
            &json!({"title": ""}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "title");
    assert!(body["detail"].as_str().unwrap().contains("title"));
}

#[actix_web::test]
async fn update_needs_a_field_and_rejects_nulls() {
    let store = Arc::new(InMemoryTaskRepository::default());
    let app = app(store).await;
    let (_, _, created) = call(
        &app,
        json_request(
            Method::POST,
            "/api/alice/tasks",
            ALICE,
            &json!({"title": "a"}),
        ),
    )
    .await;
    let path = format!("/api/alice/tasks/{}", created["id"]);
    for (body, field) in [
        (json!({}), "body"),
        (json!({"title": null}), "title"),
        (json!({"completed": null}), "completed"),
        (json!(null), "body"),
        (json!([1]), "body"),
    ] {
        let (status, _, answer) = call(&app, json_request(Method::PUT, &path, ALICE, &body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer["errors"][0]["field"], field, "{body}");
    }
}

#[actix_web::test]
async fn complete_with_an_empty_body_of_any_type_toggles() {
    let app = app(Arc::default()).await;
    let (_, _, created) = call(
        &app,
        json_request(
            Method::POST,
            "/api/alice/tasks",
            ALICE,
            &json!({"title": "a"}),
        ),
    )
    .await;
    let path = format!("/api/alice/tasks/{}/complete", created["id"]);
    let (status, _, toggled) = call(
        &app,
        authed(Method::PATCH, &path, ALICE).insert_header((header::CONTENT_TYPE, "text/plain")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(toggled["completed"], true);
    let (status, _, body) = call(
        &app,
        json_request(Method::PATCH, &path, ALICE, &json!({"completed": "yes"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "completed");
}

#[actix_web::test]
async fn list_query_validation_and_paging_headers() {
    let app = app(Arc::default()).await;
    for n in 0..5 {
        call(
            &app,
            json_request(
                Method::POST,
                "/api/alice/tasks",
                ALICE,
                &json!({"title": format!("t{n}")}),
            ),
        )
        .await;
    }
    let (status, headers, list) = call(
        &app,
        authed(
            Method::GET,
            "/api/alice/tasks?limit=2&sort=title&q=t",
            ALICE,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["title"], "t0");
    assert_eq!(header_str(&headers, "x-total-count"), "5");
    assert_eq!(
        header_str(&headers, "link"),
        r#"</api/alice/tasks?limit=2&sort=title&q=t&offset=2>; rel="next""#
    );
    let (status, _, body) = call(
        &app,
        authed(Method::GET, "/api/alice/tasks?limit=abc", ALICE),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "limit");
}

#[actix_web::test]
async fn unavailable_store_is_503_with_retry_after() {
    let store = Arc::new(InMemoryTaskRepository::default());
    let app = app(store.clone()).await;
    store.set_available(false);
    let (status, headers, body) = call(&app, authed(Method::GET, "/api/alice/tasks", ALICE)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(header_str(&headers, "retry-after").parse::<u64>().unwrap() > 0);
    assert!(body["detail"].is_string());

    let (status, _, body) = call(&app, TestRequest::get().uri("/ready")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"status": "unavailable", "checks": {"database": "unavailable"}})
    );
    let (status, _, body) = call(&app, TestRequest::get().uri("/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));

    store.set_available(true);
    let (status, _, body) = call(&app, TestRequest::get().uri("/ready")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "ready", "checks": {"database": "ok"}})
    );
}

#[actix_web::test]
async fn unknown_routes_and_methods() {
    let app = app(Arc::default()).await;
    let (status, headers, body) = call(&app, TestRequest::get().uri("/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Not Found"}));
    assert!(headers.get(header::CACHE_CONTROL).is_none());

    let (status, headers, body) = call(&app, TestRequest::get().uri("/api/alice/other")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Not Found"}));
    assert_eq!(header_str(&headers, "cache-control"), "no-store");

    let (status, headers, body) = call(&app, TestRequest::delete().uri("/api/alice/tasks")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header_str(&headers, "allow"), "GET, POST");
    assert!(body["detail"].is_string());
}

#[actix_web::test]
async fn trailing_slash_is_the_same_route() {
    let app = app(Arc::default()).await;
    let (status, headers, _) = call(
        &app,
        json_request(
            Method::POST,
            "/api/alice/tasks/",
            ALICE,
            &json!({"title": "a"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let location = header_str(&headers, "location").to_owned();
    let (status, _, _) = call(&app, authed(Method::GET, &format!("{location}/"), ALICE)).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn api_answers_carry_security_headers_and_request_ids() {
    let app = app(Arc::default()).await;
    let (_, headers, _) = call(&app, authed(Method::GET, "/api/alice/tasks", ALICE)).await;
    assert_eq!(header_str(&headers, "cache-control"), "no-store");
    assert_eq!(header_str(&headers, "x-content-type-options"), "nosniff");
    let generated = header_str(&headers, "x-request-id");
    assert!(uuid::Uuid::parse_str(generated).is_ok());

    let (_, headers, _) = call(
        &app,
        TestRequest::get()
            .uri("/health")
            .insert_header(("x-request-id", "abc.DEF_1-2")),
    )
    .await;
    assert_eq!(header_str(&headers, "x-request-id"), "abc.DEF_1-2");

    let (_, headers, _) = call(
        &app,
        TestRequest::get()
            .uri("/health")
            .insert_header(("x-request-id", "bad id!")),
    )
    .await;
    assert_ne!(header_str(&headers, "x-request-id"), "bad id!");
}

#[actix_web::test]
async fn cors_for_the_configured_origin_only_and_on_errors() {
    let app = app(Arc::default()).await;
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/alice/tasks")
        .insert_header((header::ORIGIN, ORIGIN))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "POST"))
        .insert_header((
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization, content-type, x-request-id, if-match, if-none-match, idempotency-key",
        ));
    let response = test::call_service(&app, preflight.to_request()).await;
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(header_str(headers, "access-control-allow-origin"), ORIGIN);
    assert_eq!(
        header_str(headers, "access-control-allow-credentials"),
        "true"
    );
    let allowed = header_str(headers, "access-control-allow-headers").to_ascii_lowercase();
    for name in ["if-match", "if-none-match", "idempotency-key"] {
        assert!(allowed.contains(name), "{allowed}");
    }

    let (status, headers, _) = call(
        &app,
        TestRequest::get()
            .uri("/api/alice/tasks")
            .insert_header((header::ORIGIN, ORIGIN)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header_str(&headers, "access-control-allow-origin"), ORIGIN);
    let exposed = header_str(&headers, "access-control-expose-headers").to_ascii_lowercase();
    for name in [
        "x-total-count",
        "link",
        "location",
        "x-request-id",
        "etag",
        "retry-after",
        "idempotent-replayed",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }

    let (status, headers, _) = call(
        &app,
        authed(Method::GET, "/api/alice/tasks", ALICE)
            .insert_header((header::ORIGIN, "http://evil.example")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn refused_preflights_are_json_errors_with_api_headers() {
    let app = app(Arc::default()).await;
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/alice/tasks")
        .insert_header((header::ORIGIN, "http://evil.example"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"));
    let (status, headers, body) = call(&app, preflight).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("CORS request rejected")
    );
    assert_eq!(header_str(&headers, "cache-control"), "no-store");
    assert!(headers.get("access-control-allow-origin").is_none());
    assert!(headers.get("access-control-allow-credentials").is_none());
}

#[actix_web::test]
async fn once_draining_ready_is_503_while_requests_are_still_served() {
    let draining = web::Data::new(tasks_http::Draining::default());
    let app = test::init_service(
        tasks_http::app(
            web::Data::new(TaskService::new(
                Arc::new(InMemoryTaskRepository::default()),
                ChangeHub::default(),
            )),
            web::Data::new(tokens()),
            vec![ORIGIN.to_owned()],
            tasks_http::BodyReadTimeout::DEFAULT,
        )
        .app_data(draining.clone()),
    )
    .await;
    let (status, _, _) = call(&app, TestRequest::get().uri("/ready")).await;
    assert_eq!(status, StatusCode::OK);

    draining.start();
    let (status, headers, body) = call(&app, TestRequest::get().uri("/ready")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(header_str(&headers, "retry-after").parse::<u64>().unwrap() > 0);
    assert_eq!(
        body,
        json!({"status": "unavailable", "checks": {"database": "ok", "shutdown": "draining"}})
    );
    let (status, _, _) = call(&app, authed(Method::GET, "/api/alice/tasks", ALICE)).await;
    assert_eq!(status, StatusCode::OK);
}
