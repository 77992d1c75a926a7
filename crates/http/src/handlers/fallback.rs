use actix_web::HttpResponse;

use crate::error::ApiError;

/// Any path no route matches; no token is needed to learn that.
pub async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

/// A known path with a method it does not serve.
pub fn method_not_allowed(
    allow: String,
) -> impl Fn() -> std::future::Ready<Result<HttpResponse, ApiError>> + Clone {
    move || {
        std::future::ready(Err(ApiError::MethodNotAllowed {
            allow: allow.clone(),
        }))
    }
}
