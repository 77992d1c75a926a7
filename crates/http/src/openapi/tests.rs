//! The served document against the code: it lists exactly the routes in the route table,
//! each of them answered by the app; every `/api/` operation needs the bearer token; the
//! Task schema is what the API returns; the conditional, idempotency and event-stream
//! headers and answers are where the handlers use them.

use std::collections::BTreeSet;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::web;
use serde_json::{Value, json};
use tasks_ports::in_memory::{FixedTokens, InMemoryTaskRepository};
use tasks_ports::{ChangeHub, TaskService};

use crate::events::EVENT_NAMES;
use crate::routes;

const TOKEN: &str = "alice-token";
const USER: &str = "alice";
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn app() -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(crate::app(
        web::Data::new(TaskService::new(
            Arc::new(InMemoryTaskRepository::default()),
            ChangeHub::default(),
        )),
        web::Data::new(FixedTokens::default().with_subject(TOKEN, USER)),
        Vec::new(),
        crate::BodyReadTimeout::DEFAULT,
    ))
    .await
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
    // An event stream does not end by itself.
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == "text/event-stream")
    {
        return (status, headers, Value::Null);
    }
    let body = serde_json::from_slice(&test::read_body(response).await).unwrap_or(Value::Null);
    (status, headers, body)
}

/// The document as `GET /openapi.json` serves it, without a token.
async fn served_document() -> Value {
    let (status, headers, document) =
        call(&app().await, TestRequest::get().uri(routes::OPENAPI_PATH)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    document
}

/// Every operation as (path template, upper-case method).
fn documented_operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("path item").keys();
            methods
                .filter(|key| METHODS.contains(&key.as_str()))
                .map(|method| (path.clone(), method.to_uppercase()))
        })
        .collect()
}

fn api_operations(document: &Value) -> impl Iterator<Item = (&String, &Value)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .filter(|(path, _)| path.starts_with("/api/"))
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter_map(|method| item.get(*method))
                .map(move |operation| (path, operation))
        })
}

fn every_ref(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            if let Some(Value::String(target)) = members.get("$ref") {
                refs.push(target.clone());
            }
            members.values().for_each(|member| every_ref(member, refs));
        }
        Value::Array(items) => items.iter().for_each(|item| every_ref(item, refs)),
        _ => {}
    }
}

#[actix_web::test]
async fn is_openapi_3_1_named_after_the_crate() {
    let document = served_document().await;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], env!("CARGO_PKG_NAME"));
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
}

#[actix_web::test]
async fn lists_exactly_the_routes_of_the_route_table() {
    let routed: BTreeSet<(String, String)> = routes::table::<InMemoryTaskRepository, FixedTokens>()
        .iter()
        .flat_map(|endpoint| {
            endpoint
                .methods()
                .map(|method| (endpoint.path.to_owned(), method.to_string()))
        })
        .collect();
    assert_eq!(documented_operations(&served_document().await), routed);
}

#[actix_web::test]
async fn every_documented_operation_is_served() {
    let document = served_document().await;
    let app = app().await;
    for (path, method) in documented_operations(&document) {
        let uri = path.replace("{user_id}", USER).replace("{task_id}", "1");
        let request = TestRequest::default()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri)
            .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}")));
        let (status, _, body) = call(&app, request).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_ne!(body, json!({"detail": "Not Found"}), "{method} {uri}");
    }
}

#[actix_web::test]
async fn every_api_operation_needs_the_bearer_jwt() {
    let document = served_document().await;
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["bearerFormat"],
        "JWT"
    );
    let mut count = 0;
    for (path, operation) in api_operations(&document) {
        assert_eq!(operation["security"], json!([{"bearer": []}]), "{path}");
        assert!(operation["responses"].get("401").is_some(), "{path}");
        count += 1;
    }
    assert_eq!(count, 8);
}

#[actix_web::test]
async fn task_schema_has_every_member_the_api_returns() {
    let document = served_document().await;
    let request = TestRequest::post()
        .uri(&routes::TASKS_PATH.replace("{user_id}", USER))
        .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}")))
        .set_json(json!({"title": "Buy milk"}));
    let (status, _, task) = call(&app().await, request).await;
    assert_eq!(status, StatusCode::CREATED);

    let schema = &document["components"]["schemas"]["Task"];
    let returned: BTreeSet<&String> = task.as_object().unwrap().keys().collect();
    let properties: BTreeSet<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    assert_eq!(returned, properties);
    assert_eq!(
        required,
        returned.iter().map(|name| name.as_str()).collect(),
        "every member is always sent"
    );
}

#[actix_web::test]
async fn every_reference_resolves_and_operation_ids_are_unique() {
    let document = served_document().await;
    let mut refs = Vec::new();
    every_ref(&document, &mut refs);
    assert!(!refs.is_empty());
    for target in refs {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(document.pointer(pointer).is_some(), "{target}");
    }

    let ids: Vec<&Value> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| METHODS.iter().filter_map(|method| item.get(*method)))
        .map(|operation| &operation["operationId"])
        .collect();
    let unique: BTreeSet<String> = ids.iter().map(|id| id.to_string()).collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}

fn operation<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is documented");
    operation
}

fn header_parameters(operation: &Value) -> BTreeSet<&str> {
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|parameter| parameter["in"] == "header")
        .map(|parameter| parameter["name"].as_str().unwrap())
        .collect()
}

fn statuses(operation: &Value) -> BTreeSet<&str> {
    operation["responses"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[actix_web::test]
async fn request_headers_are_documented_where_they_are_read() {
    let document = served_document().await;
    let expected = [
        (routes::TASKS_PATH, "get", &["If-None-Match"][..]),
        (routes::TASKS_PATH, "post", &["Idempotency-Key"]),
        (routes::EVENTS_PATH, "get", &[]),
        (routes::TASK_PATH, "get", &["If-None-Match"]),
        (routes::TASK_PATH, "put", &["If-Match"]),
        (routes::TASK_PATH, "patch", &["If-Match"]),
        (routes::TASK_PATH, "delete", &["If-Match"]),
        (routes::COMPLETE_PATH, "patch", &["If-Match"]),
    ];
    for (path, method, headers) in expected {
        let operation = operation(&document, path, method);
        let documented = header_parameters(operation);
        assert_eq!(
            documented,
            headers.iter().copied().collect(),
            "{method} {path}"
        );
        if !headers.is_empty() {
            assert!(
                statuses(operation).contains("400"),
                "{method} {path}: a malformed header"
            );
        }
    }
}

#[actix_web::test]
async fn conditional_answers_are_documented() {
    let document = served_document().await;
    for (path, method) in [(routes::TASKS_PATH, "get"), (routes::TASK_PATH, "get")] {
        let operation = operation(&document, path, method);
        let not_modified = &operation["responses"]["304"];
        assert!(
            not_modified["headers"].get("ETag").is_some(),
            "{method} {path}"
        );
        assert!(not_modified.get("content").is_none(), "a 304 has no body");
    }
    for (path, method) in [
        (routes::TASK_PATH, "put"),
        (routes::TASK_PATH, "patch"),
        (routes::TASK_PATH, "delete"),
        (routes::COMPLETE_PATH, "patch"),
    ] {
        let failed = &operation(&document, path, method)["responses"]["412"];
        assert!(failed["headers"].get("ETag").is_some(), "{method} {path}");
    }
}

#[actix_web::test]
async fn every_answer_with_one_task_documents_its_etag() {
    let document = served_document().await;
    let mut count = 0;
    for (path, operation) in api_operations(&document) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let schema = &response["content"]["application/json"]["schema"];
            if schema["$ref"] == "#/components/schemas/Task" {
                assert!(response["headers"].get("ETag").is_some(), "{path} {status}");
                count += 1;
            }
        }
    }
    assert_eq!(count, 6, "GET, PUT, PATCH, DELETE, complete and POST");
    let list = &operation(&document, routes::TASKS_PATH, "get")["responses"]["200"];
    assert!(list["headers"].get("ETag").is_some());
}

#[actix_web::test]
async fn an_idempotent_create_documents_its_outcomes() {
    let document = served_document().await;
    let create = operation(&document, routes::TASKS_PATH, "post");
    let responses = &create["responses"];
    assert!(
        responses["201"]["headers"]
            .get("Idempotent-Replayed")
            .is_some()
    );
    assert!(responses["409"]["headers"].get("Retry-After").is_some());
    let reused = responses["422"]["description"].as_str().unwrap();
    assert!(reused.contains("Idempotency-Key"), "{reused}");
}

#[actix_web::test]
async fn the_event_stream_is_documented_as_one() {
    let document = served_document().await;
    let events = operation(&document, routes::EVENTS_PATH, "get");
    let content = events["responses"]["200"]["content"].as_object().unwrap();
    assert_eq!(content.keys().collect::<Vec<_>>(), ["text/event-stream"]);
    assert!(
        events["responses"]["429"]["headers"]
            .get("Retry-After")
            .is_some()
    );
    let description = events["description"].as_str().unwrap();
    for name in EVENT_NAMES {
        assert!(
            description.contains(&format!("`{name}`")),
            "{name}: {description}"
        );
    }
}
