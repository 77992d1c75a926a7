//! The live-update stream, `GET /api/{user_id}/tasks/events`: each committed change of the
//! user's tasks as an event, in order, and nothing of anyone else's; keep-alives while
//! idle; an end at the token's `exp`, for a reader that falls behind, and at shutdown;
//! at most ten open streams per user.

mod support;

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test;
use serde_json::{Value, json};
use support::{ALICE, BOB, QUICK_HEARTBEAT, app_over, authed, call, tokens};
use tasks_domain::UserId;
use tasks_http::EventHeartbeat;
use tasks_ports::{AuthError, ChangeHub, Claims, StreamLimits, TokenVerifier};

/// How long a test waits for the next thing on a stream before it fails: generous, not a
/// speed bound.
const WAIT: Duration = Duration::from_secs(10);

/// What a stream sends.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Comment(String),
    Event {
        name: String,
        id: String,
        data: Value,
    },
}

/// An open stream, read one item at a time.
struct Feed {
    body: BoxBody,
    pending: String,
    items: VecDeque<Item>,
}

impl Feed {
    /// The next item; `None` once the server has ended the stream.
    async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.items.pop_front() {
                return Some(item);
            }
            let chunk = tokio::time::timeout(
                WAIT,
                std::future::poll_fn(|cx| Pin::new(&mut self.body).poll_next(cx)),
            )
            .await
            .unwrap_or_else(|_| panic!("nothing on the stream within {WAIT:?}"))?
            .expect("the stream reads");
            self.pending
                .push_str(std::str::from_utf8(&chunk).expect("the stream is UTF-8"));
            while let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                self.items.push_back(parse(block.trim_end()));
            }
        }
    }

    /// The next event, skipping comments.
    async fn event(&mut self) -> (String, String, Value) {
        loop {
            match self.next().await.expect("an event, but the stream ended") {
                Item::Event { name, id, data } => return (name, id, data),
                Item::Comment(_) => {}
            }
        }
    }

    /// Reads until the stream ends, which it must do without any event.
    async fn until_the_end(&mut self) {
        while let Some(item) = self.next().await {
            assert!(
                matches!(item, Item::Comment(_)),
                "no change was made: {item:?}"
            );
        }
    }
}

/// One block of the stream: a comment line, or one event's fields, each exactly once.
fn parse(block: &str) -> Item {
    if let Some(comment) = block.strip_prefix(": ") {
        assert!(!comment.contains('\n'), "one comment per block: {block:?}");
        return Item::Comment(comment.to_owned());
    }
    let fields: Vec<(&str, &str)> = block
        .lines()
        .map(|line| {
            line.split_once(": ")
                .unwrap_or_else(|| panic!("a field: {line:?}"))
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["event", "id", "data"], "{block:?}");
    Item::Event {
        name: fields[0].1.to_owned(),
        id: fields[1].1.to_owned(),
        data: serde_json::from_str(fields[2].1).expect("the data is JSON"),
    }
}

async fn open(
    app: &impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody + 'static>,
        Error = actix_web::Error,
    >,
    user: &str,
    token: &str,
) -> (header::HeaderMap, Feed) {
    let path = format!("/api/{user}/tasks/events");
    let response = test::call_service(app, authed(Method::GET, &path, token).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let feed = Feed {
        body: BoxBody::new(response.into_body()),
        pending: String::new(),
        items: VecDeque::new(),
    };
    (headers, feed)
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

#[actix_web::test]
async fn a_stream_opens_at_once_with_the_api_headers() {
    let app = app_over(ChangeHub::default(), tokens(), EventHeartbeat::DEFAULT).await;
    let (headers, mut feed) = open(&app, "alice", ALICE).await;
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert_eq!(
        headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff"
    );
    assert!(headers.contains_key("x-request-id"));
    assert!(
        matches!(feed.next().await, Some(Item::Comment(_))),
        "a first line before any change"
    );
}

#[actix_web::test]
async fn each_write_is_an_event_in_order_with_the_task_as_the_api_returns_it() {
    let app = app_over(ChangeHub::default(), tokens(), EventHeartbeat::DEFAULT).await;
    let (_, mut feed) = open(&app, "alice", ALICE).await;

    let created = call(
        &app,
        authed(Method::POST, "/api/alice/tasks", ALICE).set_json(json!({"title": "watch me"})),
    )
    .await;
    let task = created.header("location").to_owned();
    let updated = call(
        &app,
        authed(Method::PUT, &task, ALICE).set_json(json!({"title": "watched"})),
    )
    .await;
    let toggled = call(
        &app,
        authed(Method::PATCH, &format!("{task}/complete"), ALICE),
    )
    .await;
    let deleted = call(&app, authed(Method::DELETE, &task, ALICE)).await;

    let expected = [
        ("task.created", created.body),
        ("task.updated", updated.body),
        ("task.updated", toggled.body),
        ("task.deleted", deleted.body),
    ];
    let mut ids = Vec::new();
    for (name, task) in expected {
        let (event, id, data) = feed.event().await;
        assert_eq!((event.as_str(), &data), (name, &task));
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 4, "distinct event ids: {ids:?}");
}

#[actix_web::test]
async fn another_users_changes_never_reach_a_stream() {
    let app = app_over(ChangeHub::default(), tokens(), EventHeartbeat::DEFAULT).await;
    let (_, mut bobs) = open(&app, "bob", BOB).await;
    for (user, token) in [("alice", ALICE), ("bob", BOB)] {
        let create = authed(Method::POST, &format!("/api/{user}/tasks"), token)
            .set_json(json!({"title": format!("{user}'s")}));
        assert_eq!(call(&app, create).await.status, StatusCode::CREATED);
    }
    // Alice's change came first; had it reached Bob, it would be first here.
    let (_, _, data) = bobs.event().await;
    assert_eq!(data["title"], "bob's");
}

#[actix_web::test]
async fn the_events_path_keeps_the_api_rules_and_is_no_task_id() {
    let app = app_over(ChangeHub::default(), tokens(), EventHeartbeat::DEFAULT).await;
    let path = "/api/alice/tasks/events";
    let anonymous = call(&app, test::TestRequest::get().uri(path)).await;
    anonymous.expect_detail(StatusCode::UNAUTHORIZED, "Not authenticated");
    call(&app, authed(Method::GET, path, BOB))
        .await
        .expect_detail(
            StatusCode::FORBIDDEN,
            "Not authorized to access this resource",
        );
    let put = call(
        &app,
        authed(Method::PUT, path, ALICE).set_json(json!({"title": "x"})),
    )
    .await;
    put.expect_detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    assert_eq!(put.header("allow"), "GET");
}

#[actix_web::test]
async fn an_idle_stream_gets_keep_alive_comments() {
    let app = app_over(ChangeHub::default(), tokens(), QUICK_HEARTBEAT).await;
    let (_, mut feed) = open(&app, "alice", ALICE).await;
    for _ in 0..4 {
        match feed.next().await {
            Some(Item::Comment(_)) => {}
            other => panic!("a comment, not {other:?}"),
        }
    }
}

/// Verifies every token as alice's, expiring at `exp`.
struct ExpiringAt(i64);

impl TokenVerifier for ExpiringAt {
    async fn verify(&self, _: &str) -> Result<Claims, AuthError> {
        Ok(Claims {
            subject: UserId::parse("alice").unwrap(),
            expires_at: self.0,
        })
    }
}

#[actix_web::test]
async fn a_stream_ends_at_the_tokens_exp() {
    let exp = unix_now().as_secs() + 2;
    let app = app_over(
        ChangeHub::default(),
        ExpiringAt(exp as i64),
        QUICK_HEARTBEAT,
    )
    .await;
    let (_, mut feed) = open(&app, "alice", ALICE).await;
    feed.until_the_end().await;
    assert!(
        unix_now() >= Duration::from_secs(exp),
        "ended at exp, not before"
    );
}

#[actix_web::test]
async fn more_than_ten_streams_are_429_until_one_closes() {
    let app = app_over(ChangeHub::default(), tokens(), EventHeartbeat::DEFAULT).await;
    let mut feeds = Vec::new();
    for _ in 0..10 {
        feeds.push(open(&app, "alice", ALICE).await.1);
    }
    let refused = call(&app, authed(Method::GET, "/api/alice/tasks/events", ALICE)).await;
    refused.expect_detail(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many open event streams for this user",
    );
    assert_eq!(refused.header("retry-after"), "5");
    open(&app, "bob", BOB).await;

    // Dropping a body, as actix does when its client goes away, frees its place.
    feeds.pop();
    open(&app, "alice", ALICE).await;
}

#[actix_web::test]
async fn a_resync_tells_the_client_to_read_the_list_again() {
    let hub = ChangeHub::default();
    let app = app_over(hub.clone(), tokens(), EventHeartbeat::DEFAULT).await;
    let (_, mut feed) = open(&app, "alice", ALICE).await;
    hub.resync_user(&UserId::parse("alice").unwrap());
    let (name, _, data) = feed.event().await;
    assert_eq!((name.as_str(), data), ("resync", json!({})));
}

#[actix_web::test]
async fn a_reader_a_whole_buffer_behind_is_disconnected_after_what_was_queued() {
    let hub = ChangeHub::new(StreamLimits {
        per_user: 10,
        buffer: 2,
    });
    let app = app_over(hub.clone(), tokens(), QUICK_HEARTBEAT).await;
    let (_, mut feed) = open(&app, "alice", ALICE).await;
    for n in 0..3 {
        let create = authed(Method::POST, "/api/alice/tasks", ALICE)
            .set_json(json!({"title": format!("task {n}")}));
        assert_eq!(call(&app, create).await.status, StatusCode::CREATED);
    }
    for n in 0..2 {
        let (_, _, data) = feed.event().await;
        assert_eq!(data["title"], format!("task {n}"));
    }
    feed.until_the_end().await;
    assert_eq!(hub.open_streams(), 0);
}

#[actix_web::test]
async fn closing_every_stream_ends_them_all() {
    let hub = ChangeHub::default();
    let app = app_over(hub.clone(), tokens(), QUICK_HEARTBEAT).await;
    let (_, mut alices) = open(&app, "alice", ALICE).await;
    let (_, mut bobs) = open(&app, "bob", BOB).await;
    hub.close_all();
    alices.until_the_end().await;
    bobs.until_the_end().await;
}
