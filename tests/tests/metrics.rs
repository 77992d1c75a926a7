//! The metrics listener of the real application: what a scrape shows after real requests,
//! that its labels stay bounded whatever clients send, and that promtool accepts it.
//! The tests of this file share the process's one recorder: the assertions are on
//! differences between two scrapes of one app, and only one test sends requests that
//! move the counters.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tasks_e2e::prometheus::{Sample, parse_samples, promtool_check};
use tasks_e2e::{ReplyExt, TestApp, TokenBuilder, complete_path, spawn_app, task_path, tasks_path};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const TEMPLATES: [&str; 7] = [
    "/health",
    "/ready",
    "/openapi.json",
    "/api/{user_id}/tasks",
    "/api/{user_id}/tasks/events",
    "/api/{user_id}/tasks/{task_id}",
    "/api/{user_id}/tasks/{task_id}/complete",
];
const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "OTHER",
];

async fn scrape(app: &TestApp) -> String {
    let port = app.metrics_port.expect("metrics are on by default");
    let response = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("scrape sent");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.expect("scrape read")
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|sample| {
            sample.name == name
                && sample.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(value))
        })
        .map_or(0.0, |sample| sample.value)
}

fn requests(samples: &[Sample], method: &str, route: &str, status: &str) -> f64 {
    let labels = [("method", method), ("route", route), ("status", status)];
    value(samples, "tasks_http_requests_total", &labels)
}

/// Waits (at most 10 s) until the in-flight gauge reads `expected`.
async fn until_in_flight(app: &TestApp, expected: f64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let samples = parse_samples(&scrape(app).await);
        let in_flight = value(&samples, "tasks_http_requests_in_flight", &[]);
        if in_flight == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "in flight: {in_flight}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_scrape_counts_requests_by_route_template_with_bounded_labels() {
    let app = spawn_app().await;
    let before = parse_samples(&scrape(&app).await);
    let alice = TokenBuilder::for_user("alice").sign();
    let bob = TokenBuilder::for_user("bob").sign();

    let created = app
        .request_with_token(&alice, Method::POST, &tasks_path("alice"))
        .json(&json!({"title": "measured"}))
        .reply()
        .await;
    created.expect(201);
    let id = created.body["id"].as_i64().unwrap();
    for _ in 0..3 {
        app.request_with_token(&alice, Method::GET, &tasks_path("alice"))
            .reply()
            .await
            .expect(200);
    }
    app.request_with_token(&alice, Method::GET, &task_path("alice", id))
        .reply()
        .await
        .expect(200);
    app.request_with_token(&alice, Method::PATCH, &complete_path("alice", id))
        .reply()
        .await
        .expect(200);
    app.request_with_token(&alice, Method::GET, &task_path("alice", 999_999))
        .reply()
        .await
        .expect(404);
    app.request_with_token(&bob, Method::GET, &tasks_path("alice"))
        .reply()
        .await
        .expect(403);
    app.request(Method::GET, &tasks_path("alice"))
        .reply()
        .await
        .expect(401);
    for odd in ["BREW", "PROPFIND"] {
        app.request_with_token(
            &alice,
            Method::from_bytes(odd.as_bytes()).unwrap(),
            &tasks_path("alice"),
        )
        .reply()
        .await
        .expect(405);
    }
    // What a scanner sends: random paths with random methods.
    for index in 0..150 {
        let method = Method::from_bytes(format!("M{index}X").as_bytes()).unwrap();
        let path = format!("/{}/{index}?q={index}", uuid::Uuid::new_v4());
        app.request(method, &path).reply().await.expect(404);
        let path = format!("/api/{}/tasks/{index}/x", uuid::Uuid::new_v4());
        app.request(Method::GET, &path).reply().await.expect(404);
    }
    // /metrics is not served on the API's port.
    app.request(Method::GET, "/metrics")
        .reply()
        .await
        .expect_detail(404, "Not Found");

    let scrape_text = scrape(&app).await;
    let after = parse_samples(&scrape_text);
    let moved = |method: &str, route: &str, status: &str| {
        requests(&after, method, route, status) - requests(&before, method, route, status)
    };
    let tasks = "/api/{user_id}/tasks";
    let task = "/api/{user_id}/tasks/{task_id}";
    assert_eq!(moved("POST", tasks, "201"), 1.0);
    assert_eq!(moved("GET", tasks, "200"), 3.0);
    assert_eq!(moved("GET", task, "200"), 1.0);
    assert_eq!(
        moved("PATCH", "/api/{user_id}/tasks/{task_id}/complete", "200"),
        1.0
    );
    assert_eq!(moved("GET", task, "404"), 1.0);
    assert_eq!(moved("GET", tasks, "403"), 1.0);
    assert_eq!(moved("GET", tasks, "401"), 1.0);
    assert_eq!(moved("OTHER", tasks, "405"), 2.0);
    assert_eq!(moved("OTHER", "unmatched", "404"), 150.0);
    assert_eq!(moved("GET", "unmatched", "404"), 151.0);
    let latencies = |samples: &[Sample], route: &str| {
        value(
            samples,
            "tasks_http_request_duration_seconds_count",
            &[("route", route)],
        )
    };
    assert_eq!(latencies(&after, tasks) - latencies(&before, tasks), 8.0);

    // Bounded whatever was sent: fixed methods, route templates, numeric statuses.
    let counted: Vec<&Sample> = after
        .iter()
        .filter(|sample| sample.name == "tasks_http_requests_total")
        .collect();
    assert!(counted.len() <= 20, "{} series: {counted:?}", counted.len());
    let routes: BTreeSet<&str> = after
        .iter()
        .filter_map(|sample| sample.labels.get("route").map(String::as_str))
        .collect();
    for route in &routes {
        assert!(
            TEMPLATES.contains(route) || *route == "unmatched",
            "{route}"
        );
    }
    for sample in &counted {
        assert!(
            METHODS.contains(&sample.labels["method"].as_str()),
            "{sample:?}"
        );
        assert!(sample.labels["status"].parse::<u16>().is_ok(), "{sample:?}");
    }

    // Verified once per token, then served from the token cache.
    let lookups = |samples: &[Sample], result: &str| {
        value(
            samples,
            "tasks_token_cache_lookups_total",
            &[("result", result)],
        )
    };
    assert_eq!(lookups(&after, "miss") - lookups(&before, "miss"), 2.0);
    assert_eq!(lookups(&after, "hit") - lookups(&before, "hit"), 6.0);

    let one = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(one("tasks_build_info", &[("version", version)]), 1.0);
    assert!(one("process_resident_memory_bytes", &[]) > 0.0);
    assert!(one("process_open_fds", &[]) > 0.0);
    assert!(
        after
            .iter()
            .any(|sample| sample.name == "process_cpu_seconds_total")
    );
    assert_eq!(one("tasks_http_requests_in_flight", &[]), 0.0);
    if std::env::var("TEST_STORE").as_deref() != Ok("sqlite") {
        assert!(one("tasks_db_connections", &[("state", "idle")]) >= 1.0);
        assert_eq!(one("tasks_db_max_connections", &[]), 10.0);
    }

    let (valid, printed) = promtool_check(&scrape_text);
    assert!(valid, "promtool check metrics: {printed}\n{scrape_text}");

    // Here rather than in a test of its own, whose requests would move the counters above.
    a_request_is_in_flight_until_it_is_answered(&app).await;
}

async fn a_request_is_in_flight_until_it_is_answered(app: &TestApp) {
    until_in_flight(app, 0.0).await;
    // A request whose body never finishes arriving stays in flight.
    let mut client = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let head = format!(
        "POST /api/alice/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\"",
        TokenBuilder::for_user("alice").sign()
    );
    client.write_all(head.as_bytes()).await.unwrap();
    until_in_flight(app, 1.0).await;
    drop(client);
    until_in_flight(app, 0.0).await;
}

#[tokio::test]
async fn the_metrics_listener_serves_only_get_metrics() {
    let app = spawn_app().await;
    let port = app.metrics_port.unwrap();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let other = app.client.get(url("/tasks")).send().await.unwrap();
    assert_eq!(other.status(), 404);
    let posted = app.client.post(url("/metrics")).send().await.unwrap();
    assert_eq!(posted.status(), 405);
    assert_eq!(posted.headers()["allow"], "GET");
    let body: BTreeMap<String, String> = posted.json().await.unwrap();
    assert!(body.contains_key("detail"));
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let app = tasks_e2e::spawn_app_with(&[("APP__METRICS__ENABLED", "false")]).await;
    assert_eq!(app.metrics_port, None);
    app.request(Method::GET, "/health")
        .reply()
        .await
        .expect(200);
}
