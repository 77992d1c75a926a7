//! A `TaskRepository` in memory, for tests of the layers above the store. It follows the
//! same rules as the SQL stores (ordering, search, ownership) and can be switched off to
//! act as an unreachable store.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use chrono::{DateTime, Utc};
use tasks_domain::{
    ChangeKind, IDEMPOTENCY_KEY_LIFETIME, IdempotencyKey, IdempotentRequest, ListQuery, NewTask,
    Precondition, RequestFingerprint, SortKey, SortOrder, Task, TaskChange, TaskId, TaskPage,
    TaskPatch, UserId, Version, fold_case,
};

use crate::{ChangeHub, Created, TaskError, TaskRepository};

#[derive(Debug)]
pub struct InMemoryTaskRepository {
    state: Mutex<State>,
    available: AtomicBool,
    changes: Option<ChangeHub>,
}

#[derive(Debug, Default)]
struct State {
    last_id: i64,
    tasks: Vec<Task>,
    keys: HashMap<(UserId, IdempotencyKey), StoredCreate>,
}

/// A create kept for repeats of its idempotency key.
#[derive(Debug)]
struct StoredCreate {
    fingerprint: RequestFingerprint,
    task: Task,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
#[error("the in-memory store is switched off")]
struct SwitchedOff;

impl Default for InMemoryTaskRepository {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            available: AtomicBool::new(true),
            changes: None,
        }
    }
}

impl InMemoryTaskRepository {
    /// Announces every write to `changes`, as it happens.
    pub fn announcing_to(self, changes: ChangeHub) -> Self {
        Self {
            changes: Some(changes),
            ..self
        }
    }

    fn announce(&self, kind: ChangeKind, task: &Task) {
        if let Some(changes) = &self.changes {
            changes.publish(TaskChange {
                kind,
                task: task.clone(),
            });
        }
    }

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

    /// The task, if `precondition` admits its version.
    fn writable(
        &mut self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<&mut Task, TaskError> {
        let task = self.find_mut(owner, id)?;
        if precondition.admits(task.version) {
            Ok(task)
        } else {
            Err(TaskError::PreconditionFailed {
                current: task.version,
            })
        }
    }

    fn insert(&mut self, owner: &UserId, task: &NewTask) -> Task {
        self.last_id += 1;
        let now = Utc::now();
        let created = Task {
            id: TaskId::new(self.last_id),
            user_id: owner.clone(),
            title: task.title.clone(),
            description: task.description.clone(),
            completed: task.completed,
            created_at: now,
            updated_at: now,
            version: Version::FIRST,
        };
        self.tasks.push(created.clone());
        created
    }
}

/// Marks `task` as changed once more.
fn touch(task: &mut Task) {
    task.updated_at = Utc::now();
    task.version = task.version.next();
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
        let created = self.with_state(|state| Ok(state.insert(owner, task)))?;
        self.announce(ChangeKind::Created, &created);
        Ok(created)
    }

    async fn create_idempotent(
        &self,
        owner: &UserId,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> Result<Created, TaskError> {
        let slot = (owner.clone(), request.key.clone());
        let now = Utc::now();
        let created = self.with_state(|state| {
            if let Some(stored) = state.keys.get(&slot).filter(|kept| kept.expires_at > now) {
                return if stored.fingerprint == request.fingerprint {
                    Ok(Created {
                        task: stored.task.clone(),
                        replayed: true,
                    })
                } else {
                    Err(TaskError::IdempotencyKeyReused)
                };
            }
            let task = state.insert(owner, task);
            let lifetime = chrono::Duration::from_std(IDEMPOTENCY_KEY_LIFETIME)
                .map_err(TaskError::unexpected)?;
            state.keys.insert(
                slot,
                StoredCreate {
                    fingerprint: request.fingerprint.clone(),
                    task: task.clone(),
                    expires_at: now + lifetime,
                },
            );
            Ok(Created {
                task,
                replayed: false,
            })
        })?;
        if !created.replayed {
            self.announce(ChangeKind::Created, &created.task);
        }
        Ok(created)
    }

    async fn get(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        self.with_state(|state| state.find_mut(owner, id).map(|task| task.clone()))
    }

    async fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let updated = self.with_state(|state| {
            let task = state.writable(owner, id, precondition)?;
            patch.apply_to(task);
            touch(task);
            Ok(task.clone())
        })?;
        self.announce(ChangeKind::Updated, &updated);
        Ok(updated)
    }

    async fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let deleted = self.with_state(|state| {
            state.writable(owner, id, precondition)?;
            let position = state
                .tasks
                .iter()
                .position(|task| task.id == id)
                .ok_or(TaskError::NotFound)?;
            Ok(state.tasks.remove(position))
        })?;
        self.announce(ChangeKind::Deleted, &deleted);
        Ok(deleted)
    }

    async fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let toggled = self.with_state(|state| {
            let task = state.writable(owner, id, precondition)?;
            task.completed = !task.completed;
            touch(task);
            Ok(task.clone())
        })?;
        self.announce(ChangeKind::Updated, &toggled);
        Ok(toggled)
    }

    async fn purge_expired_keys(&self) -> Result<u64, TaskError> {
        let now = Utc::now();
        self.with_state(|state| {
            let before = state.keys.len();
            state.keys.retain(|_, stored| stored.expires_at > now);
            Ok((before - state.keys.len()) as u64)
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
