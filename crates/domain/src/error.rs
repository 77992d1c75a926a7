use thiserror::Error;

/// Why a value was refused. Messages complete a sentence that starts with the field name,
/// e.g. "title must not be empty".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must be at most {max} bytes")]
    TooManyBytes { max: usize },
    #[error("must not contain the NUL character (U+0000)")]
    ContainsNul,
    #[error("must be one of: {allowed}")]
    NotOneOf { allowed: &'static str },
    #[error("must be an integer from {min} to {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("must consist of visible ASCII characters")]
    NotVisibleAscii,
    #[error("must contain at least one of title, description or completed")]
    EmptyPatch,
}
