use actix_web::{HttpResponse, web};
use serde::Serialize;
use tasks_ports::{TaskRepository, TaskService, TokenVerifier};

/// Liveness: the process serves. Touches nothing else.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    checks: Checks,
}

#[derive(Serialize)]
struct Checks {
    database: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks: Option<&'static str>,
}

fn check(ok: bool) -> &'static str {
    if ok { "ok" } else { "unavailable" }
}

/// Readiness: the database answers and, when keys are fetched, some were.
pub async fn ready<R: TaskRepository, V: TokenVerifier>(
    service: web::Data<TaskService<R>>,
    verifier: web::Data<V>,
) -> HttpResponse {
    let database = service.store_ready().await.is_ok();
    let jwks = verifier.remote_keys_ready();
    let ready = database && jwks.unwrap_or(true);
    let body = Readiness {
        status: if ready { "ready" } else { "unavailable" },
        checks: Checks {
            database: check(database),
            jwks: jwks.map(check),
        },
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, 5))
            .json(body)
    }
}
