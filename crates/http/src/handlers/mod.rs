//! Modules are visible to the crate so that `openapi` can name each handler's
//! `#[utoipa::path]`.

pub mod api_doc;
pub mod events;
mod fallback;
pub mod probes;
pub mod tasks;

pub use api_doc::openapi_json;
pub use events::task_events;
pub use fallback::{method_not_allowed, route_not_found};
pub use probes::{Draining, health, ready};
pub use tasks::{complete_task, create_task, delete_task, get_task, list_tasks, update_task};
