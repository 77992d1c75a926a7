//! Safe retries of a create: a client names its request with a key, and a repeat of the
//! same request with the same key gets the first outcome instead of a second task.

use std::time::Duration;

use crate::DomainError;

/// How long a stored outcome is kept for repeats of its key, at least.
pub const IDEMPOTENCY_KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A client's name for one request: 1–255 visible ASCII characters, scoped to its user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(value: impl Into<String>) -> Result<Self, DomainError> {
        let value = value.into();
        if value.is_empty() {
            return Err(DomainError::Empty);
        }
        if value.len() > Self::MAX_LEN {
            return Err(DomainError::TooLong { max: Self::MAX_LEN });
        }
        if !value.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(DomainError::NotVisibleAscii);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What identifies a request's content, whatever its spelling (two bodies that parse to the
/// same JSON have the same fingerprint). Made by the layer that parses the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A create that a client may repeat: its key and its request's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentRequest {
    pub key: IdempotencyKey,
    pub fingerprint: RequestFingerprint,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_ok());
        assert!(IdempotencyKey::parse("!~\"'").is_ok());
        assert_eq!(IdempotencyKey::parse(""), Err(DomainError::Empty));
        for bad in ["with space", "tab\t", "é", "nul\0", "del\x7f"] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(DomainError::NotVisibleAscii),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn keys_have_at_most_255_characters() {
        assert!(IdempotencyKey::parse("k".repeat(255)).is_ok());
        assert_eq!(
            IdempotencyKey::parse("k".repeat(256)),
            Err(DomainError::TooLong { max: 255 })
        );
    }
}
