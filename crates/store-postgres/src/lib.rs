//! The PostgreSQL task store: [`PostgresTaskRepository`] implements
//! [`tasks_ports::TaskRepository`] with Diesel (diesel-async over a deadpool pool), and
//! [`run_migrations`] creates the `tasks` table from the embedded `migrations/`.
//!
//! Every database call is bounded (pool wait, connect and statement timeouts), so an
//! unreachable or hanging database surfaces as [`tasks_ports::TaskError::Unavailable`]
//! instead of a hung request.
//!
//! Connections use TLS (rustls) as the URL's `sslmode` asks, the way libpq reads it:
//! `disable`; `prefer` (the default) and `require`, encrypted without verifying the
//! server's certificate; `verify-ca`, which checks its chain; `verify-full`, its chain and
//! host name. The roots are the PEM file named by `sslrootcert`, the system's trust store
//! with `sslrootcert=system`, and otherwise Mozilla's (`webpki-roots`).
//!
//! What the store does is reported through the `metrics` facade (see [`metrics`]).
//!
//! Through a transaction-mode pooler (`transaction_pooler`, or `pgbouncer=true` in the URL),
//! no named prepared statement outlives a transaction and no session setting is made.
//!
//! With the `testing` feature, [`testing::TestDatabase`] gives each test a fresh, migrated
//! database of its own.

mod certificate_verifiers;
mod change_listener;
mod connection;
mod errors;
mod guard;
mod idempotency;
mod listing;
pub mod metrics;
mod migrations;
mod models;
mod owned_update;
mod ownership;
mod pooler_flag;
mod repository;
mod schema;
mod settings;
mod shared_session;
mod ssl_mode;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod write_batch;
mod writes;

pub use change_listener::ChangeListener;
pub use connection::SessionRole;
pub use errors::SetupError;
pub use migrations::{MigrationError, run_migrations, run_migrations_within};
pub use repository::PostgresTaskRepository;
pub use settings::PostgresSettings;
