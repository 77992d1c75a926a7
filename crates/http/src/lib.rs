//! The HTTP face of the tasks service: routes, the bearer extractor, request and response
//! bodies, and the single mapping from failures to the contract's answers.

mod auth;
mod body;
mod conditional;
mod cors;
mod dto;
mod error;
mod events;
mod handlers;
mod idempotency;
pub mod metrics;
mod middleware;
mod openapi;
mod pagination;
mod routes;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web};
use tasks_ports::{TaskRepository, TaskService, TokenVerifier};
use tracing_actix_web::TracingLogger;

pub use body::BodyReadTimeout;
pub use error::{ApiError, FieldError};
pub use events::EventHeartbeat;
pub use handlers::Draining;

/// Builds the whole application: routes, fallbacks and middleware, outermost last.
pub fn app<R: TaskRepository, V: TokenVerifier>(
    service: web::Data<TaskService<R>>,
    verifier: web::Data<V>,
    cors_origins: Vec<String>,
    body_read_timeout: BodyReadTimeout,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(service)
        .app_data(verifier)
        .app_data(body_read_timeout)
        .configure(routes::routes::<R, V>)
        .default_service(web::to(handlers::route_not_found))
        .wrap(from_fn(middleware::normalize_path))
        .wrap(cors::cors(&cors_origins))
        .wrap(from_fn(cors::only_for_allowed_origins))
        .wrap(from_fn(middleware::api_security_headers))
        .wrap(TracingLogger::<middleware::RequestSpan>::new())
        .wrap(from_fn(middleware::request_id))
}
