//! A `TaskRepository` in memory, for tests of the layers above the store. It follows the
//! same rules as the SQL stores (ordering, search, ownership) and can be switched off to
//! act as an unreachable store.

use std::cmp::Ordering;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use chrono::Utc;
use tasks_domain::{
    ListQuery, NewTask, SortKey, SortOrder, Task, TaskId, TaskPage, TaskPatch, UserId, fold_case,
};

use crate::{TaskError, TaskRepository};

#[derive(Debug)]
pub struct InMemoryTaskRepository {
    state: Mutex<State>,
    available: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    last_id: i64,
    tasks: Vec<Task>,
}

#[derive(Debug, thiserror::Error)]
#[error("the in-memory store is switched off")]
struct SwitchedOff;

impl Default for InMemoryTaskRepository {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            available: AtomicBool::new(true),
        }
    }
}

impl InMemoryTaskRepository {
    /// While unavailable, every call fails with [`TaskError::Unavailable`].
    pub fn set_available(&self, available: bool) {
        self.available.store(available, AtomicOrdering::SeqCst);
    }

    fn with_state<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, TaskError>,
    ) -> Result<T, TaskError> {
        if !self.available.load(AtomicOrdering::SeqCst) {
            return Err(TaskError::unavailable(SwitchedOff));
        }
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }
}

impl State {
    fn find_mut(&mut self, owner: &UserId, id: TaskId) -> Result<&mut Task, TaskError> {
        self.tasks
            .iter_mut()
            .find(|task| task.id == id && &task.user_id == owner)
            .ok_or(TaskError::NotFound)
    }
}

fn matches(task: &Task, owner: &UserId, query: &ListQuery) -> bool {
    if &task.user_id != owner {
        return false;
    }
    if let Some(completed) = query.status.completed()
        && task.completed != completed
    {
        return false;
    }
    let Some(search) = &query.search else {
        return true;
    };
    let needle = search.folded();
    fold_case(task.title.as_str()).contains(&needle)
        || task
            .description
            .as_ref()
            .is_some_and(|d| fold_case(d.as_str()).contains(&needle))
}

fn compare(a: &Task, b: &Task, sort: SortKey) -> Ordering {
    let by_key = match sort {
        SortKey::Created => a.created_at.cmp(&b.created_at),
        SortKey::Updated => a.updated_at.cmp(&b.updated_at),
        SortKey::Title => fold_case(a.title.as_str()).cmp(&fold_case(b.title.as_str())),
    };
    by_key.then(a.id.cmp(&b.id))
}

impl TaskRepository for InMemoryTaskRepository {
    async fn list(&self, owner: &UserId, query: &ListQuery) -> Result<TaskPage, TaskError> {
        self.with_state(|state| {
            let mut found: Vec<Task> = state
                .tasks
                .iter()
                .filter(|task| matches(task, owner, query))
                .cloned()
                .collect();
            let order = query.effective_order();
            found.sort_by(|a, b| {
                let ordering = compare(a, b, query.sort);
                if order == SortOrder::Desc {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
            let total = found.len() as u64;
            let skip = usize::try_from(query.offset.get()).unwrap_or(usize::MAX);
            let tasks = found
                .into_iter()
                .skip(skip)
                .take(usize::from(query.limit.get()))
                .collect();
            Ok(TaskPage { tasks, total })
        })
    }

    async fn create(&self, owner: &UserId, task: &NewTask) -> Result<Task, TaskError> {
        self.with_state(|state| {
            state.last_id += 1;
            let now = Utc::now();
            let created = Task {
                id: TaskId::new(state.last_id),
                user_id: owner.clone(),
                title: task.title.clone(),
                description: task.description.clone(),
                completed: task.completed,
                created_at: now,
                updated_at: now,
            };
            state.tasks.push(created.clone());
            Ok(created)
        })
    }

    async fn get(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        self.with_state(|state| state.find_mut(owner, id).map(|task| task.clone()))
    }

    async fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
    ) -> Result<Task, TaskError> {
        self.with_state(|state| {
            let task = state.find_mut(owner, id)?;
            patch.apply_to(task);
            task.updated_at = Utc::now();
            Ok(task.clone())
        })
    }

    async fn delete(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        self.with_state(|state| {
            let position = state
                .tasks
                .iter()
                .position(|task| task.id == id && &task.user_id == owner)
                .ok_or(TaskError::NotFound)?;
            Ok(state.tasks.remove(position))
        })
    }

    async fn toggle_completed(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        self.with_state(|state| {
            let task = state.find_mut(owner, id)?;
            task.completed = !task.completed;
            task.updated_at = Utc::now();
            Ok(task.clone())
        })
    }

    async fn ping(&self) -> Result<(), TaskError> {
        self.with_state(|_| Ok(()))
    }
}

/// A `TokenVerifier` that knows a fixed set of tokens, for tests of the HTTP layer.
#[derive(Debug, Default)]
pub struct FixedTokens {
    tokens: std::collections::HashMap<String, Result<crate::Claims, crate::AuthError>>,
}

impl FixedTokens {
    /// `token` verifies as a token whose subject is `subject`.
    pub fn with_subject(mut self, token: &str, subject: &str) -> Self {
        let claims = crate::Claims {
            subject: UserId::parse(subject).expect("a valid subject"),
            expires_at: i64::MAX,
        };
        self.tokens.insert(token.to_owned(), Ok(claims));
        self
    }

    /// `token` fails verification with `error`.
    pub fn with_error(mut self, token: &str, error: crate::AuthError) -> Self {
        self.tokens.insert(token.to_owned(), Err(error));
        self
    }
}

impl crate::TokenVerifier for FixedTokens {
    async fn verify(&self, token: &str) -> Result<crate::Claims, crate::AuthError> {
        self.tokens
            .get(token)
            .cloned()
            .unwrap_or(Err(crate::AuthError::invalid("unknown test token")))
    }
}
