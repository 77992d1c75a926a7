//! The tasks domain: what a task is and the rules its values obey.
//!
//! Every value type here is built through `parse` (or `new`) and cannot hold an invalid
//! value afterwards, so the layers above never re-check them.

mod change;
mod error;
mod idempotency;
mod list_query;
mod precondition;
mod task;
mod task_id;
mod text;
mod user_id;
mod version;

pub use change::{ChangeKind, TaskChange};
pub use error::DomainError;
pub use idempotency::{
    IDEMPOTENCY_KEY_LIFETIME, IdempotencyKey, IdempotentRequest, RequestFingerprint,
};
pub use list_query::{
    Limit, ListQuery, Offset, SearchText, SortKey, SortOrder, StatusFilter, TaskPage, fold_case,
};
pub use precondition::Precondition;
pub use task::{NewTask, Task, TaskPatch};
pub use task_id::TaskId;
pub use text::{Description, Title};
pub use user_id::UserId;
pub use version::Version;
