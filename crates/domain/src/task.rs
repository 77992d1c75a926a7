use chrono::{DateTime, Utc};

use crate::{Description, DomainError, TaskId, Title, UserId, Version};

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub user_id: UserId,
    pub title: Title,
    pub description: Option<Description>,
    pub completed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Moves on every change; the entity tag is made from it.
    pub version: Version,
}

/// What a user asks to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub title: Title,
    pub description: Option<Description>,
    pub completed: bool,
}

/// A partial update that changes at least one field. `description: Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPatch {
    title: Option<Title>,
    description: Option<Option<Description>>,
    completed: Option<bool>,
}

impl TaskPatch {
    pub fn new(
        title: Option<Title>,
        description: Option<Option<Description>>,
        completed: Option<bool>,
    ) -> Result<Self, DomainError> {
        if title.is_none() && description.is_none() && completed.is_none() {
            return Err(DomainError::EmptyPatch);
        }
        Ok(Self {
            title,
            description,
            completed,
        })
    }

    pub fn title(&self) -> Option<&Title> {
        self.title.as_ref()
    }

    pub fn description(&self) -> Option<Option<&Description>> {
        self.description.as_ref().map(Option::as_ref)
    }

    pub fn completed(&self) -> Option<bool> {
        self.completed
    }

    /// The patch applied to a task in memory; stores that update in place use it to stay
    /// in step with the SQL ones.
    pub fn apply_to(&self, task: &mut Task) {
        if let Some(title) = &self.title {
            task.title = title.clone();
        }
        if let Some(description) = &self.description {
            task.description = description.clone();
        }
        if let Some(completed) = self.completed {
            task.completed = completed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_needs_a_field() {
        assert_eq!(
            TaskPatch::new(None, None, None),
            Err(DomainError::EmptyPatch)
        );
        assert!(TaskPatch::new(None, Some(None), None).is_ok());
        assert!(TaskPatch::new(None, None, Some(false)).is_ok());
    }

    #[test]
    fn patch_applies_only_what_it_names() {
        let now = Utc::now();
        let mut task = Task {
            id: TaskId::new(1),
            user_id: UserId::parse("u").unwrap(),
            title: Title::parse("old").unwrap(),
            description: Some(Description::parse("keep?").unwrap()),
            completed: false,
            created_at: now,
            updated_at: now,
            version: Version::FIRST,
        };
        TaskPatch::new(None, Some(None), None)
            .unwrap()
            .apply_to(&mut task);
        assert_eq!(task.title.as_str(), "old");
        assert_eq!(task.description, None);
        assert!(!task.completed);
    }
}
