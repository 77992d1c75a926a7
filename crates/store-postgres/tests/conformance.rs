//! The repository conformance suite against PostgreSQL, each check on a database of its own.

use tasks_store_postgres::testing::TestDatabase;
use tasks_store_postgres::{PostgresSettings, PostgresTaskRepository};

async fn fresh_store() -> (TestDatabase, PostgresTaskRepository) {
    let database = TestDatabase::create().await;
    let repository = PostgresTaskRepository::connect(&PostgresSettings::new(database.url()))
        .expect("valid settings");
    (database, repository)
}

tasks_repository_conformance::conformance_tests!(fresh_store());
