use crate::DomainError;

/// A task's title: surrounding whitespace trimmed, then 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(value: impl Into<String>) -> Result<Self, DomainError> {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Empty);
        }
        check_text(trimmed, Self::MAX_CHARS)?;
        if trimmed.len() == value.len() {
            // Already trimmed, as every stored title is: keep the allocation.
            return Ok(Self(value));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A task's description: at most 1000 characters, kept exactly as sent (`""` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(value: impl Into<String>) -> Result<Self, DomainError> {
        let value = value.into();
        check_text(&value, Self::MAX_CHARS)?;
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Title> for String {
    fn from(title: Title) -> Self {
        title.0
    }
}

impl From<Description> for String {
    fn from(description: Description) -> Self {
        description.0
    }
}

/// Length in Unicode scalar values, and no NUL, which PostgreSQL cannot store in text.
fn check_text(value: &str, max_chars: usize) -> Result<(), DomainError> {
    if value.contains('\0') {
        return Err(DomainError::ContainsNul);
    }
    if value.chars().count() > max_chars {
        return Err(DomainError::TooLong { max: max_chars });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed() {
        assert_eq!(Title::parse("  Buy milk\n\t").unwrap().as_str(), "Buy milk");
    }

    #[test]
    fn title_of_only_whitespace_is_empty() {
        assert_eq!(Title::parse(" \u{3000}\n "), Err(DomainError::Empty));
        assert_eq!(Title::parse(""), Err(DomainError::Empty));
    }

    #[test]
    fn title_length_counts_code_points_after_trimming() {
        let max = "é".repeat(200);
        assert!(Title::parse(format!("  {max}  ")).is_ok());
        assert_eq!(
            Title::parse("é".repeat(201)),
            Err(DomainError::TooLong { max: 200 })
        );
        // One emoji is one code point, however many bytes it takes.
        assert!(Title::parse("🦀".repeat(200)).is_ok());
    }

    #[test]
    fn title_rejects_nul() {
        assert_eq!(Title::parse("a\0b"), Err(DomainError::ContainsNul));
    }

    #[test]
    fn description_is_kept_exactly() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert_eq!(Description::parse("  x  ").unwrap().as_str(), "  x  ");
    }

    #[test]
    fn description_limits() {
        assert!(Description::parse("d".repeat(1000)).is_ok());
        assert_eq!(
            Description::parse("d".repeat(1001)),
            Err(DomainError::TooLong { max: 1000 })
        );
        assert_eq!(Description::parse("\0"), Err(DomainError::ContainsNul));
    }
}
