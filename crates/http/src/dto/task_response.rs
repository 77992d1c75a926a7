use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use tasks_domain::Task;
use utoipa::ToSchema;

/// A task as every endpoint returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Task, examples(json!({
    "id": 17, "user_id": "x2JfHq8pLk", "title": "Buy milk", "description": null,
    "completed": false, "created_at": "2026-11-27T15:00:00.123456Z",
    "updated_at": "2026-11-27T15:00:00.123456Z"
})))]
pub struct TaskResponse {
    /// Assigned by the database.
    pub id: i64,
    /// The owner: the `sub` of the token that created it.
    pub user_id: String,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub completed: bool,
    /// RFC 3339, UTC, microseconds.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl From<Task> for TaskResponse {
    fn from(task: Task) -> Self {
        Self {
            id: task.id.get(),
            user_id: task.user_id.into(),
            title: task.title.into(),
            description: task.description.map(String::from),
            completed: task.completed,
            created_at: timestamp(task.created_at),
            updated_at: timestamp(task.updated_at),
        }
    }
}
