//! The conformance suite against SQLite's in-memory mode (`sqlite::memory:`), whose one
//! connection serves reads and writes alike.

use tasks_store_sqlite::SqliteTaskRepository;

async fn fresh_store() -> ((), SqliteTaskRepository) {
    ((), SqliteTaskRepository::in_memory())
}

tasks_repository_conformance::conformance_tests!(fresh_store());
