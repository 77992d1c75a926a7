//! §7 live updates on one instance: a user's stream carries each committed change of their
//! tasks, in order, and nothing of anyone else's; keep-alives, the token's `exp` and the
//! per-user limit bound it.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tasks_e2e::events::{EVENT_WAIT, Item};
use tasks_e2e::{
    ReplyExt, TokenBuilder, complete_path, now, spawn_app, spawn_app_with, task_path, tasks_path,
};

#[tokio::test]
async fn a_stream_carries_every_change_in_order() {
    let app = spawn_app().await;
    let mut stream = app.events("alice").await;
    let headers = stream.response().headers();
    assert_eq!(headers["cache-control"], "no-store");

    let created = app.create_task("alice", json!({"title": "watch me"})).await;
    let id = created["id"].as_i64().unwrap();
    let updated = app
        .request_as("alice", Method::PUT, &task_path("alice", id))
        .json(&json!({"title": "watched"}))
        .reply()
        .await;
    let toggled = app
        .request_as("alice", Method::PATCH, &complete_path("alice", id))
        .reply()
        .await;
    let deleted = app
        .request_as("alice", Method::DELETE, &task_path("alice", id))
        .reply()
        .await;

    let expected = [
        ("task.created", created),
        ("task.updated", updated.body),
        ("task.updated", toggled.body),
        ("task.deleted", deleted.body),
    ];
    let mut ids = Vec::new();
    for (name, task) in expected {
        let event = stream.expect_event().await;
        assert_eq!(event.name, name, "{event:?}");
        assert_eq!(event.json(), task, "the task as the API returns it");
        ids.push(event.id.expect("every event has an id"));
    }
    ids.dedup();
    assert_eq!(ids.len(), 4, "distinct event ids: {ids:?}");
}

#[tokio::test]
async fn a_stream_carries_nothing_of_another_user() {
    let app = spawn_app().await;
    let mut bobs = app.events("bob").await;
    app.create_task("alice", json!({"title": "alice's"})).await;
    app.create_task("bob", json!({"title": "bob's"})).await;
    // Alice's change was committed first; had it reached Bob, it would come first.
    let first = bobs.expect_event().await;
    assert_eq!(first.json()["title"], "bob's", "{first:?}");

    app.request_as(
        "bob",
        Method::GET,
        &format!("{}/events", tasks_path("alice")),
    )
    .reply()
    .await
    .expect_detail(403, "Not authorized to access this resource");
    app.request(Method::GET, &format!("{}/events", tasks_path("alice")))
        .reply()
        .await
        .expect(401);
}

#[tokio::test]
async fn an_idle_stream_gets_keep_alive_comments() {
    let app = spawn_app_with(&[("APP__EVENTS__HEARTBEAT_SECS", "1")]).await;
    let mut stream = app.events("alice").await;
    let mut comments = 0;
    while comments < 2 {
        match stream.next_item_within(EVENT_WAIT).await {
            Some(Item::Comment(_)) => comments += 1,
            Some(Item::Event(event)) => panic!("no change was made: {event:?}"),
            None => panic!("the stream ended"),
        }
    }
}

#[tokio::test]
async fn a_stream_ends_at_the_tokens_exp() {
    let app = spawn_app_with(&[("APP__EVENTS__HEARTBEAT_SECS", "1")]).await;
    let exp = now() + 2;
    let token = TokenBuilder::for_user("alice").claim("exp", exp).sign();
    let mut stream = app.events_with_token("alice", &token).await;
    loop {
        match stream.next_item_within(EVENT_WAIT).await {
            Some(Item::Comment(_)) => {}
            Some(Item::Event(event)) => panic!("no change was made: {event:?}"),
            None => break,
        }
    }
    assert!(now() >= exp, "ended at exp, not before");
}

#[tokio::test]
async fn more_streams_than_the_limit_get_429_until_one_closes() {
    let app = spawn_app_with(&[
        ("APP__EVENTS__MAX_STREAMS_PER_USER", "2"),
        ("APP__EVENTS__HEARTBEAT_SECS", "1"),
    ])
    .await;
    let first = app.events("alice").await;
    let _second = app.events("alice").await;
    let refused = app
        .request_as(
            "alice",
            Method::GET,
            &format!("{}/events", tasks_path("alice")),
        )
        .reply()
        .await;
    refused.expect_error(429);
    assert!(refused.header("retry-after").is_some(), "Retry-After");
    let _bobs = app.events("bob").await;

    drop(first);
    // The server notices the closed connection at its next write (a keep-alive at most a
    // second later); wait for that, within a generous bound.
    let deadline = tokio::time::Instant::now() + EVENT_WAIT;
    loop {
        let response = app
            .request_as(
                "alice",
                Method::GET,
                &format!("{}/events", tasks_path("alice")),
            )
            .send()
            .await
            .expect("request sent");
        if response.status() == 200 {
            break;
        }
        assert_eq!(response.status(), 429);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed stream was never freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
