use crate::DomainError;

/// The owner of a task: the `sub` claim of a verified token (Better Auth's user id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    /// Longest accepted id, in bytes; matches the `tasks.user_id` column.
    pub const MAX_BYTES: usize = 255;

    pub fn parse(value: impl Into<String>) -> Result<Self, DomainError> {
        let value = value.into();
        if value.is_empty() {
            return Err(DomainError::Empty);
        }
        if value.len() > Self::MAX_BYTES {
            return Err(DomainError::TooManyBytes {
                max: Self::MAX_BYTES,
            });
        }
        if value.contains('\0') {
            return Err(DomainError::ContainsNul);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> Self {
        id.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_better_auth_ids() {
        let id = UserId::parse("x2JfQ0bW9kXc1").unwrap();
        assert_eq!(id.as_str(), "x2JfQ0bW9kXc1");
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(UserId::parse(""), Err(DomainError::Empty));
    }

    #[test]
    fn limits_bytes_not_characters() {
        assert!(UserId::parse("a".repeat(255)).is_ok());
        assert_eq!(
            UserId::parse("a".repeat(256)),
            Err(DomainError::TooManyBytes { max: 255 })
        );
        // 128 two-byte characters are 256 bytes.
        assert!(UserId::parse("é".repeat(128)).is_err());
    }

    #[test]
    fn rejects_nul() {
        assert_eq!(UserId::parse("a\0b"), Err(DomainError::ContainsNul));
    }
}
