//! The SQL functions the queries use beyond Diesel's own.
//!
//! Case folding is a function registered on every connection rather than folded copies of
//! the texts stored in extra columns: SQLite's `lower()` folds ASCII only, and a function
//! that calls [`tasks_domain::fold_case`] at query time is the very folding the in-memory
//! store uses, with no derived data that rows written by other tools, or a newer Unicode
//! version, could leave stale. The cost, folding each of a user's rows per search or title
//! sort, is what PostgreSQL's `lower()` pays too.

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{QueryResult, define_sql_function};

define_sql_function! {
    /// [`tasks_domain::fold_case`]; exists only on connections it was registered on.
    fn fold_case(text: Nullable<Text>) -> Nullable<Text>;
}

define_sql_function! {
    /// SQLite's substring search: 1 + the position of `needle` in `haystack`, 0 if absent.
    /// Unlike `LIKE`, it has no wildcards to escape.
    fn instr(haystack: Nullable<Text>, needle: Text) -> Nullable<Integer>;
}

define_sql_function! {
    /// SQLite's two-argument `max`: the larger of two values.
    #[sql_name = "max"]
    fn later_of(a: BigInt, b: BigInt) -> BigInt;
}

/// Makes `fold_case` callable on `connection`.
pub(crate) fn register(connection: &mut SqliteConnection) -> QueryResult<()> {
    fold_case_utils::register_impl(connection, |text: Option<String>| {
        text.map(|text| tasks_domain::fold_case(&text))
    })
}
