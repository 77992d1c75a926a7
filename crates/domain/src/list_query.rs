use crate::{DomainError, Task};

/// Which tasks a list returns by completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    Pending,
    Completed,
}

impl StatusFilter {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        match value {
            "all" => Ok(Self::All),
            "pending" => Ok(Self::Pending),
            "completed" => Ok(Self::Completed),
            _ => Err(DomainError::NotOneOf {
                allowed: "all, pending, completed",
            }),
        }
    }

    /// The `completed` value a task must have, if the filter asks for one.
    pub fn completed(self) -> Option<bool> {
        match self {
            Self::All => None,
            Self::Pending => Some(false),
            Self::Completed => Some(true),
        }
    }
}

/// What a list is ordered by; ties are always broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Created,
    Updated,
    /// The title's Unicode lowercase form, compared code point by code point.
    Title,
}

impl SortKey {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        match value {
            "created" => Ok(Self::Created),
            "updated" => Ok(Self::Updated),
            "title" => Ok(Self::Title),
            _ => Err(DomainError::NotOneOf {
                allowed: "created, updated, title",
            }),
        }
    }

    /// Newest first for dates, A to Z for titles.
    pub fn default_order(self) -> SortOrder {
        match self {
            Self::Created | Self::Updated => SortOrder::Desc,
            Self::Title => SortOrder::Asc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        match value {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            _ => Err(DomainError::NotOneOf {
                allowed: "asc, desc",
            }),
        }
    }
}

/// Text searched for, case-insensitively, in titles and descriptions. `%` and `_` are
/// ordinary characters here; SQL stores escape them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub const MAX_CHARS: usize = 200;

    /// `None` for an empty search, which matches everything.
    pub fn parse(value: &str) -> Result<Option<Self>, DomainError> {
        if value.contains('\0') {
            return Err(DomainError::ContainsNul);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        Ok((!value.is_empty()).then(|| Self(value.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The search in the folded form that [`fold_case`] gives the texts it is matched against.
    pub fn folded(&self) -> String {
        fold_case(&self.0)
    }
}

/// The case folding used by search and title order: each code point's Unicode lowercase,
/// without `str::to_lowercase`'s context rule for a final sigma, so that it agrees with
/// PostgreSQL's `lower()` ("ΟΔΥΣΣΕΥΣ" folds to "οδυσσευσ" in both).
pub fn fold_case(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Page size: 1 to 1000, 100 unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u16);

impl Limit {
    pub const MAX: u16 = 1000;

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let out_of_range = DomainError::OutOfRange {
            min: 1,
            max: i64::from(Self::MAX),
        };
        match value.parse::<u16>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(out_of_range),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self(100)
    }
}

/// How many matching tasks a page skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offset(i64);

impl Offset {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        match value.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Self(n)),
            _ => Err(DomainError::OutOfRange {
                min: 0,
                max: i64::MAX,
            }),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// One page of a user's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    pub status: StatusFilter,
    pub sort: SortKey,
    /// `None` means the sort key's default order.
    pub order: Option<SortOrder>,
    pub search: Option<SearchText>,
    pub limit: Limit,
    pub offset: Offset,
}

impl ListQuery {
    pub fn effective_order(&self) -> SortOrder {
        self.order.unwrap_or_else(|| self.sort.default_order())
    }

    /// The offset of the page after this one, if `total` matches leave one.
    pub fn next_offset(&self, total: u64) -> Option<i64> {
        let next = self.offset.get().checked_add(i64::from(self.limit.get()))?;
        (u64::try_from(next).ok()? < total).then_some(next)
    }
}

/// The tasks of one page and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_values() {
        assert_eq!(StatusFilter::parse("pending"), Ok(StatusFilter::Pending));
        assert_eq!(StatusFilter::Completed.completed(), Some(true));
        assert!(StatusFilter::parse("Pending").is_err());
        assert!(StatusFilter::parse("").is_err());
    }

    #[test]
    fn default_orders() {
        let mut query = ListQuery::default();
        assert_eq!(query.effective_order(), SortOrder::Desc);
        query.sort = SortKey::parse("title").unwrap();
        assert_eq!(query.effective_order(), SortOrder::Asc);
        query.order = Some(SortOrder::parse("desc").unwrap());
        assert_eq!(query.effective_order(), SortOrder::Desc);
        assert!(SortOrder::parse("up").is_err());
        assert!(SortKey::parse("id").is_err());
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(Limit::default().get(), 100);
        assert_eq!(Limit::parse("1").unwrap().get(), 1);
        assert_eq!(Limit::parse("1000").unwrap().get(), 1000);
        for bad in ["0", "1001", "-1", "ten", "", "99999999999"] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn offset_bounds() {
        assert_eq!(Offset::parse("0").unwrap().get(), 0);
        assert!(Offset::parse("-1").is_err());
        assert!(Offset::parse("1.5").is_err());
    }

    #[test]
    fn search_empty_matches_all_and_folds_unicode() {
        assert_eq!(SearchText::parse("").unwrap(), None);
        let search = SearchText::parse("ÄPFEL").unwrap().unwrap();
        assert_eq!(search.folded(), "äpfel");
        assert_eq!(search.as_str(), "ÄPFEL");
        assert!(SearchText::parse("\0").is_err());
    }

    #[test]
    fn folding_is_per_code_point() {
        assert_eq!(fold_case("ΟΔΥΣΣΕΥΣ"), "οδυσσευσ");
        assert_eq!(fold_case("ÄPFEL Straße"), "äpfel straße");
    }

    #[test]
    fn next_offset_only_when_more_remain() {
        let query = ListQuery {
            limit: Limit::parse("10").unwrap(),
            offset: Offset::parse("10").unwrap(),
            ..ListQuery::default()
        };
        assert_eq!(query.next_offset(21), Some(20));
        assert_eq!(query.next_offset(20), None);
        assert_eq!(query.next_offset(5), None);
    }
}
