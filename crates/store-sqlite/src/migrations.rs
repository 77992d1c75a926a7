//! Creating and upgrading the schema from the migrations embedded at build time.

use std::error::Error;

use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Runs the pending migrations, each in a transaction of its own.
pub(crate) fn run(connection: &mut SqliteConnection) -> Result<(), Box<dyn Error + Send + Sync>> {
    connection.run_pending_migrations(MIGRATIONS).map(drop)
}
