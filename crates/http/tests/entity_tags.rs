//! Entity tags: every answer with one task carries a strong `ETag` that moves with each
//! write; `If-None-Match` gives 304 on reads; `If-Match` guards every write; malformed
//! precondition headers are 400, in the contract's order of checks.

mod support;

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::TestRequest;
use serde_json::json;
use support::{ALICE, BOB, Reply, app, authed, call, create};

const PRECONDITION_FAILED: &str = "Precondition failed: the task has changed";

/// Each write that takes `If-Match`, on task `id`, as a fresh request.
fn guarded_writes(id: i64) -> [(&'static str, TestRequest); 4] {
    let task = format!("/api/alice/tasks/{id}");
    [
        (
            "PUT",
            authed(Method::PUT, &task, ALICE).set_json(json!({"title": "put"})),
        ),
        (
            "PATCH",
            authed(Method::PATCH, &task, ALICE).set_json(json!({"description": "patched"})),
        ),
        (
            "complete",
            authed(Method::PATCH, &format!("{task}/complete"), ALICE),
        ),
        ("DELETE", authed(Method::DELETE, &task, ALICE)),
    ]
}

#[actix_web::test]
async fn every_answer_with_one_task_has_a_tag_that_moves_with_each_write() {
    let app = app().await;
    let created = create(&app, "first").await;
    let id = created.id();
    let task = format!("/api/alice/tasks/{id}");
    let mut seen = vec![created.etag()];
    let got = call(&app, authed(Method::GET, &task, ALICE)).await;
    assert_eq!(got.etag(), seen[0], "a read does not move it");
    assert_eq!(
        got.body, created.body,
        "the body is the task, and only the task"
    );

    for (name, request) in guarded_writes(id).into_iter().take(3) {
        let written = call(&app, request).await;
        assert_eq!(written.status, StatusCode::OK, "{name}: {}", written.text);
        let tag = written.etag();
        assert!(!seen.contains(&tag), "{name}: {tag} after {seen:?}");
        assert_eq!(
            call(&app, authed(Method::GET, &task, ALICE)).await.etag(),
            tag
        );
        seen.push(tag);
    }
    let deleted = call(&app, authed(Method::DELETE, &task, ALICE)).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(&deleted.etag(), seen.last().unwrap(), "the task as it was");
}

#[actix_web::test]
async fn if_none_match_with_the_current_tag_is_304_without_a_body() {
    let app = app().await;
    let created = create(&app, "cached").await;
    let tag = created.etag();
    let task = format!("/api/alice/tasks/{}", created.id());
    for listed in [
        tag.clone(),
        "*".to_owned(),
        format!("\"other\", {tag}"),
        format!("W/{tag}"),
    ] {
        let reply = call(
            &app,
            authed(Method::GET, &task, ALICE)
                .insert_header((header::IF_NONE_MATCH, listed.as_str())),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{listed}");
        assert_eq!(reply.etag(), tag);
        assert!(reply.text.is_empty(), "no body: {}", reply.text);
        assert_eq!(reply.header("cache-control"), "no-store");
    }
    let stale = call(
        &app,
        authed(Method::GET, &task, ALICE).insert_header((header::IF_NONE_MATCH, "\"stale\"")),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body["title"], "cached");

    let missing = call(
        &app,
        authed(Method::GET, "/api/alice/tasks/999", ALICE)
            .insert_header((header::IF_NONE_MATCH, "*")),
    )
    .await;
    missing.expect_detail(StatusCode::NOT_FOUND, "Task not found");
}

#[actix_web::test]
async fn a_list_has_a_tag_for_its_exact_answer() {
    let app = app().await;
    create(&app, "one").await;
    let list = |query: &str| authed(Method::GET, &format!("/api/alice/tasks{query}"), ALICE);
    let first = call(&app, list("?limit=5")).await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first.etag();
    assert_eq!(
        call(&app, list("?limit=5")).await.etag(),
        tag,
        "same answer, same tag"
    );
    assert_ne!(
        call(&app, list("?limit=5&status=completed")).await.etag(),
        tag,
        "another answer, another tag"
    );

    let unchanged = call(
        &app,
        list("?limit=5").insert_header((header::IF_NONE_MATCH, tag.as_str())),
    )
    .await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.etag(), tag);
    assert_eq!(unchanged.header("x-total-count"), "1");
    assert!(unchanged.text.is_empty());

    create(&app, "two").await;
    let changed = call(
        &app,
        list("?limit=5").insert_header((header::IF_NONE_MATCH, tag.as_str())),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body.as_array().unwrap().len(), 2);
    assert_ne!(changed.etag(), tag);

    // Only the total differs between these two pages of one task each.
    let page = call(&app, list("?limit=1&sort=title")).await;
    create(&app, "zzz").await;
    assert_ne!(
        call(&app, list("?limit=1&sort=title")).await.etag(),
        page.etag()
    );
}

#[actix_web::test]
async fn if_match_with_the_current_tag_or_a_star_applies_each_write() {
    for current in [None, Some("*")] {
        let app = app().await;
        let created = create(&app, "draft").await;
        for (name, request) in guarded_writes(created.id()) {
            let tag = call(
                &app,
                authed(
                    Method::GET,
                    &format!("/api/alice/tasks/{}", created.id()),
                    ALICE,
                ),
            )
            .await
            .etag();
            let listed = current.map_or(format!("\"x\", {tag}"), str::to_owned);
            let reply = call(
                &app,
                request.insert_header((header::IF_MATCH, listed.as_str())),
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{name} with {listed}: {}",
                reply.text
            );
        }
    }
}

#[actix_web::test]
async fn if_match_without_the_current_tag_is_412_naming_it_and_changes_nothing() {
    let app = app().await;
    let created = create(&app, "guarded").await;
    let other = create(&app, "other").await;
    let tag = created.etag();
    let task = format!("/api/alice/tasks/{}", created.id());
    let weak = format!("W/{tag}");
    let stale = ["\"nope\"", weak.as_str(), &other.etag(), "\"x\", \"y\""];
    for listed in stale {
        for (name, request) in guarded_writes(created.id()) {
            let reply = call(&app, request.insert_header((header::IF_MATCH, listed))).await;
            reply.expect_detail(StatusCode::PRECONDITION_FAILED, PRECONDITION_FAILED);
            assert_eq!(reply.etag(), tag, "{name} with {listed}: the current tag");
            assert_eq!(reply.body.as_object().unwrap().len(), 1, "only the detail");
        }
    }
    let unchanged = call(&app, authed(Method::GET, &task, ALICE)).await;
    assert_eq!(unchanged.body, created.body);
    assert_eq!(unchanged.etag(), tag);
}

#[actix_web::test]
async fn a_missing_task_is_404_whatever_the_precondition() {
    let app = app().await;
    let created = create(&app, "alice's").await;
    let tag = created.etag();
    for listed in ["\"stale\"", "*", tag.as_str()] {
        let foreign = authed(
            Method::DELETE,
            &format!("/api/bob/tasks/{}", created.id()),
            BOB,
        )
        .insert_header((header::IF_MATCH, listed));
        call(&app, foreign)
            .await
            .expect_detail(StatusCode::NOT_FOUND, "Task not found");
        for (_, request) in guarded_writes(999) {
            call(&app, request.insert_header((header::IF_MATCH, listed)))
                .await
                .expect_detail(StatusCode::NOT_FOUND, "Task not found");
        }
    }
}

#[actix_web::test]
async fn malformed_precondition_headers_are_400() {
    let app = app().await;
    let created = create(&app, "guarded").await;
    let task = format!("/api/alice/tasks/{}", created.id());
    for malformed in [
        "nope",
        "\"unterminated",
        "\"a\" \"b\"",
        "W/nope",
        "*, \"a\"",
        "",
    ] {
        for (name, request) in guarded_writes(created.id()) {
            let reply = call(&app, request.insert_header((header::IF_MATCH, malformed))).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{name} with {malformed:?}"
            );
            reply.expect_detail(StatusCode::BAD_REQUEST, "Malformed If-Match header");
        }
        for path in [task.as_str(), "/api/alice/tasks"] {
            let read =
                authed(Method::GET, path, ALICE).insert_header((header::IF_NONE_MATCH, malformed));
            call(&app, read)
                .await
                .expect_detail(StatusCode::BAD_REQUEST, "Malformed If-None-Match header");
        }
    }
    // Two header lines are one list: `*` cannot be part of one.
    let two_lines = authed(Method::DELETE, &task, ALICE)
        .append_header((header::IF_MATCH, "*"))
        .append_header((header::IF_MATCH, "\"a\""));
    call(&app, two_lines)
        .await
        .expect_detail(StatusCode::BAD_REQUEST, "Malformed If-Match header");
    assert_eq!(
        call(&app, authed(Method::GET, &task, ALICE)).await.body,
        created.body
    );
}

#[actix_web::test]
async fn precondition_syntax_comes_after_403_and_task_id_and_before_body_and_store() {
    let app = app().await;
    let created = create(&app, "guarded").await;
    let task = format!("/api/alice/tasks/{}", created.id());
    let malformed = (header::IF_MATCH, "nope");

    let foreign = authed(Method::PUT, &task, BOB)
        .insert_header(malformed.clone())
        .set_json(json!({"title": "x"}));
    let forbidden = call(&app, foreign).await;
    forbidden.expect_detail(
        StatusCode::FORBIDDEN,
        "Not authorized to access this resource",
    );

    let bad_id = authed(Method::PUT, "/api/alice/tasks/abc", ALICE)
        .insert_header(malformed.clone())
        .set_json(json!({"title": "x"}));
    let invalid = call(&app, bad_id).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.body["errors"][0]["field"], "task_id");

    let bad_body = authed(Method::PUT, &task, ALICE)
        .insert_header(malformed.clone())
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .set_payload("{");
    call(&app, bad_body)
        .await
        .expect_detail(StatusCode::BAD_REQUEST, "Malformed If-Match header");

    let missing = authed(Method::DELETE, "/api/alice/tasks/999", ALICE).insert_header(malformed);
    call(&app, missing)
        .await
        .expect_detail(StatusCode::BAD_REQUEST, "Malformed If-Match header");

    let stale_and_invalid = authed(Method::PUT, &task, ALICE)
        .insert_header((header::IF_MATCH, "\"stale\""))
        .set_json(json!({"title": ""}));
    let reply: Reply = call(&app, stale_and_invalid).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the body before the store"
    );
}
