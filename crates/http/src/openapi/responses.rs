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

/// 408, 413 and 415: a request body the server could not read. Its 400 (not well-formed
/// JSON) is with each operation's other 400s.
pub enum BodyRejected {}

/// 404 for a task id this user has no task with.
pub enum TaskNotFound {}

/// A read's `If-None-Match`: 304, or 400 when malformed.
pub enum NotModified {}

/// A write with a body and `If-Match`: 400 for either, and 412.
pub enum GuardedWriteRejected {}

/// A delete's `If-Match`: 400, and 412.
pub enum GuardedDeleteRejected {}

/// A create's body and `Idempotency-Key`: 400 for either, 409 and 422.
pub enum CreateRejected {}

/// 429: the user has too many event streams open.
pub enum StreamsExhausted {}

const NOT_JSON: &str = "the body is not well-formed JSON (or not UTF-8)";
const MALFORMED_IF_MATCH: &str = "`If-Match` is neither `*` nor a list of entity tags";

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
                    retry_after("Seconds to wait before retrying"),
                ),
            ),
        ])
    }
}

/// 400, naming each way the operation's request can be malformed.
fn bad_request(causes: &[&str]) -> (u16, ResponseBuilder) {
    (
        400,
        error(&format!("A malformed request: {}", causes.join("; or "))),
    )
}

fn precondition_failed() -> (u16, ResponseBuilder) {
    (
        412,
        error("`If-Match` does not list the task's current entity tag; nothing changed").header(
            "ETag",
            header(Type::String, "The task's current entity tag"),
        ),
    )
}

fn retry_after(description: &str) -> utoipa::openapi::header::Header {
    header(Type::Integer, description)
}

impl IntoResponses for BodyRejected {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([
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

impl IntoResponses for NotModified {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([
            (
                304,
                ResponseBuilder::new()
                    .description("`If-None-Match` lists the current entity tag, or is `*`; no body")
                    .header("ETag", header(Type::String, "The current entity tag")),
            ),
            bad_request(&["`If-None-Match` is neither `*` nor a list of entity tags"]),
        ])
    }
}

impl IntoResponses for GuardedWriteRejected {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([
            bad_request(&[MALFORMED_IF_MATCH, NOT_JSON]),
            precondition_failed(),
        ])
    }
}

impl IntoResponses for GuardedDeleteRejected {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([bad_request(&[MALFORMED_IF_MATCH]), precondition_failed()])
    }
}

impl IntoResponses for CreateRejected {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([
            bad_request(&[
                "`Idempotency-Key` is not 1 to 255 visible ASCII characters",
                NOT_JSON,
            ]),
            (
                409,
                error("The first request with this `Idempotency-Key` is still in progress").header(
                    "Retry-After",
                    retry_after("Seconds to wait before repeating it"),
                ),
            ),
            (
                422,
                error(
                    "A body member is invalid, or the `Idempotency-Key` was used with another \
                     body; `errors` names each",
                ),
            ),
        ])
    }
}

impl IntoResponses for StreamsExhausted {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        by_status([(
            429,
            error("The user has as many event streams open as allowed").header(
                "Retry-After",
                retry_after("Seconds to wait before opening another"),
            ),
        )])
    }
}
