use std::future::Future;
use std::time::Duration;

use tasks_domain::UserId;

/// What a verified token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: UserId,
    /// `exp`, in seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Why a bearer token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Token has expired")]
    Expired,
    /// Bad signature, algorithm, claim or shape; `reason` is for the logs.
    #[error("Invalid authentication token")]
    Invalid { reason: &'static str },
    /// The keys needed to check this token could not be obtained yet.
    #[error("Token verification keys are not available yet")]
    KeysUnavailable { retry_after: Duration },
}

impl AuthError {
    pub const fn invalid(reason: &'static str) -> Self {
        Self::Invalid { reason }
    }
}

/// Checks bearer tokens.
///
/// Implementations must return [`AuthError::Expired`] for a token that is well signed but
/// past its `exp` (beyond the leeway), [`AuthError::KeysUnavailable`] only when the token
/// might be valid but no key to check it could be obtained, and [`AuthError::Invalid`] for
/// everything else. They never panic on any input.
pub trait TokenVerifier: Send + Sync + 'static {
    fn verify(&self, token: &str) -> impl Future<Output = Result<Claims, AuthError>> + Send;

    /// For verifiers that fetch their keys: whether they have keys now. `None` when the
    /// keys are local and always present.
    fn remote_keys_ready(&self) -> Option<bool> {
        None
    }
}
