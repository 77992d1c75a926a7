//! The list use case in SQL: which rows match a [`ListQuery`] and in what order.

use diesel::dsl::{AsSelect, count_star};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::Sqlite;
use tasks_domain::{ListQuery, SortKey, SortOrder, UserId};

use crate::models::TaskRow;
use crate::schema::tasks;
use crate::sql_functions::{fold_case, instr};

/// The rows of `owner` that pass the query's status filter and search.
pub(crate) fn matching<'a>(owner: &'a UserId, query: &ListQuery) -> tasks::BoxedQuery<'a, Sqlite> {
    let mut rows = tasks::table
        .filter(tasks::user_id.eq(owner.as_str()))
        .into_boxed();
    if let Some(completed) = query.status.completed() {
        rows = rows.filter(tasks::completed.eq(completed));
    }
    if let Some(search) = &query.search {
        let needle = search.folded();
        rows = rows.filter(
            instr(fold_case(tasks::title.nullable()), needle.clone())
                .gt(0)
                .or(instr(fold_case(tasks::description), needle).gt(0)),
        );
    }
    rows
}

/// The page of matching rows, each with the number of matches in all (`count(*) OVER ()`,
/// computed before `LIMIT`), in the query's order; ties are broken by id in the same
/// direction, so pages are stable.
pub(crate) fn page<'a>(
    owner: &'a UserId,
    query: &ListQuery,
) -> tasks::BoxedQuery<'a, Sqlite, (AsSelect<TaskRow, Sqlite>, BigInt)> {
    let rows = matching(owner, query).select((TaskRow::as_select(), count_star().over()));
    // SQLite compares text byte by byte, and UTF-8 byte order is code point order.
    let folded_title = || fold_case(tasks::title.nullable());
    let rows = match (query.sort, query.effective_order()) {
        (SortKey::Created, SortOrder::Asc) => rows.order_by(tasks::created_at.asc()),
        (SortKey::Created, SortOrder::Desc) => rows.order_by(tasks::created_at.desc()),
        (SortKey::Updated, SortOrder::Asc) => rows.order_by(tasks::updated_at.asc()),
        (SortKey::Updated, SortOrder::Desc) => rows.order_by(tasks::updated_at.desc()),
        (SortKey::Title, SortOrder::Asc) => rows.order_by(folded_title().asc()),
        (SortKey::Title, SortOrder::Desc) => rows.order_by(folded_title().desc()),
    };
    let rows = match query.effective_order() {
        SortOrder::Asc => rows.then_order_by(tasks::id.asc()),
        SortOrder::Desc => rows.then_order_by(tasks::id.desc()),
    };
    rows.limit(i64::from(query.limit.get()))
        .offset(query.offset.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_and_title_order_use_the_registered_folding() {
        let query = ListQuery {
            sort: SortKey::Title,
            search: tasks_domain::SearchText::parse("100%_Ä").unwrap(),
            ..ListQuery::default()
        };
        let owner = UserId::parse("alice").unwrap();
        let sql = diesel::debug_query::<Sqlite, _>(&page(&owner, &query)).to_string();
        assert!(
            sql.contains(r#"instr(fold_case(`tasks`.`title`), ?) > ?"#),
            "{sql}"
        );
        assert!(
            sql.contains("ORDER BY fold_case(`tasks`.`title`) ASC, `tasks`.`id` ASC"),
            "{sql}"
        );
        assert!(sql.contains("COUNT(*) OVER ()"), "{sql}");
        assert!(sql.contains(r#""100%_ä""#), "{sql}");
    }
}
