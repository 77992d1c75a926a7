use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// `/api/` answers are per-user data: never cached, never sniffed. Applied app-wide by
/// path so that 404s and 405s under `/api/` carry them too, and decided on the path as the
/// router reads it (percent-decoded, leading `/` merged), so that `//api/…` or `/%61pi/…`
/// cannot reach a task route without them.
pub async fn api_security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let is_api = is_api_path(req.match_info().as_str());
    let mut response = next.call(req).await?;
    if is_api {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    Ok(response)
}

fn is_api_path(routed_path: &str) -> bool {
    routed_path.trim_start_matches('/').starts_with("api/")
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn any_spelling_of_api_counts() {
        for path in ["/api/u/tasks", "//api/u/tasks", "///api/", "/api/"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/health", "/apix/u", "/", "", "/api"] {
            assert!(!is_api_path(path), "{path}");
        }
    }
}
