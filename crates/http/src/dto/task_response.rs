use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use tasks_domain::Task;

/// A task as every endpoint returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskResponse {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: String,
    pub updated_at: String,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl From<Task> for TaskResponse {
    fn from(task: Task) -> Self {
        Self {
            id: task.id.get(),
            user_id: task.user_id.as_str().to_owned(),
            title: task.title.as_str().to_owned(),
            description: task.description.map(|d| d.as_str().to_owned()),
            completed: task.completed,
            created_at: timestamp(task.created_at),
            updated_at: timestamp(task.updated_at),
        }
    }
}
