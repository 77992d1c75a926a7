mod fallback;
mod probes;
mod tasks;

pub use fallback::{method_not_allowed, route_not_found};
pub use probes::{health, ready};
pub use tasks::{complete_task, create_task, delete_task, get_task, list_tasks, update_task};
