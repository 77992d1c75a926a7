//! What travels over HTTP, and its conversion to and from domain values.

mod field;
mod list_params;
mod schemas;
mod task_bodies;
mod task_response;
mod validation;

pub use field::Field;
pub use list_params::ListParams;
pub use task_bodies::{CompleteTaskBody, CreateTaskBody, UpdateTaskBody};
pub use task_response::TaskResponse;
