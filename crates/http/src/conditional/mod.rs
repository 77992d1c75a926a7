//! Conditional requests (RFC 9110 §13): the entity tags of tasks and of list answers, and
//! the `If-Match` / `If-None-Match` headers that name them.

mod entity_tag;
mod list_tag;
mod preconditions;
mod task_tag;

pub use entity_tag::{EntityTag, TagList};
pub use list_tag::list_tag;
pub use preconditions::{if_match, if_none_match};
pub use task_tag::TaskTag;
