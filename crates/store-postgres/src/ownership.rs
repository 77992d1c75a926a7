//! The one predicate that scopes a statement to a task its owner owns.

use diesel::dsl::{And, Eq};
use diesel::prelude::*;
use tasks_domain::{TaskId, UserId};

use crate::schema::tasks;

/// `id = $id AND user_id = $owner`.
pub(crate) type OwnedBy<'a> = And<Eq<tasks::id, i64>, Eq<tasks::user_id, &'a str>>;

/// Task `id`, provided `owner` owns it: a task of someone else's is not found.
pub(crate) fn owned_by(owner: &UserId, id: TaskId) -> OwnedBy<'_> {
    tasks::id
        .eq(id.get())
        .and(tasks::user_id.eq(owner.as_str()))
}
