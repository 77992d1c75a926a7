//! The one place where failures become the contract's status codes and JSON bodies.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use tasks_ports::{AuthError, Forbidden, TaskError};
use utoipa::ToSchema;

/// How long a client should wait before retrying when the database is unavailable.
const DATABASE_RETRY_AFTER: Duration = Duration::from_secs(5);

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

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Token(AuthError::KeysUnavailable { retry_after }) => Some(*retry_after),
            Self::Unavailable => Some(DATABASE_RETRY_AFTER),
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

impl From<TaskError> for ApiError {
    fn from(error: TaskError) -> Self {
        match error {
            TaskError::NotFound => Self::TaskNotFound,
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
            Self::MalformedJson(_) | Self::CorsRejected(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TaskNotFound | Self::RouteNotFound => StatusCode::NOT_FOUND,
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
        let errors = match self {
            Self::Validation(errors) => Some(errors.as_slice()),
            _ => None,
        };
        response.json(ErrorBody { detail, errors })
    }
}
