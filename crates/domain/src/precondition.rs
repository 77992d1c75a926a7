use crate::Version;

/// What a write requires of the task's current version (`If-Match`). The store decides it
/// in the same statement as the write, so no other write can come between the check and
/// the change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// Any existing task (no `If-Match`, or `If-Match: *`).
    #[default]
    Always,
    /// Only a task whose current version is one of these; an empty list matches none.
    VersionIn(Vec<Version>),
}

impl Precondition {
    /// Whether a task at version `current` may be written.
    pub fn admits(&self, current: Version) -> bool {
        match self {
            Self::Always => true,
            Self::VersionIn(versions) => versions.contains(&current),
        }
    }

    /// The versions to compare with, or `None` when any version is admitted.
    pub fn versions(&self) -> Option<&[Version]> {
        match self {
            Self::Always => None,
            Self::VersionIn(versions) => Some(versions),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_admits_every_version() {
        assert!(Precondition::Always.admits(Version::FIRST));
        assert!(Precondition::Always.admits(Version::new(42)));
        assert_eq!(Precondition::Always.versions(), None);
    }

    #[test]
    fn a_list_admits_only_its_versions() {
        let precondition = Precondition::VersionIn(vec![Version::new(2), Version::new(5)]);
        assert!(precondition.admits(Version::new(5)));
        assert!(!precondition.admits(Version::new(3)));
        assert!(!Precondition::VersionIn(Vec::new()).admits(Version::FIRST));
    }
}
