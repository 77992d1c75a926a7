//! `Idempotency-Key` on a create: a repeat of the same request gets the first answer again
//! and creates nothing; another body under the same key is 422; bad keys are 400.

mod support;

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::TestRequest;
use serde_json::json;
use support::{ALICE, BOB, Reply, app, authed, call};

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

fn create_with_key(user: &str, token: &str, key: &str, body: &str) -> TestRequest {
    authed(Method::POST, &format!("/api/{user}/tasks"), token)
        .insert_header((IDEMPOTENCY_KEY, key))
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(body.to_owned())
}

/// How many tasks alice has.
async fn total(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
) -> String {
    let list = call(app, authed(Method::GET, "/api/alice/tasks", ALICE)).await;
    list.header("x-total-count").to_owned()
}

#[track_caller]
fn assert_replay_of(repeat: &Reply, first: &Reply) {
    assert_eq!(repeat.status, StatusCode::CREATED, "{}", repeat.text);
    assert_eq!(repeat.header("idempotent-replayed"), "true");
    assert_eq!(repeat.body, first.body, "the first answer's body");
    assert_eq!(repeat.header("location"), first.header("location"));
    assert_eq!(repeat.etag(), first.etag());
}

#[actix_web::test]
async fn a_repeat_replays_the_first_answer_and_creates_nothing() {
    let app = app().await;
    let first = call(
        &app,
        create_with_key(
            "alice",
            ALICE,
            "k-1",
            r#"{"title": "once", "completed": false}"#,
        ),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.headers.get("idempotent-replayed").is_none());

    for same in [
        r#"{"title": "once", "completed": false}"#,
        r#"{ "completed":false,"title":"once" }"#,
        "\n{\"title\":\"\\u006fnce\",\t\"completed\": false}\n",
    ] {
        let repeat = call(&app, create_with_key("alice", ALICE, "k-1", same)).await;
        assert_replay_of(&repeat, &first);
    }
    assert_eq!(total(&app).await, "1");

    // After the task changed, the replay is still the answer to the create.
    let task = first.header("location").to_owned();
    let renamed = authed(Method::PUT, &task, ALICE).set_json(json!({"title": "renamed"}));
    assert_eq!(call(&app, renamed).await.status, StatusCode::OK);
    let later = call(
        &app,
        create_with_key(
            "alice",
            ALICE,
            "k-1",
            r#"{"title":"once","completed":false}"#,
        ),
    )
    .await;
    assert_replay_of(&later, &first);
}

#[actix_web::test]
async fn the_same_key_with_another_body_is_422() {
    let app = app().await;
    let first = call(
        &app,
        create_with_key("alice", ALICE, "k", r#"{"title": "a"}"#),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    for other in [
        r#"{"title": "b"}"#,
        r#"{"title": "a", "completed": false}"#,
        r#"{"title": "a", "color": "red"}"#,
    ] {
        let reused = call(&app, create_with_key("alice", ALICE, "k", other)).await;
        reused.expect_detail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key was used with a different request",
        );
        assert_eq!(
            reused.body["errors"],
            json!([{"field": "Idempotency-Key", "message": "was used with a different request"}])
        );
    }
    assert_eq!(total(&app).await, "1");
}

#[actix_web::test]
async fn keys_belong_to_their_user() {
    let app = app().await;
    let alices = call(
        &app,
        create_with_key("alice", ALICE, "shared", r#"{"title": "a"}"#),
    )
    .await;
    let bobs = call(
        &app,
        create_with_key("bob", BOB, "shared", r#"{"title": "a"}"#),
    )
    .await;
    assert_eq!(bobs.status, StatusCode::CREATED);
    assert!(bobs.headers.get("idempotent-replayed").is_none());
    assert_ne!(alices.id(), bobs.id());
}

#[actix_web::test]
async fn without_a_key_every_create_creates() {
    let app = app().await;
    for _ in 0..2 {
        let created =
            authed(Method::POST, "/api/alice/tasks", ALICE).set_json(json!({"title": "a"}));
        let reply = call(&app, created).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        assert!(reply.headers.get("idempotent-replayed").is_none());
    }
    assert_eq!(total(&app).await, "2");
}

#[actix_web::test]
async fn bad_keys_are_400_naming_the_header_before_the_body() {
    let app = app().await;
    let too_long = "k".repeat(256);
    for key in ["", "with space", "tab\there", too_long.as_str()] {
        for body in [r#"{"title": "x"}"#, "{", r#"{"title": ""}"#] {
            let reply = call(&app, create_with_key("alice", ALICE, key, body)).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{key:?} {body}: {}",
                reply.text
            );
            let detail = reply.body["detail"].as_str().unwrap();
            assert!(
                detail.starts_with("Invalid Idempotency-Key header: "),
                "{detail}"
            );
        }
    }
    let non_ascii = create_with_key("alice", ALICE, "k", r#"{"title": "x"}"#).insert_header((
        IDEMPOTENCY_KEY,
        header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
    ));
    assert_eq!(call(&app, non_ascii).await.status, StatusCode::BAD_REQUEST);
    let twice = create_with_key("alice", ALICE, "a", r#"{"title": "x"}"#)
        .append_header((IDEMPOTENCY_KEY, "b"));
    assert_eq!(call(&app, twice).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(total(&app).await, "0");

    let longest = "k".repeat(255);
    let created = call(
        &app,
        create_with_key("alice", ALICE, &longest, r#"{"title": "x"}"#),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);

    let foreign = create_with_key("alice", BOB, "", r#"{"title": "x"}"#);
    call(&app, foreign).await.expect_detail(
        StatusCode::FORBIDDEN,
        "Not authorized to access this resource",
    );
}

#[actix_web::test]
async fn an_invalid_body_is_not_remembered() {
    let app = app().await;
    let invalid = call(
        &app,
        create_with_key("alice", ALICE, "fix-me", r#"{"title": ""}"#),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.body["errors"][0]["field"], "title");
    let malformed = call(&app, create_with_key("alice", ALICE, "fix-me", "{")).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let fixed = call(
        &app,
        create_with_key("alice", ALICE, "fix-me", r#"{"title": "fixed"}"#),
    )
    .await;
    assert_eq!(fixed.status, StatusCode::CREATED);
    assert!(fixed.headers.get("idempotent-replayed").is_none());
}
