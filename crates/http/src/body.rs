//! Reading JSON request bodies in the contract's order: 413, 415, 400, then 422.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::ApiError;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Longest time a whole request body may take to arrive, set once for the app.
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub Duration);

impl BodyReadTimeout {
    pub const DEFAULT: Self = Self(Duration::from_secs(10));
}

/// The whole body, at most [`MAX_BODY_BYTES`] whether or not it is chunked, received
/// within the app's [`BodyReadTimeout`] (else 408).
pub async fn read_limited(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<web::BytesMut, ApiError> {
    let BodyReadTimeout(limit) = req
        .app_data::<BodyReadTimeout>()
        .copied()
        .unwrap_or(BodyReadTimeout::DEFAULT);
    tokio::time::timeout(limit, read_within_size(req, payload))
        .await
        .map_err(|_| ApiError::BodyTimeout)?
}

async fn read_within_size(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| ApiError::MalformedJson(error.to_string()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `application/json`, with or without parameters such as `charset`.
pub fn require_json_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
        .is_some_and(|mime| mime.essence_str() == mime::APPLICATION_JSON.essence_str());
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// Parses a JSON object into `T`: malformed JSON is 400, well-formed JSON of the wrong
/// shape is 422 naming the field that did not fit (`body` for the whole document).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde's derived structs also accept arrays; request bodies are objects only.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
            .map_err(|error| classify(error, String::new()))?;
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        classify(error.into_inner(), path)
    })?;
    // Trailing characters after the document are malformed JSON.
    deserializer
        .end()
        .map_err(|error| classify(error, String::new()))?;
    Ok(value)
}

fn classify(error: serde_json::Error, path: String) -> ApiError {
    match error.classify() {
        Category::Data => {
            let field = if path.is_empty() || path == "." {
                "body".to_owned()
            } else {
                path
            };
            ApiError::invalid_field(field, without_position(&error.to_string()))
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::MalformedJson(error.to_string())
        }
    }
}

/// serde_json appends " at line L column C"; a field error names its field instead.
fn without_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |index| &message[..index])
}

/// Reads and parses a JSON body, with every check in the contract's order.
pub async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    read_json_and_bytes(req, payload)
        .await
        .map(|(value, _)| value)
}

/// As [`read_json`], with the bytes the value was parsed from.
pub async fn read_json_and_bytes<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(T, web::BytesMut), ApiError> {
    let bytes = read_limited(req, payload).await?;
    require_json_content_type(req)?;
    let value = parse_json(&bytes)?;
    Ok((value, bytes))
}
