//! `UPDATE … RETURNING` on one owned task, as a statement PostgreSQL keeps prepared.
//!
//! Diesel marks every `UpdateStatement` unsafe to cache, because an optional changeset lets
//! one Rust type stand for several SQL texts. Uncached, each update costs an extra round
//! trip to prepare it and a fresh parse and plan on the server. This statement has no static
//! query id, so the connection's statement cache keys it by its SQL text, which is right for
//! optional changesets too: each distinct set of changed columns is prepared once.

use diesel::dsl::{AsSelect, Eq, now};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};
use tasks_domain::{TaskId, UserId};

use crate::models::TaskRow;
use crate::ownership::{OwnedBy, owned_by};
use crate::schema::tasks;

/// `UPDATE tasks SET <changes>, updated_at = now WHERE <owned_by> RETURNING <TaskRow>`.
pub(crate) struct OwnedTaskUpdate<'a, C> {
    changes: C,
    filter: OwnedBy<'a>,
    returning: AsSelect<TaskRow, Pg>,
}

/// Sets `changes` on task `id` if `owner` owns it, moves its `updated_at`, and returns the
/// updated row.
pub(crate) fn update_owned_task<C>(
    owner: &UserId,
    id: TaskId,
    changes: C,
) -> OwnedTaskUpdate<'_, <(C, Eq<tasks::updated_at, now>) as AsChangeset>::Changeset>
where
    (C, Eq<tasks::updated_at, now>): AsChangeset<Target = tasks::table>,
{
    OwnedTaskUpdate {
        changes: (changes, tasks::updated_at.eq(now)).as_changeset(),
        filter: owned_by(owner, id),
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

    use super::*;
    use crate::testing::TestDatabase;

    fn toggle(owner: &UserId) -> OwnedTaskUpdate<'_, impl QueryFragment<Pg>> {
        update_owned_task(
            owner,
            TaskId::new(7),
            tasks::completed.eq(not(tasks::completed)),
        )
    }

    #[test]
    fn the_statement_is_one_update_of_an_owned_row() {
        let owner = UserId::parse("alice").unwrap();
        let sql = diesel::debug_query::<Pg, _>(&toggle(&owner)).to_string();
        assert!(
            sql.starts_with(
                r#"UPDATE "tasks" SET "completed" =  NOT ("tasks"."completed"), "updated_at" = CURRENT_TIMESTAMP WHERE (("tasks"."id" = $1) AND ("tasks"."user_id" = $2)) RETURNING "tasks"."id", "tasks"."user_id","#
            ),
            "{sql}"
        );
        assert!(sql.ends_with(r#"-- binds: [7, "alice"]"#), "{sql}");
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
