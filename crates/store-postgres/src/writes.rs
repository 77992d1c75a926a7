//! The single-statement writes, as values: one can be run on its own or sent in a batch
//! with others (see [`crate::write_batch`]), and run again alone when its batch failed.

use diesel::dsl::not;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tasks_domain::{NewTask, Precondition, TaskId, TaskPatch, UserId};

use crate::guard::guard;
use crate::models::{NewTaskRow, TaskChanges, TaskRow};
use crate::owned_update::update_owned_task;
use crate::schema::tasks;

/// One write of one owner's task, with everything its statement needs.
#[derive(Debug)]
pub(crate) enum Write {
    Create {
        owner: UserId,
        task: NewTask,
    },
    Update {
        owner: UserId,
        id: TaskId,
        patch: TaskPatch,
        precondition: Precondition,
    },
    Delete {
        owner: UserId,
        id: TaskId,
        precondition: Precondition,
    },
    Toggle {
        owner: UserId,
        id: TaskId,
        precondition: Precondition,
    },
}

impl Write {
    /// The existing task it changes (`None` for a create): two writes of one task must not
    /// share a batch, or their order would rest on the pipeline's.
    pub(crate) fn target(&self) -> Option<(&UserId, TaskId)> {
        match self {
            Self::Create { .. } => None,
            Self::Update { owner, id, .. }
            | Self::Delete { owner, id, .. }
            | Self::Toggle { owner, id, .. } => Some((owner, *id)),
        }
    }

    /// Runs the write's one statement: the row as written, or `None` when the guard (owner,
    /// and precondition if any) admitted no row.
    pub(crate) async fn run(
        &self,
        connection: &mut &AsyncPgConnection,
    ) -> QueryResult<Option<TaskRow>> {
        match self {
            Self::Create { owner, task } => diesel::insert_into(tasks::table)
                .values(NewTaskRow::new(owner, task))
                .returning(TaskRow::as_returning())
                .get_result(connection)
                .await
                .map(Some),
            Self::Update {
                owner,
                id,
                patch,
                precondition,
            } => update_owned_task(guard(owner, *id, precondition), TaskChanges::from(patch))
                .get_result(connection)
                .await
                .optional(),
            Self::Delete {
                owner,
                id,
                precondition,
            } => diesel::delete(tasks::table.filter(guard(owner, *id, precondition)))
                .returning(TaskRow::as_returning())
                .get_result(connection)
                .await
                .optional(),
            // One statement: concurrent toggles serialize on the row lock, none is lost.
            Self::Toggle {
                owner,
                id,
                precondition,
            } => update_owned_task(
                guard(owner, *id, precondition),
                tasks::completed.eq(not(tasks::completed)),
            )
            .get_result(connection)
            .await
            .optional(),
        }
    }
}
