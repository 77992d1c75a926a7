//! The embedded SQLite task store: [`SqliteTaskRepository`] implements
//! [`tasks_ports::TaskRepository`] with Diesel over diesel-async's `SyncConnectionWrapper`,
//! with the same behaviour as the PostgreSQL store (limits, ordering, search, errors,
//! versions and preconditions, idempotent creates). With
//! [`SqliteTaskRepository::announcing_to`], it announces each committed write to a
//! [`tasks_ports::ChangeHub`].
//!
//! [`SqliteTaskRepository::open`] creates the database file and runs the embedded
//! `migrations/` on first start; [`sqlite_path_from_url`] reads `sqlite://PATH` URLs.

mod connection;
mod errors;
mod guarded;
mod idempotency;
mod listing;
mod migrations;
mod models;
mod pool;
mod repository;
mod schema;
mod sql_functions;
mod url;

pub use errors::SetupError;
pub use repository::SqliteTaskRepository;
pub use url::sqlite_path_from_url;
