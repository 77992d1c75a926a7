use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of one request: the client's when it is short and plain, else a new UUID.
#[derive(Debug, Clone)]
pub struct RequestId {
    pub id: String,
    pub started: Instant,
}

fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Outermost middleware: every response, errors included, carries `X-Request-Id`.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| acceptable(id))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let header = HeaderValue::from_str(&id).expect("request ids are plain ASCII");
    req.extensions_mut().insert(RequestId {
        id,
        started: Instant::now(),
    });
    let mut response = next.call(req).await?;
    response.headers_mut().insert(X_REQUEST_ID.clone(), header);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn accepts_plain_ids_up_to_128() {
        assert!(acceptable("abc-123_x.y"));
        assert!(acceptable(&"a".repeat(128)));
    }

    #[test]
    fn refuses_the_rest() {
        assert!(!acceptable(""));
        assert!(!acceptable(&"a".repeat(129)));
        assert!(!acceptable("a b"));
        assert!(!acceptable("id\"injected"));
    }
}
