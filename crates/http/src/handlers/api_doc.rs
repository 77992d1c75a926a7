use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::OpenApi;

use crate::routes::OPENAPI_PATH;

/// Built once: the document depends on nothing but the code.
static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(crate::openapi::document);

/// This document: every route with its parameters, bodies and answers.
#[utoipa::path(
    get,
    path = OPENAPI_PATH,
    tag = "service",
    responses((status = OK, description = "The OpenAPI 3.1 document", body = Object)),
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}
