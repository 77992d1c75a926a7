use tasks_store_postgres::run_migrations;
use tasks_store_postgres::testing::TestDatabase;
use tokio::task::JoinSet;
use tokio_postgres::Client;

use crate::support::sql_session;

const VERSIONS: [&str; 2] = ["20261127000000", "20261207000000"];
const FIRST_MIGRATION: &str =
    include_str!("../../../../migrations/2026-11-27-000000_create_tasks/up.sql");

/// Turns the migrated test database back into one that was never migrated.
async fn unmigrate(client: &Client) {
    client
        .batch_execute(
            "DROP TABLE tasks; DROP FUNCTION tasks_announce_change(); \
             DROP TABLE idempotency_keys; DROP TABLE __diesel_schema_migrations;",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn migrating_twice_applies_once() {
    let database = TestDatabase::create().await;
    unmigrate(&sql_session(&database).await).await;

    assert_eq!(run_migrations(database.url()).await.unwrap(), VERSIONS);
    assert!(run_migrations(database.url()).await.unwrap().is_empty());
}

// On a multi-threaded runtime, where the other tests' current-thread one is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_take_turns() {
    let database = TestDatabase::create().await;
    unmigrate(&sql_session(&database).await).await;

    let mut runs = JoinSet::new();
    for _ in 0..4 {
        let url = database.url().to_owned();
        runs.spawn(async move { run_migrations(&url).await });
    }
    let mut applied = Vec::new();
    while let Some(run) = runs.join_next().await {
        applied.extend(run.unwrap().unwrap());
    }
    assert_eq!(applied, VERSIONS);
}

#[tokio::test]
async fn better_auth_tables_are_left_alone() {
    let database = TestDatabase::create().await;
    let client = sql_session(&database).await;
    unmigrate(&client).await;
    let better_auth = r#"
        CREATE TABLE "user" (id text PRIMARY KEY, name text NOT NULL, email text NOT NULL);
        CREATE TABLE session (id text PRIMARY KEY, "userId" text NOT NULL REFERENCES "user" (id));
        INSERT INTO "user" VALUES ('u1', 'Ada', 'ada@example.com');
        INSERT INTO session VALUES ('s1', 'u1');
    "#;
    client.batch_execute(better_auth).await.unwrap();
    let snapshot = async || {
        let columns = client
            .query(
                "SELECT table_name::text, column_name::text, data_type::text \
                 FROM information_schema.columns \
                 WHERE table_name IN ('user', 'session') ORDER BY 1, 2",
                &[],
            )
            .await
            .unwrap();
        let rows = client
            .query(r#"SELECT u.id, u.name, u.email, s.id FROM "user" u JOIN session s ON s."userId" = u.id"#, &[])
            .await
            .unwrap();
        let show = |row: &tokio_postgres::Row| {
            (0..row.len())
                .map(|index| row.get::<_, String>(index))
                .collect::<Vec<_>>()
        };
        (
            columns.iter().map(show).collect::<Vec<_>>(),
            rows.iter().map(show).collect::<Vec<_>>(),
        )
    };
    let before = snapshot().await;

    assert_eq!(run_migrations(database.url()).await.unwrap(), VERSIONS);
    assert_eq!(snapshot().await, before);
    assert_eq!(before.1, [["u1", "Ada", "ada@example.com", "s1"]]);
}

#[tokio::test]
async fn migrating_a_database_with_tasks_keeps_every_task_at_version_one() {
    let database = TestDatabase::create().await;
    let client = sql_session(&database).await;
    unmigrate(&client).await;
    // The database as the first migration left it, with tasks in it.
    client.batch_execute(FIRST_MIGRATION).await.unwrap();
    client
        .batch_execute(&format!(
            "CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY, \
             run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP); \
             INSERT INTO __diesel_schema_migrations (version) VALUES ('{}'); \
             INSERT INTO tasks (user_id, title, description, completed) \
             SELECT 'u' || n % 3, 'task ' || n, CASE WHEN n % 2 = 0 THEN 'd' END, n % 5 = 0 \
             FROM generate_series(1, 50) AS n;",
            VERSIONS[0]
        ))
        .await
        .unwrap();
    let rows = async || {
        client
            .query(
                "SELECT (id, user_id, title, description, completed, created_at, updated_at)::text \
                 FROM tasks ORDER BY id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0))
            .collect::<Vec<_>>()
    };
    let before = rows().await;

    assert_eq!(run_migrations(database.url()).await.unwrap(), [VERSIONS[1]]);
    assert_eq!(rows().await, before, "every task as it was");
    let versions = client
        .query_one(
            "SELECT count(*), min(version), max(version) FROM tasks",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(versions.get::<_, i64>(0), 50);
    assert_eq!(
        (versions.get::<_, i64>(1), versions.get::<_, i64>(2)),
        (1, 1)
    );
}

#[tokio::test]
async fn the_schema_guards_its_invariants() {
    let database = TestDatabase::create().await;
    let client = sql_session(&database).await;

    let index = client
        .query_one(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'tasks' AND indexname <> 'tasks_pkey'",
            &[],
        )
        .await
        .unwrap();
    assert!(
        index
            .get::<_, String>(0)
            .ends_with("(user_id, created_at DESC, id DESC)")
    );
    for bad_row in [
        "INSERT INTO tasks (user_id, title) VALUES ('', 't')",
        "INSERT INTO tasks (user_id, title) VALUES ('u', '')",
        "INSERT INTO tasks (user_id, title) VALUES ('u', repeat('x', 201))",
        "INSERT INTO tasks (user_id, title, description) VALUES ('u', 't', repeat('x', 1001))",
        "INSERT INTO tasks (id, user_id, title) VALUES (1, 'u', 't')",
        "INSERT INTO tasks (user_id, title, version) VALUES ('u', 't', 0)",
    ] {
        assert!(client.batch_execute(bad_row).await.is_err(), "{bad_row}");
    }
    let defaults = client
        .query_one(
            "INSERT INTO tasks (user_id, title) VALUES ('u', 't') \
             RETURNING completed, created_at = updated_at",
            &[],
        )
        .await
        .unwrap();
    assert!(!defaults.get::<_, bool>(0));
    assert!(defaults.get::<_, bool>(1));
}
