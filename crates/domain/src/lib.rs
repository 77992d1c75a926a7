//! The tasks domain: what a task is and the rules its values obey.
//!
//! Every value type here is built through `parse` (or `new`) and cannot hold an invalid
//! value afterwards, so the layers above never re-check them.

mod error;
mod list_query;
mod task;
mod task_id;
mod text;
mod user_id;

pub use error::DomainError;
pub use list_query::{
    Limit, ListQuery, Offset, SearchText, SortKey, SortOrder, StatusFilter, TaskPage, fold_case,
};
pub use task::{NewTask, Task, TaskPatch};
pub use task_id::TaskId;
pub use text::{Description, Title};
pub use user_id::UserId;
