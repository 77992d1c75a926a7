//! `UPDATE … RETURNING` on one owned task, as a statement PostgreSQL keeps prepared.
//!
//! Diesel marks every `UpdateStatement` unsafe to cache, because an optional changeset lets
//! one Rust type stand for several SQL texts. Uncached, each update costs an extra round
//! trip to prepare it and a fresh parse and plan on the server. This statement has no static
//! query id, so the connection's statement cache keys it by its SQL text, which is right for
//! optional changesets too: each distinct set of changed columns is prepared once.

use diesel::dsl::{Add, AsSelect, Eq, now};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};

use crate::guard::Guard;
use crate::models::TaskRow;
use crate::schema::tasks;

/// `UPDATE tasks SET <changes>, updated_at = now, version = version + 1 WHERE <guard>
/// RETURNING <TaskRow>`.
pub(crate) struct OwnedTaskUpdate<'a, C> {
    changes: C,
    filter: Guard<'a>,
    returning: AsSelect<TaskRow, Pg>,
}

/// What every update sets besides its own changes.
type Touched = (
    Eq<tasks::updated_at, now>,
    Eq<tasks::version, Add<tasks::version, i64>>,
);

/// Sets `changes` on the task that `filter` admits, moves its `updated_at` and `version`,
/// and returns the updated row.
pub(crate) fn update_owned_task<C>(
    filter: Guard<'_>,
    changes: C,
) -> OwnedTaskUpdate<'_, <(C, Touched) as AsChangeset>::Changeset>
where
    (C, Touched): AsChangeset<Target = tasks::table>,
{
    let touched = (
        tasks::updated_at.eq(now),
        tasks::version.eq(tasks::version + 1_i64),
    );
    OwnedTaskUpdate {
        changes: (changes, touched).as_changeset(),
        filter,
        returning: TaskRow::as_select(),
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for OwnedTaskUpdate<'_, C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(r#"UPDATE "tasks" SET "#);
        self.changes.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.filter.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING ");
        self.returning.walk_ast(out.reborrow())
    }
}

/// No static id: the statement cache then keys by SQL text (see the module docs).
impl<C> QueryId for OwnedTaskUpdate<'_, C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C> Query for OwnedTaskUpdate<'_, C> {
    type SqlType = <AsSelect<TaskRow, Pg> as Expression>::SqlType;
}

#[cfg(test)]
mod tests {
    use diesel::dsl::not;
    use diesel::sql_types::BigInt;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    use tasks_domain::{Precondition, TaskId, UserId};

    use super::*;
    use crate::guard::guard;
    use crate::testing::TestDatabase;

    fn toggle(owner: &UserId) -> OwnedTaskUpdate<'_, impl QueryFragment<Pg>> {
        update_owned_task(
            guard(owner, TaskId::new(7), &Precondition::Always),
            tasks::completed.eq(not(tasks::completed)),
        )
    }

    #[test]
    fn the_statement_is_one_update_of_an_owned_row() {
        let owner = UserId::parse("alice").unwrap();
        let sql = diesel::debug_query::<Pg, _>(&toggle(&owner)).to_string();
        assert!(
            sql.starts_with(
                r#"UPDATE "tasks" SET "completed" =  NOT ("tasks"."completed"), "updated_at" = CURRENT_TIMESTAMP, "version" = ("tasks"."version" + $1) WHERE (("tasks"."id" = $2) AND ("tasks"."user_id" = $3)) RETURNING "tasks"."id", "tasks"."user_id","#
            ),
            "{sql}"
        );
        assert!(sql.ends_with(r#"-- binds: [1, 7, "alice"]"#), "{sql}");
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }

    async fn prepared_updates(connection: &mut AsyncPgConnection) -> i64 {
        diesel::sql_query(
            "SELECT count(*) AS count FROM pg_prepared_statements WHERE statement LIKE 'UPDATE%'",
        )
        .get_result::<Count>(connection)
        .await
        .unwrap()
        .count
    }

    #[tokio::test]
    async fn updates_stay_prepared_unlike_diesels_own() {
        let database = TestDatabase::create().await;
        let mut connection = AsyncPgConnection::establish(database.url()).await.unwrap();
        let owner = UserId::parse("alice").unwrap();

        for _ in 0..3 {
            diesel::update(tasks::table.find(7))
                .set(tasks::completed.eq(not(tasks::completed)))
                .execute(&mut connection)
                .await
                .unwrap();
        }
        assert_eq!(prepared_updates(&mut connection).await, 0);

        for _ in 0..3 {
            let missing: Option<TaskRow> = toggle(&owner)
                .get_result(&mut connection)
                .await
                .optional()
                .unwrap();
            assert!(missing.is_none());
        }
        assert_eq!(prepared_updates(&mut connection).await, 1);
    }
}
