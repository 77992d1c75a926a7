use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use super::RequestId;

/// One span per request carrying our request id (the client's when acceptable, unlike
/// tracing-actix-web's own), and one log line when the request ends.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.id.clone())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            path = %request.path(),
            user_id = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let latency_ms = response
                    .request()
                    .extensions()
                    .get::<RequestId>()
                    .map(|id| id.started.elapsed().as_secs_f64() * 1000.0);
                let status = response.status().as_u16();
                match response.response().error() {
                    Some(error) if response.status().is_server_error() => {
                        tracing::error!(status, latency_ms, error = %error, "request failed");
                    }
                    _ => tracing::info!(status, latency_ms, "request finished"),
                }
            }
            Err(error) => {
                let status = error.as_response_error().status_code().as_u16();
                tracing::error!(status, error = %error, "request failed");
            }
        }
    }
}
