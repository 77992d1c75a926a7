use tasks_domain::{Description, NewTask, TaskPatch, Title, UserId};
use tasks_store_postgres::testing::TestDatabase;
use tasks_store_postgres::{PostgresSettings, PostgresTaskRepository};

pub fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

pub fn new_task(title: &str) -> NewTask {
    NewTask {
        title: Title::parse(title).unwrap(),
        description: None,
        completed: false,
    }
}

pub fn described(title: &str, description: &str) -> NewTask {
    NewTask {
        description: Some(Description::parse(description).unwrap()),
        ..new_task(title)
    }
}

pub fn retitle(title: &str) -> TaskPatch {
    TaskPatch::new(Some(Title::parse(title).unwrap()), None, None).unwrap()
}

/// A repository on a fresh database; keep the database alive as long as the repository.
pub async fn fresh_repository() -> (TestDatabase, PostgresTaskRepository) {
    let database = TestDatabase::create().await;
    let repository = PostgresTaskRepository::connect(&PostgresSettings::new(database.url()))
        .expect("valid settings");
    (database, repository)
}
