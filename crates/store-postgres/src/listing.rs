//! The list use case in SQL: which rows match a [`ListQuery`] and in what order.

use diesel::dsl::{AsSelect, count_star};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, SingleValue, Text};
use tasks_domain::{ListQuery, SortKey, SortOrder, UserId};

use crate::models::TaskRow;
use crate::schema::tasks;

define_sql_function! {
    /// Unicode lowercase by the database's character classification. Search applies it to
    /// both sides, so texts and terms always fold alike.
    fn lower<T: SingleValue>(text: T) -> T;
}

/// The rows of `owner` that pass the query's status filter and search.
pub(crate) fn matching<'a>(owner: &'a UserId, query: &ListQuery) -> tasks::BoxedQuery<'a, Pg> {
    let mut rows = tasks::table
        .filter(tasks::user_id.eq(owner.as_str()))
        .into_boxed();
    if let Some(completed) = query.status.completed() {
        rows = rows.filter(tasks::completed.eq(completed));
    }
    if let Some(search) = &query.search {
        let pattern = lower::<Text, _>(contains_pattern(search.as_str()));
        rows = rows.filter(
            lower(tasks::title)
                .like(pattern.clone())
                .escape('\\')
                .nullable()
                .or(lower(tasks::description)
                    .like(pattern.nullable())
                    .escape('\\')),
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
) -> tasks::BoxedQuery<'a, Pg, (AsSelect<TaskRow, Pg>, BigInt)> {
    let rows = matching(owner, query).select((TaskRow::as_select(), count_star().over()));
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

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and the escape `\` literal.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

/// `lower(title) COLLATE "C"`: lowercase forms compared code point by code point (UTF-8
/// byte order is code point order), whatever the database's collation.
fn folded_title() -> CollateC<lower<Text, tasks::title>> {
    CollateC(lower(tasks::title))
}

/// `<expr> COLLATE "C"`, which Diesel's DSL does not offer.
#[derive(Debug, Clone, Copy, QueryId, ValidGrouping)]
struct CollateC<E>(E);

impl<E: Expression> Expression for CollateC<E> {
    type SqlType = E::SqlType;
}

impl<E: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for CollateC<E> {}

impl<E: SelectableExpression<QS>, QS> SelectableExpression<QS> for CollateC<E> {}

impl<E: QueryFragment<Pg>> QueryFragment<Pg> for CollateC<E> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" COLLATE \"C\"");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_and_escape_are_literal() {
        assert_eq!(contains_pattern("milk"), "%milk%");
        assert_eq!(contains_pattern("100%_a\\b"), r"%100\%\_a\\b%");
        assert_eq!(contains_pattern("äpfel"), "%äpfel%");
    }

    #[test]
    fn title_order_is_by_folded_title_in_code_point_order() {
        let query = ListQuery {
            sort: SortKey::Title,
            ..ListQuery::default()
        };
        let owner = UserId::parse("alice").unwrap();
        let sql = diesel::debug_query::<Pg, _>(&page(&owner, &query)).to_string();
        assert!(
            sql.contains(r#"ORDER BY lower("tasks"."title") COLLATE "C" ASC, "tasks"."id" ASC"#),
            "{sql}"
        );
        assert!(sql.contains("COUNT(*) OVER ()"), "{sql}");
    }
}
