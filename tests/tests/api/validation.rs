//! §2 Errors: validation, malformed requests, and the framework's own answers, all JSON.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use tasks_e2e::{
    Reply, ReplyExt, TestApp, chunked_body, complete_path, spawn_app, task_id, task_path,
    tasks_path,
};

const LIMIT: usize = 64 * 1024;

async fn create(app: &TestApp, body: &Value) -> Reply {
    app.request_as("alice", Method::POST, &tasks_path("alice"))
        .json(body)
        .reply()
        .await
}

async fn put(app: &TestApp, id: i64, body: &Value) -> Reply {
    app.request_as("alice", Method::PUT, &task_path("alice", id))
        .json(body)
        .reply()
        .await
}

/// A request to `path` as alice, with these raw body bytes and content type.
async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut request = app.request_as("alice", method, path).body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.reply().await
}

/// A task of alice's to update, and the app.
async fn app_with_a_task() -> (TestApp, i64) {
    let app = spawn_app().await;
    let id = task_id(&app.create_task("alice", json!({"title": "t"})).await);
    (app, id)
}

#[tokio::test]
async fn a_title_is_required_on_create() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({"description": "no title"}),
        json!({"title": ""}),
        json!({"title": " \t\n "}),
        json!({"title": null}),
    ] {
        create(&app, &body).await.expect_invalid("title");
    }
}

#[tokio::test]
async fn an_empty_or_blank_title_is_rejected_on_update() {
    let (app, id) = app_with_a_task().await;
    for title in ["", "   "] {
        put(&app, id, &json!({"title": title}))
            .await
            .expect_invalid("title");
    }
    assert_eq!(app.get_task("alice", id).await.body["title"], "t");
}

#[tokio::test]
async fn a_title_has_at_most_200_characters() {
    let (app, id) = app_with_a_task().await;
    create(&app, &json!({"title": "x".repeat(201)}))
        .await
        .expect_invalid("title");
    put(&app, id, &json!({"title": "x".repeat(201)}))
        .await
        .expect_invalid("title");

    let padded = format!("  {}  ", "x".repeat(200));
    let reply = create(&app, &json!({"title": padded})).await;
    assert_eq!(reply.expect(201).body["title"], "x".repeat(200));
}

#[tokio::test]
async fn title_length_counts_code_points_not_bytes() {
    let app = spawn_app().await;
    for character in ["é", "😀", "中"] {
        let title = character.repeat(200);
        let reply = create(&app, &json!({"title": title})).await;
        assert_eq!(reply.expect(201).body["title"], title);
        create(&app, &json!({"title": character.repeat(201)}))
            .await
            .expect_invalid("title");
    }
}

#[tokio::test]
async fn a_description_has_at_most_1000_characters() {
    let (app, id) = app_with_a_task().await;
    for description in ["d".repeat(1000), "😀".repeat(1000)] {
        let reply = create(&app, &json!({"title": "t", "description": description})).await;
        assert_eq!(reply.expect(201).body["description"], description);
    }
    create(
        &app,
        &json!({"title": "t", "description": "d".repeat(1001)}),
    )
    .await
    .expect_invalid("description");
    put(&app, id, &json!({"description": "😀".repeat(1001)}))
        .await
        .expect_invalid("description");
}

#[tokio::test]
async fn text_with_a_nul_character_is_rejected() {
    let (app, id) = app_with_a_task().await;
    create(&app, &json!({"title": "a\u{0}b"}))
        .await
        .expect_invalid("title");
    create(&app, &json!({"title": "t", "description": "a\u{0}b"}))
        .await
        .expect_invalid("description");
    put(&app, id, &json!({"title": "\u{0}"}))
        .await
        .expect_invalid("title");
    put(&app, id, &json!({"description": "x\u{0}"}))
        .await
        .expect_invalid("description");
}

#[tokio::test]
async fn a_null_title_or_completed_on_update_is_rejected() {
    let (app, id) = app_with_a_task().await;
    for method in [Method::PUT, Method::PATCH] {
        for (body, field) in [
            (json!({"title": null}), "title"),
            (json!({"completed": null}), "completed"),
            (json!({"title": null, "description": "d"}), "title"),
        ] {
            app.request_as("alice", method.clone(), &task_path("alice", id))
                .json(&body)
                .reply()
                .await
                .expect_invalid(field);
        }
    }
}

#[tokio::test]
async fn an_update_without_any_field_is_rejected_as_a_whole() {
    let (app, id) = app_with_a_task().await;
    for body in [json!({}), json!({"priority": 1}), json!({"id": id})] {
        put(&app, id, &body).await.expect_invalid("body");
    }
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_422_naming_it() {
    let (app, id) = app_with_a_task().await;
    for (body, field) in [
        (json!({"title": 5}), "title"),
        (json!({"title": ["t"]}), "title"),
        (json!({"title": "t", "description": 5}), "description"),
        (json!({"title": "t", "completed": "yes"}), "completed"),
        (json!({"title": "t", "completed": 1}), "completed"),
    ] {
        create(&app, &body).await.expect_invalid(field);
        put(&app, id, &body).await.expect_invalid(field);
    }
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_422_for_body() {
    let (app, id) = app_with_a_task().await;
    for body in [
        json!([]),
        json!(null),
        json!("x"),
        json!(5),
        json!([{"title": "t"}]),
    ] {
        create(&app, &body).await.expect_invalid("body");
        put(&app, id, &body).await.expect_invalid("body");
    }
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (app, id) = app_with_a_task().await;
    for body in [
        r#"{"title":"#,
        r#"{title: "t"}"#,
        r#"{"title": "t",}"#,
        r#"{"title": "t"} trailing"#,
    ] {
        for (method, path) in [
            (Method::POST, tasks_path("alice")),
            (Method::PUT, task_path("alice", id)),
        ] {
            let reply = send_raw(&app, method, &path, Some("application/json"), body.into()).await;
            assert_eq!(reply.status, 400, "{body:?}: {}", reply.text);
            reply.expect_error(400);
        }
    }
    let reply = send_raw(
        &app,
        Method::PATCH,
        &complete_path("alice", id),
        Some("application/json"),
        b"{\"completed\":".to_vec(),
    )
    .await;
    reply.expect_error(400);
}

#[tokio::test]
async fn invalid_utf8_is_400() {
    let app = spawn_app().await;
    let mut body = b"{\"title\": \"".to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    body.extend_from_slice(b"\"}");
    send_raw(
        &app,
        Method::POST,
        &tasks_path("alice"),
        Some("application/json"),
        body,
    )
    .await
    .expect_error(400);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let (app, id) = app_with_a_task().await;
    let body = br#"{"title": "t"}"#.to_vec();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonp"),
        None,
    ] {
        for (method, path) in [
            (Method::POST, tasks_path("alice")),
            (Method::PUT, task_path("alice", id)),
        ] {
            let reply = send_raw(&app, method, &path, content_type, body.clone()).await;
            assert_eq!(reply.status, 415, "{content_type:?}: {}", reply.text);
            reply.expect_error(415);
        }
    }
    send_raw(
        &app,
        Method::PATCH,
        &complete_path("alice", id),
        Some("text/plain"),
        br#"{"completed": true}"#.to_vec(),
    )
    .await
    .expect_error(415);
}

#[tokio::test]
async fn a_charset_parameter_is_accepted() {
    let app = spawn_app().await;
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
    ] {
        let reply = send_raw(
            &app,
            Method::POST,
            &tasks_path("alice"),
            Some(content_type),
            br#"{"title": "t"}"#.to_vec(),
        )
        .await;
        reply.expect(201);
    }
}

/// A JSON body of exactly `size` bytes whose description is too long (so 422 if read).
fn body_of(size: usize) -> Vec<u8> {
    let frame = r#"{"title": "t", "description": ""}"#.len();
    format!(
        r#"{{"title": "t", "description": "{}"}}"#,
        "d".repeat(size - frame)
    )
    .into_bytes()
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let app = spawn_app().await;
    let path = tasks_path("alice");
    send_raw(
        &app,
        Method::POST,
        &path,
        Some("application/json"),
        body_of(LIMIT + 1),
    )
    .await
    .expect_error(413);
    // Exactly at the limit the body is read, and found invalid.
    send_raw(
        &app,
        Method::POST,
        &path,
        Some("application/json"),
        body_of(LIMIT),
    )
    .await
    .expect_invalid("description");
}

#[tokio::test]
async fn a_chunked_body_over_64_kib_is_413() {
    let app = spawn_app().await;
    let chunked = |bytes: &[u8]| {
        app.request_as("alice", Method::POST, &tasks_path("alice"))
            .header(CONTENT_TYPE, "application/json")
            .body(chunked_body(bytes, 4096))
    };
    chunked(&body_of(LIMIT + 1)).reply().await.expect_error(413);
    // The same path takes a small chunked body.
    chunked(br#"{"title": "chunked"}"#)
        .reply()
        .await
        .expect(201);
}

#[tokio::test]
async fn a_task_id_that_is_not_an_integer_is_422() {
    let (app, _) = app_with_a_task().await;
    for id in ["abc", "1.5", "1e3", "0x10", "%20"] {
        app.get_task("alice", id).await.expect_invalid("task_id");
        for (method, path) in [
            (Method::DELETE, task_path("alice", id)),
            (Method::PATCH, complete_path("alice", id)),
        ] {
            app.request_as("alice", method, &path)
                .reply()
                .await
                .expect_invalid("task_id");
        }
        app.request_as("alice", Method::PUT, &task_path("alice", id))
            .json(&json!({"title": "t"}))
            .reply()
            .await
            .expect_invalid("task_id");
    }
}

#[tokio::test]
async fn a_task_id_no_task_has_is_404() {
    let (app, existing) = app_with_a_task().await;
    let beyond_bigint = "99999999999999999999999";
    let nonexistent = (existing + 1000).to_string();
    for id in [
        "0",
        "-1",
        beyond_bigint,
        "-99999999999999999999999",
        &nonexistent,
    ] {
        app.get_task("alice", id).await.expect_task_not_found();
        for (method, path) in [
            (Method::DELETE, task_path("alice", id)),
            (Method::PATCH, complete_path("alice", id)),
        ] {
            app.request_as("alice", method, &path)
                .reply()
                .await
                .expect_task_not_found();
        }
        app.request_as("alice", Method::PUT, &task_path("alice", id))
            .json(&json!({"title": "t"}))
            .reply()
            .await
            .expect_task_not_found();
    }
}

#[tokio::test]
async fn an_unknown_path_is_404_without_a_token() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/nope",
        "/api",
        "/api/alice",
        "/api/alice/task",
        "/api/alice/tasks/1/complete/now",
        "/api/alice/tasks/1/2",
    ] {
        let reply = app.request(Method::GET, path).reply().await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        reply.expect_detail(404, "Not Found");
    }
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allowed) in [
        (Method::DELETE, tasks_path("u"), &["GET", "POST"][..]),
        (Method::PUT, tasks_path("u"), &["GET", "POST"][..]),
        (
            Method::POST,
            task_path("u", 1),
            &["GET", "PUT", "PATCH", "DELETE"][..],
        ),
        (Method::GET, complete_path("u", 1), &["PATCH"][..]),
        (Method::POST, "/health".to_owned(), &["GET"][..]),
    ] {
        let reply = app.request_as("u", method.clone(), &path).reply().await;
        reply.expect_error(405);
        let allow = reply
            .header("allow")
            .unwrap_or_else(|| panic!("{method} {path}: no Allow"));
        let listed: Vec<&str> = allow.split(',').map(str::trim).collect();
        for expected in allowed {
            assert!(listed.contains(expected), "{method} {path}: Allow {allow}");
        }
        assert!(
            !listed.contains(&method.as_str()),
            "{method} {path}: Allow {allow}"
        );
    }
}

#[tokio::test]
async fn runs_of_slashes_are_merged_and_the_query_kept() {
    let app = spawn_app().await;
    for title in ["one", "two"] {
        app.request_as("alice", Method::POST, "/api/alice/tasks")
            .json(&json!({"title": title}))
            .reply()
            .await
            .expect(201);
    }
    let listed = app
        .request_as("alice", Method::GET, "//api//alice///tasks/?limit=1")
        .reply()
        .await;
    assert_eq!(listed.expect(200).ids().len(), 1);
}

#[tokio::test]
async fn a_trailing_slash_means_the_same_route() {
    let app = spawn_app().await;
    let created = app
        .request_as("alice", Method::POST, "/api/alice/tasks/")
        .json(&json!({"title": "slash"}))
        .reply()
        .await;
    let id = task_id(&created.expect(201).body);

    let listed = app
        .request_as("alice", Method::GET, "/api/alice/tasks/")
        .reply()
        .await;
    assert_eq!(listed.expect(200).ids(), vec![id]);

    let one = format!("{}/", task_path("alice", id));
    app.request_as("alice", Method::GET, &one)
        .reply()
        .await
        .expect(200);
    for method in [Method::PUT, Method::PATCH] {
        app.request_as("alice", method, &one)
            .json(&json!({"description": "d"}))
            .reply()
            .await
            .expect(200);
    }
    let toggled = app
        .request_as(
            "alice",
            Method::PATCH,
            &format!("{}/", complete_path("alice", id)),
        )
        .reply()
        .await;
    assert_eq!(toggled.expect(200).body["completed"], true);
    app.request_as("alice", Method::DELETE, &one)
        .reply()
        .await
        .expect(200);

    for probe in ["/health/", "/ready/"] {
        app.request(Method::GET, probe).reply().await.expect(200);
    }
}
