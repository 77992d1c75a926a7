//! The request metrics middleware around the real app (in-memory ports): what it counts,
//! and that the labels stay within fixed sets whatever the requests are.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::web;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tasks_http::metrics::RequestMetrics;
use tasks_ports::in_memory::{FixedTokens, InMemoryTaskRepository};
use tasks_ports::{ChangeHub, TaskService};

const TOKEN: &str = "alice-token";
const ORIGIN: &str = "http://localhost:3000";

type Labels = BTreeMap<String, String>;

/// Every series recorded: its name, labels and value. (Taking it resets the counters.)
struct Recorded(Vec<(String, Labels, DebugValue)>);

impl Recorded {
    fn take(snapshotter: &Snapshotter) -> Self {
        let series = snapshotter.snapshot().into_vec().into_iter();
        Self(
            series
                .map(|(key, _, _, value)| {
                    let labels = key
                        .key()
                        .labels()
                        .map(|label| (label.key().to_owned(), label.value().to_owned()))
                        .collect();
                    (key.key().name().to_owned(), labels, value)
                })
                .collect(),
        )
    }

    /// Each series of metric `name`: its labels and value.
    fn series(&self, name: &str) -> Vec<(&Labels, &DebugValue)> {
        self.0
            .iter()
            .filter(|(series, ..)| series == name)
            .map(|(_, labels, value)| (labels, value))
            .collect()
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// The request counter's value for these labels, 0 when the series does not exist.
fn requests(recorded: &Recorded, method: &str, route: &str, status: u16) -> u64 {
    let wanted = labels(&[
        ("method", method),
        ("route", route),
        ("status", &status.to_string()),
    ]);
    recorded
        .series("tasks_http_requests_total")
        .into_iter()
        .find(|(labels, _)| **labels == wanted)
        .map_or(0, |(_, value)| match value {
            DebugValue::Counter(count) => *count,
            other => panic!("not a counter: {other:?}"),
        })
}

/// How many latencies were recorded for `route`.
fn latencies(recorded: &Recorded, route: &str) -> usize {
    recorded
        .series("tasks_http_request_duration_seconds")
        .into_iter()
        .find(|(labels, _)| labels.get("route").map(String::as_str) == Some(route))
        .map_or(0, |(_, value)| match value {
            DebugValue::Histogram(values) => values.len(),
            other => panic!("not a histogram: {other:?}"),
        })
}

#[actix_web::test]
async fn requests_are_counted_by_method_route_template_and_status() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    // The middleware and the app run on this thread alone.
    let _recording = metrics::set_default_local_recorder(&recorder);
    let app = test::init_service(
        tasks_http::app(
            web::Data::new(TaskService::new(
                Arc::new(InMemoryTaskRepository::default()),
                ChangeHub::default(),
            )),
            web::Data::new(FixedTokens::default().with_subject(TOKEN, "alice")),
            vec![ORIGIN.to_owned()],
            tasks_http::BodyReadTimeout::DEFAULT,
        )
        .wrap(RequestMetrics),
    )
    .await;
    let call = async |request: TestRequest| test::call_service(&app, request.to_request()).await;
    let authed = |method: Method, path: &str| {
        TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}")))
    };

    assert_eq!(call(TestRequest::get().uri("/health")).await.status(), 200);
    for _ in 0..3 {
        let response = call(authed(Method::GET, "/api/alice/tasks")).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = call(authed(Method::GET, "/api/alice/tasks/42")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let odd = Method::from_bytes(b"BREW").unwrap();
    let response = call(authed(odd, "/api/alice/tasks")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Answered by the CORS layer before routing.
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/alice/tasks/7")
        .insert_header((header::ORIGIN, ORIGIN))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "PUT"));
    assert_eq!(call(preflight).await.status(), StatusCode::OK);
    for index in 0..200 {
        let method = Method::from_bytes(format!("X{index}").as_bytes()).unwrap();
        let path = format!("/random/{index}/{}", uuid::Uuid::new_v4());
        assert_eq!(call(authed(method, &path)).await.status(), 404);
        let path = format!("/api/user-{index}/tasks/{index}/x");
        assert_eq!(call(authed(Method::GET, &path)).await.status(), 404);
    }

    let recorded = Recorded::take(&snapshotter);
    let tasks = "/api/{user_id}/tasks";
    let task = "/api/{user_id}/tasks/{task_id}";
    assert_eq!(requests(&recorded, "GET", "/health", 200), 1);
    assert_eq!(requests(&recorded, "GET", tasks, 200), 3);
    assert_eq!(requests(&recorded, "GET", task, 404), 1);
    assert_eq!(requests(&recorded, "OTHER", tasks, 405), 1);
    assert_eq!(requests(&recorded, "OPTIONS", task, 200), 1);
    assert_eq!(requests(&recorded, "OTHER", "unmatched", 404), 200);
    assert_eq!(requests(&recorded, "GET", "unmatched", 404), 200);
    assert_eq!(latencies(&recorded, tasks), 4);
    assert_eq!(latencies(&recorded, task), 2);
    assert_eq!(latencies(&recorded, "unmatched"), 400);

    let counted = recorded.series("tasks_http_requests_total");
    assert_eq!(counted.len(), 7, "one series per combination: {counted:?}");
    let routes: BTreeSet<String> = counted
        .iter()
        .chain(&recorded.series("tasks_http_request_duration_seconds"))
        .map(|(labels, _)| labels["route"].clone())
        .collect();
    let mut allowed = served_paths();
    allowed.insert("unmatched".to_owned());
    assert!(routes.is_subset(&allowed), "{routes:?}");
}

/// The route templates of the app.
fn served_paths() -> BTreeSet<String> {
    [
        "/health",
        "/ready",
        "/openapi.json",
        "/api/{user_id}/tasks",
        "/api/{user_id}/tasks/events",
        "/api/{user_id}/tasks/{task_id}",
        "/api/{user_id}/tasks/{task_id}/complete",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}
