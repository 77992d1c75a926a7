//! The end-to-end harness: each test starts the real application on a random port over a
//! fresh PostgreSQL database of its own, and signs its own tokens.

mod app;
pub mod events;
pub mod prometheus;
mod tokens;

pub use app::{
    Reply, ReplyExt, TestApp, chunked_body, complete_path, spawn_app, spawn_app_with,
    status_and_json, task_id, task_path, tasks_path,
};
pub use tokens::{SECRET, TokenBuilder, base64url, now};
