use actix_cors::{Cors, CorsError};
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;

use crate::error::ApiError;
use crate::idempotency::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
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
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            IDEMPOTENCY_KEY.clone(),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-total-count"),
            header::LINK,
            header::LOCATION,
            X_REQUEST_ID.clone(),
            header::ETAG,
            header::RETRY_AFTER,
            IDEMPOTENT_REPLAYED.clone(),
        ])
        .supports_credentials()
        .block_on_origin_mismatch(false)
        .max_age(600);
    allowed_origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

/// Two corrections to actix-cors, which sits inside this: it adds
/// `Access-Control-Allow-Credentials` and `-Expose-Headers` to every response, even when it
/// withholds `Access-Control-Allow-Origin` from an origin it does not allow (here no CORS
/// header is sent at all then); and it answers a refused preflight in plain text (here it
/// goes through the contract's JSON errors like everything else).
pub async fn only_for_allowed_origins(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let refusal = response
        .response()
        .error()
        .and_then(|error| error.as_error::<CorsError>())
        .map(ToString::to_string);
    if let Some(reason) = refusal {
        let (request, _) = response.into_parts();
        let answer = ApiError::CorsRejected(reason).error_response();
        return Ok(ServiceResponse::new(request, answer).map_into_right_body());
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
        headers.remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
    }
    Ok(response.map_into_left_body())
}
