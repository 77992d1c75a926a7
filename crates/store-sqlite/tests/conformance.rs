//! The conformance suite against SQLite, each check on a database file of its own.

use tasks_store_sqlite::SqliteTaskRepository;
use tempfile::TempDir;

async fn fresh_store() -> (TempDir, SqliteTaskRepository) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let repository =
        SqliteTaskRepository::open(&directory.path().join("tasks.db")).expect("a fresh database");
    (directory, repository)
}

tasks_repository_conformance::conformance_tests!(fresh_store());
