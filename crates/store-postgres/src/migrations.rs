//! Creating and upgrading the schema from the migrations embedded at build time.

use std::error::Error;
use std::thread;
use std::time::Duration;

use diesel::sql_types::BigInt;
use diesel::{ConnectionError, QueryResult};
use diesel_async::{AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::oneshot;

use crate::PostgresSettings;
use crate::SetupError;
use crate::connection::{ConnectionRecipe, SessionRole};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Key of the session-level advisory lock held while migrating ("tasksmig" in ASCII), so
/// replicas starting together migrate one after another.
const MIGRATION_LOCK_KEY: i64 = 0x7461_736b_736d_6967;

/// Why migrations did not run to the end. Nothing in it quotes SQL.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// Carries the reason in its message, which is what startup prints.
    #[error("could not connect to the database to migrate it: {0}")]
    Connect(ConnectionError),
    /// The lock is a session's, which a transaction pooler does not keep.
    #[error(
        "migrations need a direct connection, not one through a transaction pooler \
         (pgbouncer=true): set MIGRATION_DATABASE_URL to the database's direct URL"
    )]
    ThroughTransactionPooler,
    #[error("could not take the migration lock")]
    Lock(#[source] diesel::result::Error),
    #[error("a migration failed")]
    Migrate(#[source] Box<dyn Error + Send + Sync>),
    #[error("could not start the migration thread")]
    Thread(#[source] std::io::Error),
    #[error("the migration thread stopped before it finished")]
    Interrupted,
}

/// Runs the pending embedded migrations under an advisory lock and returns the versions
/// it applied (none when the schema is current). Safe to call from any Tokio runtime,
/// current-thread ones included.
pub async fn run_migrations(url: &str) -> Result<Vec<String>, MigrationError> {
    run_migrations_within(url, PostgresSettings::DEFAULT_TIMEOUT).await
}

/// [`run_migrations`], giving up on connecting after `connect_timeout`.
pub async fn run_migrations_within(
    url: &str,
    connect_timeout: Duration,
) -> Result<Vec<String>, MigrationError> {
    // No statement timeout: waiting for the lock while another replica migrates is fine.
    let recipe =
        ConnectionRecipe::parse(url, SessionRole::Migrations, connect_timeout, None, false)?;
    if recipe.through_transaction_pooler() {
        return Err(MigrationError::ThroughTransactionPooler);
    }
    // diesel-async runs the synchronous migration harness through `block_in_place`, which
    // panics on a current-thread runtime, so migrate on a thread with a runtime that allows it.
    let (sender, receiver) = oneshot::channel();
    thread::Builder::new()
        .name("tasks-migrations".into())
        .spawn(move || {
            let outcome = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(MigrationError::Thread)
                .and_then(|runtime| runtime.block_on(migrate_locked(&recipe)));
            // The caller may have stopped waiting; then nobody needs the outcome.
            let _ = sender.send(outcome);
        })
        .map_err(MigrationError::Thread)?;
    receiver.await.map_err(|_| MigrationError::Interrupted)?
}

async fn migrate_locked(recipe: &ConnectionRecipe) -> Result<Vec<String>, MigrationError> {
    let mut connection = recipe.establish().await.map_err(MigrationError::Connect)?;
    call_with_lock_key(&mut connection, "SELECT pg_advisory_lock($1)")
        .await
        .map_err(MigrationError::Lock)?;
    let mut harness = AsyncMigrationHarness::new(connection);
    let applied = harness
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(MigrationError::Migrate);
    let mut connection = harness.into_inner();
    // Closing the connection releases the lock as well; unlocking only does it sooner, so
    // its failure changes nothing.
    let _ = call_with_lock_key(&mut connection, "SELECT pg_advisory_unlock($1)").await;
    applied
}

async fn call_with_lock_key(
    connection: &mut AsyncPgConnection,
    statement: &'static str,
) -> QueryResult<()> {
    diesel::sql_query(statement)
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(connection)
        .await
        .map(drop)
}
