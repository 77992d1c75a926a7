use actix_web::HttpRequest;
use tasks_domain::IdempotencyKey;

use super::IDEMPOTENCY_KEY;
use crate::error::ApiError;

/// The request's `Idempotency-Key`, if it sent one: a single header line of 1–255 visible
/// ASCII characters, else 400.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut lines = req.headers().get_all(&IDEMPOTENCY_KEY);
    let Some(value) = lines.next() else {
        return Ok(None);
    };
    if lines.next().is_some() {
        return Err(ApiError::InvalidIdempotencyKey(
            "must be sent once".to_owned(),
        ));
    }
    let text = value.to_str().map_err(|_| {
        ApiError::InvalidIdempotencyKey("must consist of visible ASCII characters".to_owned())
    })?;
    IdempotencyKey::parse(text)
        .map(Some)
        .map_err(|error| ApiError::InvalidIdempotencyKey(error.to_string()))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;
    use actix_web::test::TestRequest;

    use super::*;

    fn key(lines: &[&[u8]]) -> Result<Option<IdempotencyKey>, ApiError> {
        let request = lines.iter().fold(TestRequest::default(), |request, line| {
            request.append_header((
                IDEMPOTENCY_KEY.clone(),
                HeaderValue::from_bytes(line).unwrap(),
            ))
        });
        idempotency_key(&request.to_http_request())
    }

    #[test]
    fn absent_is_none() {
        assert!(key(&[]).unwrap().is_none());
    }

    #[test]
    fn one_visible_ascii_key() {
        let found = key(&[b"0f8fad5b-d9cb-469f"]).unwrap().unwrap();
        assert_eq!(found.as_str(), "0f8fad5b-d9cb-469f");
        let longest = "k".repeat(255);
        assert!(key(&[longest.as_bytes()]).unwrap().is_some());
    }

    #[test]
    fn bad_keys_name_the_header() {
        let too_long = "k".repeat(256);
        for line in [
            b"".as_slice(),
            b"with space",
            b"tab\there",
            b"caf\xc3\xa9",
            too_long.as_bytes(),
        ] {
            let error = key(&[line]).unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with("Invalid Idempotency-Key header: "),
                "{line:?}: {error}"
            );
        }
        assert_eq!(
            key(&[b"a", b"b"]).unwrap_err().to_string(),
            "Invalid Idempotency-Key header: must be sent once"
        );
    }
}
