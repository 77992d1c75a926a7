//! §3 Service routes: no token needed.

use reqwest::Method;
use serde_json::{Value, json};
use tasks_e2e::{ReplyExt, spawn_app};

#[tokio::test]
async fn health_is_ok() {
    let app = spawn_app().await;
    let reply = app.request(Method::GET, "/health").reply().await;
    assert_eq!(reply.expect(200).body, json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_reports_the_database_and_no_jwks_when_none_is_configured() {
    let app = spawn_app().await;
    let reply = app.request(Method::GET, "/ready").reply().await;
    assert_eq!(
        reply.expect(200).body,
        json!({"status": "ready", "checks": {"database": "ok"}})
    );
}

#[tokio::test]
async fn probes_ignore_a_bad_token() {
    let app = spawn_app().await;
    for path in ["/health", "/ready"] {
        app.request_with_authorization("Bearer not-a-token", Method::GET, path)
            .reply()
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn openapi_document_describes_every_route_with_bearer_security() {
    let app = spawn_app().await;
    let reply = app.request(Method::GET, "/openapi.json").reply().await;
    let document = &reply.expect(200).body;
    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "OpenAPI 3.1: {version:?}");

    let paths = document["paths"].as_object().expect("paths");
    let operations = [
        ("/api/{user_id}/tasks", &["get", "post"][..]),
        (
            "/api/{user_id}/tasks/{task_id}",
            &["get", "put", "patch", "delete"][..],
        ),
        ("/api/{user_id}/tasks/{task_id}/complete", &["patch"][..]),
        ("/health", &["get"][..]),
        ("/ready", &["get"][..]),
    ];
    for (path, methods) in operations {
        let item = paths.get(path).unwrap_or_else(|| panic!("{path} missing"));
        for method in methods {
            assert!(item.get(*method).is_some(), "{method} {path} missing");
        }
    }
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    assert!(
        schemes.values().any(|scheme| scheme["type"] == "http"
            && scheme["scheme"].as_str().map(str::to_lowercase).as_deref() == Some("bearer")),
        "a bearer security scheme: {schemes:?}"
    );
    assert_ne!(document["components"]["schemas"], Value::Null, "schemas");
}
