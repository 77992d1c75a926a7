use actix_cors::Cors;
use actix_web::http::{Method, header};

use crate::middleware::X_REQUEST_ID;

/// Only the configured origins, with credentials; never `*`. Requests from other origins
/// are still served, without CORS headers, so the browser keeps the answer from the page.
pub fn cors(allowed_origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            X_REQUEST_ID.clone(),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-total-count"),
            header::LINK,
            header::LOCATION,
            X_REQUEST_ID.clone(),
        ])
        .supports_credentials()
        .block_on_origin_mismatch(false)
        .max_age(600);
    allowed_origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}
