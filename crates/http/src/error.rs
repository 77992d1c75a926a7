//! The one place where failures become the contract's status codes and JSON bodies.

use std::borrow::Cow;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use tasks_domain::TaskId;
use tasks_ports::{AuthError, Forbidden, TaskError, TooManyStreams};
use utoipa::ToSchema;

use crate::conditional::TaskTag;

/// How long a client should wait before retrying when the database is unavailable.
const DATABASE_RETRY_AFTER: Duration = Duration::from_secs(5);
/// How long before repeating a create whose first request with the same key is still
/// being processed: about as long as one create takes, with room.
const IN_FLIGHT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// How long before opening another event stream once the user has too many.
const STREAMS_RETRY_AFTER: Duration = Duration::from_secs(5);

/// One field-level problem in a 422 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The body member, path or query parameter; `body` for the body as a whole.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer` header at all (absent, or another scheme).
    #[error("Not authenticated")]
    MissingToken,
    #[error("Malformed Authorization header")]
    MalformedAuthorization,
    #[error(transparent)]
    Token(#[from] AuthError),
    #[error("Not authorized to access this resource")]
    Forbidden,
    /// `If-Match` or `If-None-Match` (the header's name) is neither `*` nor a tag list.
    #[error("Malformed {0} header")]
    MalformedPrecondition(&'static str),
    #[error("Invalid Idempotency-Key header: {0}")]
    InvalidIdempotencyKey(String),
    #[error("Request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("Request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("Request body is larger than {limit} bytes", limit = crate::body::MAX_BODY_BYTES)]
    PayloadTooLarge,
    #[error("Request body was not received in time")]
    BodyTimeout,
    #[error("Request validation failed")]
    Validation(Vec<FieldError>),
    #[error("Task not found")]
    TaskNotFound,
    /// `If-Match` did not list the task's current tag, which the answer names.
    #[error("Precondition failed: the task has changed")]
    PreconditionFailed { current: TaskTag },
    #[error("Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    #[error("A request with this Idempotency-Key is still being processed")]
    IdempotencyKeyInFlight,
    #[error("Too many open event streams for this user")]
    TooManyStreams,
    #[error("Not Found")]
    RouteNotFound,
    #[error("Method Not Allowed")]
    MethodNotAllowed { allow: String },
    #[error("Service temporarily unavailable, please retry")]
    Unavailable,
    #[error("Internal server error")]
    Internal,
    /// A CORS preflight that actix-cors refused (origin, method or header not allowed).
    #[error("CORS request rejected: {0}")]
    CorsRejected(String),
}

impl ApiError {
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A failed write of task `id`: as any [`TaskError`], with its current tag on 412.
    pub fn of_write(id: TaskId) -> impl FnOnce(TaskError) -> Self {
        move |error| match error {
            TaskError::PreconditionFailed { current } => Self::PreconditionFailed {
                current: TaskTag::new(id, current),
            },
            other => other.into(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Token(AuthError::KeysUnavailable { retry_after }) => Some(*retry_after),
            Self::Unavailable => Some(DATABASE_RETRY_AFTER),
            Self::IdempotencyKeyInFlight => Some(IN_FLIGHT_RETRY_AFTER),
            Self::TooManyStreams => Some(STREAMS_RETRY_AFTER),
            _ => None,
        }
    }

    /// The `errors` list of a 422. A reused key is a 422 too, so it names the header, as
    /// every 422 names what was wrong.
    fn field_errors(&self) -> Option<Cow<'_, [FieldError]>> {
        match self {
            Self::Validation(errors) => Some(Cow::Borrowed(errors)),
            Self::IdempotencyKeyReused => Some(Cow::Owned(vec![FieldError::new(
                "Idempotency-Key",
                "was used with a different request",
            )])),
            _ => None,
        }
    }

    /// The detail sentence: for 422, the first problem, so the sentence alone is useful.
    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) => match errors.first() {
                Some(first) => format!("Invalid {}: {}", first.field, first.message),
                None => self.to_string(),
            },
            _ => self.to_string(),
        }
    }
}

/// Every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// One readable sentence.
    detail: String,
    /// Each field that failed validation; only in 422 answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<FieldError>>, nullable = false)]
    errors: Option<&'a [FieldError]>,
}

impl From<Forbidden> for ApiError {
    fn from(_: Forbidden) -> Self {
        Self::Forbidden
    }
}

impl From<TooManyStreams> for ApiError {
    fn from(_: TooManyStreams) -> Self {
        Self::TooManyStreams
    }
}

impl From<TaskError> for ApiError {
    fn from(error: TaskError) -> Self {
        match error {
            TaskError::NotFound => Self::TaskNotFound,
            TaskError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            TaskError::IdempotencyKeyInFlight => Self::IdempotencyKeyInFlight,
            // Only writes have preconditions, and they map through `ApiError::of_write`.
            TaskError::PreconditionFailed { current } => {
                tracing::error!(%current, "a precondition failed outside a write");
                Self::Internal
            }
            TaskError::Unavailable(source) => {
                tracing::warn!(error = %source, "task store unavailable");
                Self::Unavailable
            }
            TaskError::Unexpected(source) => {
                tracing::error!(error = %source, "unexpected task store error");
                Self::Internal
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::MalformedAuthorization => StatusCode::UNAUTHORIZED,
            Self::Token(AuthError::KeysUnavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Token(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::MalformedPrecondition(_)
            | Self::InvalidIdempotencyKey(_)
            | Self::MalformedJson(_)
            | Self::CorsRejected(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Validation(_) | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TaskNotFound | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::IdempotencyKeyInFlight => StatusCode::CONFLICT,
            Self::TooManyStreams => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = self.detail();
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::MissingToken => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="api""#));
            }
            Self::MalformedAuthorization
            | Self::Token(AuthError::Expired | AuthError::Invalid { .. }) => {
                let challenge = format!(
                    r#"Bearer realm="api", error="invalid_token", error_description="{detail}""#
                );
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            Self::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            Self::PreconditionFailed { current } => {
                response.insert_header((header::ETAG, current.header_value()));
            }
            // The rest of the body may still be on its way: the connection cannot serve
            // another request.
            Self::BodyTimeout => {
                response.force_close();
            }
            _ => {}
        }
        if let Some(retry_after) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, retry_after.as_secs().max(1)));
        }
        let errors = self.field_errors();
        response.json(ErrorBody {
            detail,
            errors: errors.as_deref(),
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use serde_json::{Value, json};
    use tasks_domain::Version;

    use super::*;

    async fn answer(error: ApiError) -> (StatusCode, header::HeaderMap, Value) {
        let response = error.error_response();
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body()).await.unwrap();
        (status, headers, serde_json::from_slice(&body).unwrap())
    }

    #[actix_web::test]
    async fn a_failed_precondition_names_the_current_tag() {
        let error = ApiError::of_write(TaskId::new(7))(TaskError::PreconditionFailed {
            current: Version::new(4),
        });
        let (status, headers, body) = answer(error).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(headers.get(header::ETAG).unwrap(), "\"7.4\"");
        assert_eq!(
            body,
            json!({"detail": "Precondition failed: the task has changed"})
        );
    }

    #[actix_web::test]
    async fn other_write_failures_map_as_any_task_error() {
        let error = ApiError::of_write(TaskId::new(7))(TaskError::NotFound);
        assert!(matches!(error, ApiError::TaskNotFound));
    }

    #[actix_web::test]
    async fn a_reused_key_is_a_422_naming_the_header() {
        let (status, _, body) = answer(TaskError::IdempotencyKeyReused.into()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            json!({
                "detail": "Idempotency-Key was used with a different request",
                "errors": [{"field": "Idempotency-Key", "message": "was used with a different request"}],
            })
        );
    }

    #[actix_web::test]
    async fn a_key_in_flight_is_409_retry_after_one_second() {
        let (status, headers, body) = answer(TaskError::IdempotencyKeyInFlight.into()).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "1");
        assert!(body["detail"].as_str().unwrap().contains("Idempotency-Key"));
        assert!(body.get("errors").is_none());
    }

    #[actix_web::test]
    async fn too_many_streams_is_429_with_retry_after() {
        let (status, headers, body) = answer(TooManyStreams.into()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "5");
        assert_eq!(
            body,
            json!({"detail": "Too many open event streams for this user"})
        );
    }
}
