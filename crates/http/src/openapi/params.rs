//! The path parameters and request headers, described once for every operation that
//! takes them.

use tasks_domain::IdempotencyKey;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Required, Schema};

/// `*`, or a comma-separated list of entity tags (RFC 9110), as `If-Match` and
/// `If-None-Match` take them.
const ENTITY_TAGS_PATTERN: &str = r#"^(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)$"#;

/// `{user_id}`.
pub enum UserPath {}

/// `{user_id}` and `{task_id}`.
pub enum TaskPath {}

/// The `If-Match` request header of the writes.
pub enum IfMatch {}

/// The `If-None-Match` request header of the reads.
pub enum IfNoneMatch {}

/// The `Idempotency-Key` request header of a create.
pub enum IdempotencyKeyHeader {}

fn in_path(name: &str, description: &str, schema: impl Into<Schema>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(schema.into()))
        .build()
}

fn optional_header(name: &str, description: &str, schema: impl Into<Schema>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema.into()))
        .build()
}

fn user_id() -> Parameter {
    in_path(
        "user_id",
        "The signed-in user, percent-encoded as `encodeURIComponent(sub)` does: once \
         decoded (UTF-8) it must equal the token's `sub` byte for byte, else 403.",
        ObjectBuilder::new().schema_type(Type::String),
    )
}

fn task_id() -> Parameter {
    in_path(
        "task_id",
        "The task's id. Not an integer is 422; an id this user has no task with, \
         beyond the int64 range included, is 404.",
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
    )
}

impl IntoParams for UserPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![user_id()]
    }
}

impl IntoParams for TaskPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![user_id(), task_id()]
    }
}

impl IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![optional_header(
            "If-Match",
            "Apply the change only if the task's current `ETag` is listed (strong comparison: \
             weak tags `W/\"…\"` never match), or, with `*`, if the task exists; else 412. \
             Neither `*` nor a comma-separated list of entity tags is 400.",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(ENTITY_TAGS_PATTERN))
                .examples([serde_json::json!("\"17.3\"")]),
        )]
    }
}

impl IntoParams for IfNoneMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![optional_header(
            "If-None-Match",
            "304 without a body when the answer's current `ETag` is listed (weak \
             comparison), or with `*`. Neither `*` nor a comma-separated list of entity tags \
             is 400.",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(ENTITY_TAGS_PATTERN))
                .examples([serde_json::json!("\"17.3\"")]),
        )]
    }
}

impl IntoParams for IdempotencyKeyHeader {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![optional_header(
            "Idempotency-Key",
            "Makes the create safe to repeat: a later request with the same key and the \
             same body (compared as JSON) creates nothing and gets the first answer again, \
             for at least 24 hours; the same key with another body is 422, and while the \
             first is in progress, 409. Keys belong to the user.",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(IdempotencyKey::MAX_LEN))
                .pattern(Some("^[!-~]+$")),
        )]
    }
}
