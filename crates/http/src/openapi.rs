//! The OpenAPI 3.1 document, assembled from the handlers' `#[utoipa::path]` annotations
//! and the DTOs' schemas. Served at `GET /openapi.json`.
//!
//! utoipa-actix-web is not used: it collects only handlers registered through actix's
//! route macros, which can neither be generic (`list_tasks::<R, V>`) nor share a resource
//! whose default service answers 405. The test in `tests.rs` holds the document to the
//! route table instead.

mod params;
mod responses;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

pub use params::{IdempotencyKeyHeader, IfMatch, IfNoneMatch, TaskPath, UserPath};
pub use responses::{
    BodyRejected, CreateRejected, GuardedDeleteRejected, GuardedWriteRejected, NotModified,
    StreamsExhausted, TaskNotFound,
};

use crate::dto::CompleteTaskBody;
use crate::error::ErrorBody;
use crate::handlers::{api_doc, events, probes, tasks};
use responses::ApiRejected;

const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(description = "The tasks of users signed in with Better Auth. Every `/api/` route \
        needs `Authorization: Bearer <jwt>` for the user in its path. Errors are JSON \
        `{\"detail\": \"...\"}`, plus `errors` on 422; every answer carries `X-Request-Id`. \
        Every answer with one task carries its `ETag`, for `If-None-Match` on reads and \
        `If-Match` on writes; `Idempotency-Key` makes a create safe to repeat; \
        `GET /api/{user_id}/tasks/events` streams changes as they are committed."),
    paths(
        tasks::list_tasks,
        tasks::create_task,
        tasks::get_task,
        tasks::update_task,
        tasks::delete_task,
        tasks::complete_task,
        events::task_events,
        probes::health,
        probes::ready,
        api_doc::openapi_json,
    ),
    // Named here because no annotation names them by type.
    components(schemas(ErrorBody, CompleteTaskBody)),
    modifiers(&ApiNeedsBearer, &UniqueOperationIds),
    tags(
        (name = "tasks", description = "The signed-in user's tasks"),
        (name = "service", description = "Probes and this document; no token needed"),
    ),
)]
struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Each operation of a path item, with its method in lowercase.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_mut()?)))
}

/// Every `/api/` operation needs the bearer JWT, and so can answer [`ApiRejected`]'s errors
/// (those it documents itself, more precisely, keep their own description).
struct ApiNeedsBearer;

impl Modify for ApiNeedsBearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A Better Auth JWT whose `sub` is the path's `user_id`: EdDSA, ES* or RS*/PS* \
                 checked against the JWKS, or HS256 with the shared secret.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(scheme));
        let api_operations = openapi
            .paths
            .paths
            .iter_mut()
            .filter(|(path, _)| path.starts_with("/api/"))
            .flat_map(|(_, item)| operations_mut(item));
        for (_, operation) in api_operations {
            operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
            for (status, response) in ApiRejected::responses() {
                operation
                    .responses
                    .responses
                    .entry(status)
                    .or_insert(response);
            }
        }
    }
}

/// A handler serving several methods (`method(put, patch)`) gives them one operation id;
/// ids must be unique, so each of those gets its method appended.
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut uses = HashMap::<String, usize>::new();
        for (_, operation) in openapi.paths.paths.values_mut().flat_map(operations_mut) {
            if let Some(id) = &operation.operation_id {
                *uses.entry(id.clone()).or_default() += 1;
            }
        }
        for (method, operation) in openapi.paths.paths.values_mut().flat_map(operations_mut) {
            if let Some(id) = operation.operation_id.as_mut()
                && uses[id.as_str()] > 1
            {
                *id = format!("{id}_{method}");
            }
        }
    }
}
