//! The table's own rules, for rows that do not come through the repository, and the stored
//! form of timestamps.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use tasks_domain::{NewTask, Title, UserId};
use tasks_ports::TaskRepository;
use tasks_store_sqlite::SqliteTaskRepository;
use tempfile::TempDir;

/// A migrated database, and a plain connection to it.
fn migrated() -> (TempDir, SqliteTaskRepository, SqliteConnection) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tasks.db");
    let repository = SqliteTaskRepository::open(&path).unwrap();
    let connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    (directory, repository, connection)
}

fn insert(
    connection: &mut SqliteConnection,
    user_id: &str,
    title: &str,
    description: Option<&str>,
    completed: i32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) \
         VALUES (?, ?, ?, ?, 0, 0)",
    )
    .bind::<Text, _>(user_id)
    .bind::<Text, _>(title)
    .bind::<Nullable<Text>, _>(description)
    .bind::<Integer, _>(completed)
    .execute(connection)
}

#[test]
fn the_limits_hold_for_rows_written_by_hand() {
    let (_directory, _repository, mut connection) = migrated();
    let (title, description) = ("é".repeat(200), "ß".repeat(1000));
    let allowed = [
        (
            "u".to_owned(),
            title.as_str(),
            Some(description.as_str()),
            1,
        ),
        ("a".repeat(255), "t", None, 0),
        ("u".to_owned(), "t", Some(""), 0),
    ];
    for (user_id, title, description, completed) in allowed {
        insert(&mut connection, &user_id, title, description, completed).unwrap();
    }

    let (long_title, long_description) = ("é".repeat(201), "ß".repeat(1001));
    let refused = [
        ("", "t", None, 0),
        (&*"a".repeat(256), "t", None, 0),
        // 128 two-byte characters are 256 bytes.
        (&*"é".repeat(128), "t", None, 0),
        ("u", "", None, 0),
        ("u", &long_title, None, 0),
        ("u", "t", Some(long_description.as_str()), 0),
        ("u", "t", None, 2),
    ];
    for (user_id, title, description, completed) in refused {
        let result = insert(&mut connection, user_id, title, description, completed);
        assert!(
            matches!(
                result,
                Err(QueryError::DatabaseError(
                    DatabaseErrorKind::CheckViolation,
                    _
                ))
            ),
            "{user_id:?} {:?} {description:?} {completed}: {result:?}",
            title.chars().take(10).collect::<String>()
        );
    }
}

#[tokio::test]
async fn timestamps_are_stored_as_utc_microseconds() {
    let (_directory, repository, mut connection) = migrated();
    let task = NewTask {
        title: Title::parse("when").unwrap(),
        description: None,
        completed: false,
    };
    let created = repository
        .create(&UserId::parse("alice").unwrap(), &task)
        .await
        .unwrap();
    assert_eq!(created.created_at.timestamp_subsec_nanos() % 1000, 0);

    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = BigInt)]
        created_at: i64,
    }
    let stored: Stored = diesel::sql_query("SELECT created_at FROM tasks WHERE id = ?")
        .bind::<BigInt, _>(created.id.get())
        .get_result(&mut connection)
        .unwrap();
    assert_eq!(stored.created_at, created.created_at.timestamp_micros());
}

#[test]
fn versions_start_at_one_and_never_go_below() {
    let (_directory, _repository, mut connection) = migrated();
    insert(&mut connection, "u", "t", None, 0).unwrap();
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = BigInt)]
        version: i64,
    }
    let stored: Stored = diesel::sql_query("SELECT version FROM tasks")
        .get_result(&mut connection)
        .unwrap();
    assert_eq!(stored.version, 1, "the default");

    let refused = diesel::sql_query(
        "INSERT INTO tasks (user_id, title, completed, created_at, updated_at, version) \
         VALUES ('u', 't', 0, 0, 0, 0)",
    )
    .execute(&mut connection);
    assert!(
        matches!(
            refused,
            Err(QueryError::DatabaseError(
                DatabaseErrorKind::CheckViolation,
                _
            ))
        ),
        "{refused:?}"
    );
}
