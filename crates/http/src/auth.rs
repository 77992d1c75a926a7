//! The bearer extractor: 401 for the token, then 403 for the path's `{user_id}`, before
//! anything else about the request is looked at.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use tasks_ports::{Owner, TokenVerifier};

use crate::error::ApiError;

/// The verified owner of the `{user_id}` in the path.
#[derive(Debug)]
pub struct Authorized<V> {
    pub owner: Owner,
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

impl<V: TokenVerifier> FromRequest for Authorized<V> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req.headers());
        let verifier = req.app_data::<web::Data<V>>().cloned();
        let requested = req.match_info().get("user_id").map(str::to_owned);
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
