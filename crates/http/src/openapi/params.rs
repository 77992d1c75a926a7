//! The path parameters, described once for every operation whose path has them.

use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Required, Schema};

/// `{user_id}`.
pub enum UserPath {}

/// `{user_id}` and `{task_id}`.
pub enum TaskPath {}

fn in_path(name: &str, description: &str, schema: impl Into<Schema>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
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
