//! The bearer extractor: 401 for the token, then 403 for the path's `{user_id}`, before
//! anything else about the request is looked at.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use percent_encoding::percent_decode_str;
use tasks_ports::{Owner, TokenVerifier};

use crate::error::ApiError;

/// The verified owner of the `{user_id}` in the path.
#[derive(Debug)]
pub struct Authorized<V> {
    pub owner: Owner,
    /// The token's `exp`, in seconds since the Unix epoch: what it authorizes ends then.
    pub expires_at: i64,
    verifier: PhantomData<fn() -> V>,
}

/// The token in `Authorization: Bearer <token>`; the scheme is case-insensitive.
fn bearer_token(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::MalformedAuthorization)?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingToken);
    }
    let token = rest.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(ApiError::MalformedAuthorization);
    }
    Ok(token.to_owned())
}

/// The path's `{user_id}` fully percent-decoded, as the client's
/// `encodeURIComponent(sub)` encoded it; `None` when it is not UTF-8 once decoded (no one's
/// id) or the route has no `{user_id}`.
///
/// Read from the request's own path rather than from the router's copy: the router leaves
/// `%2F`, `%25` and `%2B` encoded (so that `%2F` cannot split a segment) and replaces bytes
/// that are not UTF-8, which would let `%FF` match a `sub` of U+FFFD. Neither changes where
/// the `/`s are, so the segment has the same index in both.
fn requested_user_id(req: &HttpRequest) -> Option<String> {
    let routed_path = req.match_info().as_str();
    let index = req
        .resource_map()
        .match_pattern(routed_path)?
        .split('/')
        .position(|segment| segment == "{user_id}")?;
    let segment = req.path().split('/').nth(index)?;
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

impl<V: TokenVerifier> FromRequest for Authorized<V> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req.headers());
        let verifier = req.app_data::<web::Data<V>>().cloned();
        let requested = requested_user_id(req);
        Box::pin(async move {
            let token = token?;
            let verifier = verifier.ok_or(ApiError::Internal)?;
            let claims = verifier.verify(&token).await.inspect_err(|error| {
                if let tasks_ports::AuthError::Invalid { reason } = error {
                    tracing::info!(reason, "token rejected");
                }
            })?;
            tracing::Span::current().record("user_id", claims.subject.as_str());
            let owner = Owner::authorize(&claims, requested.as_deref().unwrap_or_default())?;
            Ok(Self {
                owner,
                expires_at: claims.expires_at,
                verifier: PhantomData,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn parse(value: &str) -> Result<String, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        bearer_token(&headers)
    }

    #[test]
    fn scheme_is_case_insensitive() {
        assert_eq!(parse("Bearer abc").unwrap(), "abc");
        assert_eq!(parse("bearer abc").unwrap(), "abc");
        assert_eq!(parse("BEARER   abc ").unwrap(), "abc");
    }

    #[test]
    fn other_schemes_count_as_missing() {
        assert!(matches!(
            parse("Basic dXNlcjpwdw=="),
            Err(ApiError::MissingToken)
        ));
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(ApiError::MissingToken)
        ));
    }

    #[test]
    fn bearer_without_a_single_token_is_malformed() {
        for value in ["Bearer", "Bearer ", "Bearer a b"] {
            assert!(
                matches!(parse(value), Err(ApiError::MalformedAuthorization)),
                "{value}"
            );
        }
    }
}
