//! The condition a write puts on the row it changes: the owner's task, and with a
//! precondition, one of the versions it admits. Part of the write's own statement, so no
//! other write can come between the check and the change.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use tasks_domain::{Precondition, TaskId, UserId, Version};

use crate::ownership::owned_by;
use crate::schema::tasks;

/// `id = $id AND user_id = $owner [AND version = ANY($versions)]`.
pub(crate) type Guard<'a> = Box<dyn BoxableExpression<tasks::table, Pg, SqlType = Bool> + 'a>;

pub(crate) fn guard<'a>(owner: &'a UserId, id: TaskId, precondition: &Precondition) -> Guard<'a> {
    match precondition.versions() {
        None => Box::new(owned_by(owner, id)),
        Some(versions) => {
            let versions: Vec<i64> = versions.iter().copied().map(Version::get).collect();
            Box::new(owned_by(owner, id).and(tasks::version.eq_any(versions)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(precondition: &Precondition) -> String {
        let owner = UserId::parse("alice").unwrap();
        diesel::debug_query::<Pg, _>(&tasks::table.select(tasks::id).filter(guard(
            &owner,
            TaskId::new(7),
            precondition,
        )))
        .to_string()
    }

    #[test]
    fn the_versions_are_part_of_the_statement() {
        let guarded = sql(&Precondition::VersionIn(vec![
            Version::new(2),
            Version::new(3),
        ]));
        assert!(
            guarded.contains(r#"AND ("tasks"."version" = ANY($3))"#),
            "{guarded}"
        );
        assert!(
            guarded.ends_with(r#"-- binds: [7, "alice", [2, 3]]"#),
            "{guarded}"
        );
        let unguarded = sql(&Precondition::Always);
        assert!(!unguarded.contains("version"), "{unguarded}");
    }
}
