//! `DATABASE_URL`s that name an SQLite database.

use std::path::PathBuf;

/// SQLite's own name for a private, in-memory database.
pub(crate) const IN_MEMORY: &str = ":memory:";

/// The database path of a `sqlite://PATH` URL: `sqlite://./data/tasks.db` and
/// `sqlite://data/tasks.db` are relative to the working directory, `sqlite:///abs/tasks.db`
/// is absolute, and `sqlite::memory:` (or `sqlite://:memory:`) gives `:memory:`, which
/// [`SqliteTaskRepository::open`](crate::SqliteTaskRepository::open) reads as an in-memory
/// database. The path is taken as written (no percent-decoding, no query parameters).
/// `None` for any other URL, or one without a path.
pub fn sqlite_path_from_url(url: &str) -> Option<PathBuf> {
    let (scheme, rest) = url.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("sqlite") {
        return None;
    }
    let path = match rest.strip_prefix("//") {
        Some(path) => path,
        None if rest == IN_MEMORY => IN_MEMORY,
        None => return None,
    };
    (!path.is_empty()).then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(url: &str) -> Option<String> {
        sqlite_path_from_url(url).map(|path| path.to_string_lossy().into_owned())
    }

    #[test]
    fn relative_and_absolute_paths() {
        assert_eq!(
            path("sqlite://./data/tasks.db").as_deref(),
            Some("./data/tasks.db")
        );
        assert_eq!(
            path("sqlite://data/tasks.db").as_deref(),
            Some("data/tasks.db")
        );
        assert_eq!(
            path("sqlite:///abs/path.db").as_deref(),
            Some("/abs/path.db")
        );
        assert_eq!(
            path("SQLite:///abs/path.db").as_deref(),
            Some("/abs/path.db")
        );
    }

    #[test]
    fn in_memory() {
        assert_eq!(path("sqlite::memory:").as_deref(), Some(IN_MEMORY));
        assert_eq!(path("sqlite://:memory:").as_deref(), Some(IN_MEMORY));
    }

    #[test]
    fn other_urls_are_not_sqlite() {
        for url in [
            "postgres://u@h/db",
            "sqlite://",
            "sqlite:",
            "sqlite:tasks.db",
            "sqlite",
            "",
            "sqlitex:///a.db",
        ] {
            assert_eq!(path(url), None, "{url}");
        }
    }
}
