//! §7 entity tags: every single-task answer carries a strong `ETag` that moves with the
//! task; `If-None-Match` gives 304; `If-Match` guards every write, decided with the write.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;
use tasks_e2e::{
    Reply, ReplyExt, TestApp, complete_path, spawn_app, task_id, task_path, tasks_path,
};

/// The `ETag` of a reply, which must be there and strong.
#[track_caller]
fn etag(reply: &Reply) -> String {
    let tag = reply
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag on a {} answer: {}", reply.status, reply.text));
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && tag.len() >= 3,
        "a strong entity tag: {tag}"
    );
    tag
}

/// Creates a task for alice and returns its id and tag.
async fn created(app: &TestApp, title: &str) -> (i64, String) {
    let reply = app
        .request_as("alice", Method::POST, &tasks_path("alice"))
        .json(&json!({ "title": title }))
        .reply()
        .await;
    reply.expect(201);
    (task_id(&reply.body), etag(&reply))
}

fn put_title(app: &TestApp, id: i64, title: &str) -> reqwest::RequestBuilder {
    app.request_as("alice", Method::PUT, &task_path("alice", id))
        .json(&json!({ "title": title }))
}

#[tokio::test]
async fn every_single_task_answer_has_a_tag_that_moves_only_with_the_task() {
    let app = spawn_app().await;
    let (id, created_tag) = created(&app, "first").await;

    let got = app.get_task("alice", id).await;
    assert_eq!(
        etag(got.expect(200)),
        created_tag,
        "a read does not move it"
    );
    assert_eq!(etag(&app.get_task("alice", id).await), created_tag);

    let mut seen = vec![created_tag];
    let writes = [
        put_title(&app, id, "second"),
        app.request_as("alice", Method::PATCH, &task_path("alice", id))
            .json(&json!({ "description": "notes" })),
        app.request_as("alice", Method::PATCH, &complete_path("alice", id)),
    ];
    for write in writes {
        let reply = write.reply().await;
        let tag = etag(reply.expect(200));
        assert!(
            !seen.contains(&tag),
            "a change gives a new tag: {tag} after {seen:?}"
        );
        assert_eq!(etag(&app.get_task("alice", id).await), tag, "GET agrees");
        seen.push(tag);
    }
    let deleted = app
        .request_as("alice", Method::DELETE, &task_path("alice", id))
        .reply()
        .await;
    assert_eq!(
        etag(deleted.expect(200)),
        *seen.last().unwrap(),
        "the task as it was"
    );
}

#[tokio::test]
async fn if_none_match_with_the_current_tag_is_304_without_a_body() {
    let app = spawn_app().await;
    let (id, tag) = created(&app, "cached").await;
    for listed in [tag.clone(), "*".to_owned(), format!("\"other\", {tag}")] {
        let reply = app
            .request_as("alice", Method::GET, &task_path("alice", id))
            .header("If-None-Match", &listed)
            .reply()
            .await;
        reply.expect(304);
        assert_eq!(etag(&reply), tag);
        assert!(reply.text.is_empty(), "no body: {}", reply.text);
    }
    let stale = app
        .request_as("alice", Method::GET, &task_path("alice", id))
        .header("If-None-Match", "\"stale\"")
        .reply()
        .await;
    assert_eq!(stale.expect(200).body["title"], "cached");
}

#[tokio::test]
async fn a_list_has_a_tag_for_its_exact_answer() {
    let app = spawn_app().await;
    created(&app, "one").await;
    let first = app.list_tasks("alice", "limit=5").await;
    let tag = etag(first.expect(200));
    assert_eq!(
        etag(&app.list_tasks("alice", "limit=5").await),
        tag,
        "same answer, same tag"
    );
    assert_ne!(
        etag(&app.list_tasks("alice", "limit=5&status=completed").await),
        tag,
        "another query, another answer"
    );

    let unchanged = app
        .request_as(
            "alice",
            Method::GET,
            &format!("{}?limit=5", tasks_path("alice")),
        )
        .header("If-None-Match", &tag)
        .reply()
        .await;
    unchanged.expect(304);
    assert!(unchanged.text.is_empty());

    created(&app, "two").await;
    let changed = app
        .request_as(
            "alice",
            Method::GET,
            &format!("{}?limit=5", tasks_path("alice")),
        )
        .header("If-None-Match", &tag)
        .reply()
        .await;
    assert_eq!(changed.expect(200).tasks().len(), 2);
    assert_ne!(etag(&changed), tag);
}

#[tokio::test]
async fn if_match_applies_a_write_only_to_the_version_it_names() {
    let app = spawn_app().await;
    let (id, tag) = created(&app, "draft").await;

    let stale = put_title(&app, id, "lost")
        .header("If-Match", "\"nope\"")
        .reply()
        .await;
    stale.expect_detail(412, "Precondition failed: the task has changed");
    assert_eq!(etag(&stale), tag, "412 names the current tag");
    assert_eq!(
        app.get_task("alice", id).await.body["title"],
        "draft",
        "nothing changed"
    );

    let weak = put_title(&app, id, "lost")
        .header("If-Match", format!("W/{tag}"))
        .reply()
        .await;
    weak.expect(412);

    let applied = put_title(&app, id, "kept")
        .header("If-Match", &tag)
        .reply()
        .await;
    let new_tag = etag(applied.expect(200));
    assert_eq!(applied.body["title"], "kept");

    let any = app
        .request_as("alice", Method::PATCH, &complete_path("alice", id))
        .header("If-Match", "*")
        .reply()
        .await;
    let toggled_tag = etag(any.expect(200));

    let old_toggle = app
        .request_as("alice", Method::PATCH, &complete_path("alice", id))
        .header("If-Match", &new_tag)
        .reply()
        .await;
    old_toggle.expect(412);
    assert_eq!(etag(&old_toggle), toggled_tag);

    let old_delete = app
        .request_as("alice", Method::DELETE, &task_path("alice", id))
        .header("If-Match", format!("\"x\", {new_tag}"))
        .reply()
        .await;
    old_delete.expect(412);
    app.get_task("alice", id).await.expect(200);
    app.request_as("alice", Method::DELETE, &task_path("alice", id))
        .header("If-Match", format!("\"x\", {toggled_tag}"))
        .reply()
        .await
        .expect(200);

    let gone = put_title(&app, id, "late")
        .header("If-Match", &toggled_tag)
        .reply()
        .await;
    gone.expect_task_not_found();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writes_with_the_same_tag_never_both_win() {
    let app = spawn_app().await;
    let (id, mut tag) = created(&app, "contended").await;
    for round in 0..20 {
        let writes = (0..2).map(|writer| {
            put_title(&app, id, &format!("round {round} writer {writer}"))
                .header("If-Match", &tag)
                .reply()
        });
        let replies = join_all(writes).await;
        let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
        let winners: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 200).collect();
        assert_eq!(winners.len(), 1, "round {round}: {statuses:?}");
        assert!(statuses.contains(&412), "round {round}: {statuses:?}");
        let current = app.get_task("alice", id).await;
        assert_eq!(
            current.body["title"], winners[0].body["title"],
            "the winner's write stands"
        );
        tag = etag(&current);
    }
}

#[tokio::test]
async fn malformed_preconditions_are_400_after_403_and_the_task_id() {
    let app = spawn_app().await;
    let (id, _) = created(&app, "guarded").await;
    for malformed in [
        "nope",
        "\"unterminated",
        "\"a\" \"b\"",
        "W/nope",
        "*, \"a\"",
    ] {
        put_title(&app, id, "x")
            .header("If-Match", malformed)
            .reply()
            .await
            .expect_detail(400, "Malformed If-Match header");
        app.request_as("alice", Method::GET, &task_path("alice", id))
            .header("If-None-Match", malformed)
            .reply()
            .await
            .expect_detail(400, "Malformed If-None-Match header");
    }
    app.request_as("bob", Method::PUT, &task_path("alice", id))
        .header("If-Match", "nope")
        .json(&json!({"title": "x"}))
        .reply()
        .await
        .expect(403);
    app.request_as("alice", Method::PUT, &task_path("alice", "abc"))
        .header("If-Match", "nope")
        .json(&json!({"title": "x"}))
        .reply()
        .await
        .expect_invalid("task_id");
    assert_eq!(app.get_task("alice", id).await.body["title"], "guarded");
}

#[tokio::test]
async fn a_missing_task_is_404_whatever_the_precondition() {
    let app = spawn_app().await;
    let (id, tag) = created(&app, "mine").await;
    for precondition in ["\"stale\"", "*", tag.as_str()] {
        app.request_as("bob", Method::DELETE, &task_path("bob", id))
            .header("If-Match", precondition)
            .reply()
            .await
            .expect_task_not_found();
    }
    app.get_task("alice", id).await.expect(200);
}
