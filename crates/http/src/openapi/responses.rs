//! Error answers shared by several operations, each with the contract's JSON error body.

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToSchema};

use crate::body::MAX_BODY_BYTES;
use crate::error::ErrorBody;

/// 401, 403, 422, 500 and 503: what any `/api/` operation can answer.
pub enum ApiRejected {}

/// 400, 408, 413 and 415: a request body the server could not read as JSON.
pub enum BodyRejected {}

/// 404 for a task id this user has no task with.
pub enum TaskNotFound {}

fn error(description: &str) -> ResponseBuilder {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(ErrorBody::name())))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content("application/json", body)
}

fn header(schema_type: Type, description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(schema_type))
        .description(Some(description))
        .build()
}

fn by_status(
    responses: impl IntoIterator<Item = (u16, ResponseBuilder)>,
) -> BTreeMap<String, RefOr<Response>> {
    responses
        .into_iter()
        .map(|(status, response)| (status.to_string(), response.build().into()))
        .collect()
}

impl IntoResponses for ApiRejected {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([
            (
                401,
                error("No bearer token, or one that is malformed, expired or invalid").header(
                    "WWW-Authenticate",
                    header(
                        Type::String,
                        "`Bearer realm=\"api\"`; with `error=\"invalid_token\"` and \
                         `error_description` when a token was sent",
                    ),
                ),
            ),
            (403, error("The path's `user_id` is not the token's `sub`")),
            (
                422,
                error("A path or query parameter or a body member is invalid; `errors` names each"),
            ),
            (500, error("A bug; the detail is generic")),
            (
                503,
                error("The database or the signing keys are unavailable").header(
                    "Retry-After",
                    header(Type::Integer, "Seconds to wait before retrying"),
                ),
            ),
        ])
    }
}

impl IntoResponses for BodyRejected {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([
            (
                400,
                error("The body is not well-formed JSON (or not UTF-8)"),
            ),
            (
                408,
                error("The body did not arrive within the body read timeout"),
            ),
            (
                413,
                error(&format!("The body is over {MAX_BODY_BYTES} bytes")),
            ),
            (415, error("The body is not `application/json`")),
        ])
    }
}

impl IntoResponses for TaskNotFound {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([(404, error("This user has no task with this id"))])
    }
}
