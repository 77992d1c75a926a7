use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use tasks_ports::{TaskRepository, TaskService, TokenVerifier};
use utoipa::ToSchema;

use crate::routes::{HEALTH_PATH, READY_PATH};

/// How long a client should wait before asking `/ready` again.
const READY_RETRY_AFTER_SECS: u32 = 5;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Liveness {
    Ok,
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: Liveness,
}

/// Liveness: the process serves.
///
/// Touches nothing else, the database included.
#[utoipa::path(
    get,
    path = HEALTH_PATH,
    tag = "service",
    responses((status = OK, description = "The process serves", body = Health)),
)]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: Liveness::Ok,
    })
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ReadyState {
    Ready,
    Unavailable,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum CheckState {
    Ok,
    Unavailable,
}

#[derive(Serialize, ToSchema)]
struct Readiness {
    status: ReadyState,
    checks: Checks,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ShutdownState {
    Draining,
}

#[derive(Serialize, ToSchema)]
struct Checks {
    database: CheckState,
    /// Present when signing keys are fetched from a JWKS endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    jwks: Option<CheckState>,
    /// Present once the service is shutting down: it still serves what it is sent, for a
    /// while, but asks to be sent no more.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    shutdown: Option<ShutdownState>,
}

/// Set when the service starts shutting down. From then on `/ready` answers 503, so that
/// load balancers stop sending requests while those already sent are still served. Shared
/// by every worker as app data (`web::Data<Draining>`); an app without it never drains.
#[derive(Debug, Default)]
pub struct Draining(AtomicBool);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn started(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

fn check(ok: bool) -> CheckState {
    if ok {
        CheckState::Ok
    } else {
        CheckState::Unavailable
    }
}

/// Readiness: the service is not shutting down, the database answers and, when keys are
/// fetched, some were.
#[utoipa::path(
    get,
    path = READY_PATH,
    tag = "service",
    responses(
        (status = OK, description = "Ready to serve", body = Readiness),
        (status = SERVICE_UNAVAILABLE, description = "A check failed", body = Readiness,
            headers(("Retry-After" = u32, description = "Seconds to wait before asking again"))),
    ),
)]
pub async fn ready<R: TaskRepository, V: TokenVerifier>(
    service: web::Data<TaskService<R>>,
    verifier: web::Data<V>,
    draining: Option<web::Data<Draining>>,
) -> HttpResponse {
    let database = service.store_ready().await.is_ok();
    let jwks = verifier.remote_keys_ready();
    let shutdown = draining
        .is_some_and(|draining| draining.started())
        .then_some(ShutdownState::Draining);
    let ready = database && jwks.unwrap_or(true) && shutdown.is_none();
    let body = Readiness {
        status: if ready {
            ReadyState::Ready
        } else {
            ReadyState::Unavailable
        },
        checks: Checks {
            database: check(database),
            jwks: jwks.map(check),
            shutdown,
        },
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((RETRY_AFTER, READY_RETRY_AFTER_SECS))
            .json(body)
    }
}
