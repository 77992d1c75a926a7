//! Opening a database made by the first migration, with tasks in it: the newer migrations
//! apply, every task is kept (at version 1), and the new features work on it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tasks_domain::{
    IdempotencyKey, IdempotentRequest, ListQuery, NewTask, Precondition, RequestFingerprint, Title,
    UserId, Version,
};
use tasks_ports::TaskRepository;
use tasks_store_sqlite::SqliteTaskRepository;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The tasks written under the first schema: (user, title, completed).
const OLD_TASKS: [(&str, &str, i32); 3] = [
    ("alice", "from before", 0),
    ("alice", "done before", 1),
    ("bob", "bob's, from before", 0),
];

#[tokio::test]
async fn existing_tasks_survive_the_upgrade_at_version_one() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tasks.db");
    {
        let mut old = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        let first = old.run_next_migration(MIGRATIONS).unwrap();
        assert_eq!(first.to_string(), "20261127000000");
        for (n, (user_id, title, completed)) in OLD_TASKS.into_iter().enumerate() {
            diesel::sql_query(
                "INSERT INTO tasks (user_id, title, completed, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind::<Text, _>(user_id)
            .bind::<Text, _>(title)
            .bind::<Integer, _>(completed)
            .bind::<BigInt, _>(n as i64)
            .bind::<BigInt, _>(n as i64)
            .execute(&mut old)
            .unwrap();
        }
    }

    let repository = SqliteTaskRepository::open(&path).unwrap();
    let alice = UserId::parse("alice").unwrap();
    let alices = repository
        .list(&alice, &ListQuery::default())
        .await
        .unwrap();
    let kept: Vec<_> = alices
        .tasks
        .iter()
        .map(|task| (task.title.as_str(), task.completed, task.version))
        .collect();
    assert_eq!(
        kept,
        [
            ("done before", true, Version::FIRST),
            ("from before", false, Version::FIRST)
        ]
    );
    let bobs = repository
        .list(&UserId::parse("bob").unwrap(), &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(bobs.total, 1);

    let old = &alices.tasks[0];
    let toggled = repository
        .toggle_completed(
            &alice,
            old.id,
            &Precondition::VersionIn(vec![Version::FIRST]),
        )
        .await
        .unwrap();
    assert_eq!(toggled.version, Version::new(2));
    let request = IdempotentRequest {
        key: IdempotencyKey::parse("after-the-upgrade").unwrap(),
        fingerprint: RequestFingerprint::new("body"),
    };
    let new_task = NewTask {
        title: Title::parse("new").unwrap(),
        description: None,
        completed: false,
    };
    let created = repository
        .create_idempotent(&alice, &new_task, &request)
        .await
        .unwrap();
    assert!(created.task.id.get() > 3, "ids go on after the old ones");
}

#[test]
fn the_upgrade_can_be_reverted() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tasks.db");
    drop(SqliteTaskRepository::open(&path).unwrap());
    let mut connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let reverted = connection.revert_last_migration(MIGRATIONS).unwrap();
    assert_eq!(reverted.to_string(), "20261207000000");
    diesel::sql_query(
        "INSERT INTO tasks (user_id, title, completed, created_at, updated_at) \
         VALUES ('alice', 't', 0, 0, 0)",
    )
    .execute(&mut connection)
    .unwrap();
    assert!(
        diesel::sql_query("SELECT version FROM tasks")
            .execute(&mut connection)
            .is_err(),
        "the version column is gone"
    );
}
