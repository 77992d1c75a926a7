use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use tasks_domain::UserId;
use tasks_ports::{AuthError, Claims};

use crate::error::SetupError;
use crate::json;

/// The claim rules every token obeys, whichever key verified it.
#[derive(Debug)]
pub(crate) struct ClaimsPolicy {
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: i64,
}

#[derive(Deserialize)]
struct RegisteredClaims {
    exp: Option<NumericDate>,
    nbf: Option<NumericDate>,
    iat: Option<NumericDate>,
    sub: Option<String>,
    // Kept loose: their shape only matters when the check is configured.
    iss: Option<Value>,
    aud: Option<Value>,
}

/// Seconds since the epoch (RFC 7519 §2); fractions are allowed and rounded down.
#[derive(Clone, Copy)]
struct NumericDate(i64);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        number
            .as_i64()
            // `as` saturates, so even 1e300 cannot overflow.
            .or_else(|| number.as_f64().map(|seconds| seconds.floor() as i64))
            .map(Self)
            .ok_or_else(|| D::Error::custom("not a NumericDate"))
    }
}

impl ClaimsPolicy {
    pub(crate) fn new(
        issuer: Option<String>,
        audience: Option<String>,
        leeway: Duration,
    ) -> Result<Self, SetupError> {
        if issuer.as_deref() == Some("") {
            return Err(SetupError::EmptyExpectedClaim { claim: "issuer" });
        }
        if audience.as_deref() == Some("") {
            return Err(SetupError::EmptyExpectedClaim { claim: "audience" });
        }
        Ok(Self {
            issuer,
            audience,
            leeway_secs: i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX),
        })
    }

    /// Checks the verified payload of a token at `now` (seconds since the epoch).
    pub(crate) fn check(&self, payload: &[u8], now: i64) -> Result<Claims, AuthError> {
        let claims: RegisteredClaims =
            json::from_object(payload).map_err(|_| AuthError::invalid("malformed claims"))?;
        let NumericDate(expires_at) = claims.exp.ok_or(AuthError::invalid("missing exp"))?;
        let subject = claims.sub.ok_or(AuthError::invalid("missing sub"))?;
        let subject = UserId::parse(subject)
            .map_err(|_| AuthError::invalid("sub empty, over 255 bytes or with NUL"))?;
        if !self.issuer_accepted(claims.iss.as_ref()) {
            return Err(AuthError::invalid("unexpected iss"));
        }
        if !self.audience_accepted(claims.aud.as_ref()) {
            return Err(AuthError::invalid("unexpected aud"));
        }
        let latest_acceptable = now.saturating_add(self.leeway_secs);
        if claims
            .nbf
            .is_some_and(|NumericDate(nbf)| nbf > latest_acceptable)
        {
            return Err(AuthError::invalid("nbf in the future"));
        }
        if claims
            .iat
            .is_some_and(|NumericDate(iat)| iat > latest_acceptable)
        {
            return Err(AuthError::invalid("iat in the future"));
        }
        // Last, so that `Expired` means a fresh token with the same claims would pass.
        if now >= expires_at.saturating_add(self.leeway_secs) {
            return Err(AuthError::Expired);
        }
        Ok(Claims {
            subject,
            expires_at,
        })
    }

    fn issuer_accepted(&self, iss: Option<&Value>) -> bool {
        match &self.issuer {
            None => true,
            Some(expected) => iss.and_then(Value::as_str) == Some(expected.as_str()),
        }
    }

    /// `aud` may be one string or an array of them (RFC 7519 §4.1.3).
    fn audience_accepted(&self, aud: Option<&Value>) -> bool {
        let Some(expected) = &self.audience else {
            return true;
        };
        match aud {
            Some(Value::String(audience)) => audience == expected,
            Some(Value::Array(audiences)) => audiences
                .iter()
                .any(|audience| audience.as_str() == Some(expected.as_str())),
            _ => false,
        }
    }
}

/// The current time as a NumericDate.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn policy() -> ClaimsPolicy {
        ClaimsPolicy::new(None, None, Duration::from_secs(30)).unwrap()
    }

    fn checked_policy() -> ClaimsPolicy {
        ClaimsPolicy::new(
            Some("https://auth.example".into()),
            Some("https://api.example".into()),
            Duration::from_secs(30),
        )
        .unwrap()
    }

    fn check(policy: &ClaimsPolicy, claims: Value) -> Result<Claims, AuthError> {
        policy.check(claims.to_string().as_bytes(), NOW)
    }

    fn valid() -> Value {
        json!({"sub": "user-1", "exp": NOW + 600, "iat": NOW - 5})
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    fn without(mut claims: Value, key: &str) -> Value {
        claims.as_object_mut().unwrap().remove(key);
        claims
    }

    #[test]
    fn accepts_a_valid_token_and_returns_sub_and_exp() {
        let claims = check(&policy(), valid()).unwrap();
        assert_eq!(claims.subject.as_str(), "user-1");
        assert_eq!(claims.expires_at, NOW + 600);
    }

    #[test]
    fn requires_exp() {
        assert_eq!(
            check(&policy(), without(valid(), "exp")),
            Err(AuthError::invalid("missing exp"))
        );
        assert_eq!(
            check(&policy(), with(valid(), "exp", json!("soon"))),
            Err(AuthError::invalid("malformed claims"))
        );
    }

    #[test]
    fn expired_beyond_leeway_is_expired() {
        assert_eq!(
            check(&policy(), with(valid(), "exp", json!(NOW - 30))),
            Err(AuthError::Expired)
        );
        assert!(check(&policy(), with(valid(), "exp", json!(NOW - 29))).is_ok());
        assert!(check(&policy(), with(valid(), "exp", json!(NOW as f64 - 28.5))).is_ok());
    }

    #[test]
    fn leeway_is_configurable() {
        let strict = ClaimsPolicy::new(None, None, Duration::ZERO).unwrap();
        assert_eq!(
            check(&strict, with(valid(), "exp", json!(NOW))),
            Err(AuthError::Expired)
        );
        assert_eq!(
            check(&strict, with(valid(), "nbf", json!(NOW + 1))),
            Err(AuthError::invalid("nbf in the future"))
        );
    }

    #[test]
    fn expired_only_when_every_other_claim_passes() {
        let expired_with_wrong_iss = json!({
            "sub": "user-1", "exp": NOW - 600,
            "iss": "https://evil.example", "aud": "https://api.example",
        });
        assert_eq!(
            check(&checked_policy(), expired_with_wrong_iss),
            Err(AuthError::invalid("unexpected iss"))
        );
    }

    #[test]
    fn nbf_in_the_future_beyond_leeway_is_invalid() {
        assert_eq!(
            check(&policy(), with(valid(), "nbf", json!(NOW + 31))),
            Err(AuthError::invalid("nbf in the future"))
        );
        assert!(check(&policy(), with(valid(), "nbf", json!(NOW + 30))).is_ok());
        assert_eq!(
            check(&policy(), with(valid(), "nbf", json!("later"))),
            Err(AuthError::invalid("malformed claims"))
        );
    }

    #[test]
    fn iat_in_the_future_beyond_leeway_is_invalid() {
        assert_eq!(
            check(&policy(), with(valid(), "iat", json!(NOW + 31))),
            Err(AuthError::invalid("iat in the future"))
        );
        assert!(check(&policy(), with(valid(), "iat", json!(NOW + 30))).is_ok());
        assert!(check(&policy(), without(valid(), "iat")).is_ok());
    }

    #[test]
    fn sub_must_be_a_non_empty_string_of_at_most_255_bytes() {
        let bad_sub = AuthError::invalid("sub empty, over 255 bytes or with NUL");
        assert_eq!(
            check(&policy(), without(valid(), "sub")),
            Err(AuthError::invalid("missing sub"))
        );
        assert_eq!(
            check(&policy(), with(valid(), "sub", json!(""))),
            Err(bad_sub.clone())
        );
        assert_eq!(
            check(&policy(), with(valid(), "sub", json!("a".repeat(256)))),
            Err(bad_sub)
        );
        assert!(check(&policy(), with(valid(), "sub", json!("a".repeat(255)))).is_ok());
        assert_eq!(
            check(&policy(), with(valid(), "sub", json!(42))),
            Err(AuthError::invalid("malformed claims"))
        );
    }

    #[test]
    fn iss_must_match_when_configured() {
        let claims = with(valid(), "aud", json!("https://api.example"));
        assert!(
            check(
                &checked_policy(),
                with(claims.clone(), "iss", json!("https://auth.example"))
            )
            .is_ok()
        );
        for iss in [
            json!("https://evil.example"),
            json!(["https://auth.example"]),
            json!(null),
        ] {
            assert_eq!(
                check(&checked_policy(), with(claims.clone(), "iss", iss.clone())),
                Err(AuthError::invalid("unexpected iss")),
                "{iss}"
            );
        }
        assert_eq!(
            check(&checked_policy(), claims),
            Err(AuthError::invalid("unexpected iss"))
        );
    }

    #[test]
    fn aud_may_be_a_string_or_an_array_containing_the_expected_value() {
        let claims = with(valid(), "iss", json!("https://auth.example"));
        for aud in [
            json!("https://api.example"),
            json!(["https://other.example", "https://api.example"]),
        ] {
            assert!(
                check(&checked_policy(), with(claims.clone(), "aud", aud.clone())).is_ok(),
                "{aud}"
            );
        }
        for aud in [
            json!("https://other.example"),
            json!(["https://other.example"]),
            json!([]),
            json!(7),
        ] {
            assert_eq!(
                check(&checked_policy(), with(claims.clone(), "aud", aud.clone())),
                Err(AuthError::invalid("unexpected aud")),
                "{aud}"
            );
        }
        assert_eq!(
            check(&checked_policy(), claims),
            Err(AuthError::invalid("unexpected aud"))
        );
    }

    #[test]
    fn iss_and_aud_are_ignored_when_not_configured() {
        let claims = with(with(valid(), "iss", json!(1)), "aud", json!({"odd": true}));
        assert!(check(&policy(), claims).is_ok());
    }

    #[test]
    fn payload_must_be_a_json_object() {
        for payload in ["", "[]", "null", "{", "\"sub\""] {
            assert_eq!(
                policy().check(payload.as_bytes(), NOW),
                Err(AuthError::invalid("malformed claims")),
                "{payload}"
            );
        }
    }

    #[test]
    fn extreme_numbers_do_not_overflow() {
        assert!(check(&policy(), with(valid(), "exp", json!(u64::MAX))).is_ok());
        assert!(check(&policy(), with(valid(), "exp", json!(1e300))).is_ok());
        assert_eq!(
            check(&policy(), with(valid(), "exp", json!(i64::MIN))),
            Err(AuthError::Expired)
        );
        let huge_leeway = ClaimsPolicy::new(None, None, Duration::MAX).unwrap();
        assert!(check(&huge_leeway, with(valid(), "nbf", json!(i64::MAX))).is_ok());
    }

    #[test]
    fn empty_expected_values_are_a_setup_error() {
        assert!(matches!(
            ClaimsPolicy::new(Some(String::new()), None, Duration::ZERO),
            Err(SetupError::EmptyExpectedClaim { claim: "issuer" })
        ));
        assert!(matches!(
            ClaimsPolicy::new(None, Some(String::new()), Duration::ZERO),
            Err(SetupError::EmptyExpectedClaim { claim: "audience" })
        ));
    }
}
