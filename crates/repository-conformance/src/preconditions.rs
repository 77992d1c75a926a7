//! Writes with a precondition (`If-Match`): applied only when it admits the task's current
//! version, and otherwise refused with that version and no change.

use tasks_domain::{Precondition, Task, TaskId, UserId, Version};
use tasks_ports::{TaskError, TaskRepository};

use crate::support::{
    assert_not_found, assert_precondition_failed, create, new_task, patch, user, version_in,
};

/// The three writes that take a precondition.
#[derive(Debug, Clone, Copy)]
enum Write {
    Update,
    Toggle,
    Delete,
}

impl Write {
    const ALL: [Self; 3] = [Self::Update, Self::Toggle, Self::Delete];

    async fn apply(
        self,
        store: &impl TaskRepository,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        match self {
            Self::Update => {
                let renamed = patch(Some("renamed"), None, None);
                store.update(owner, id, &renamed, precondition).await
            }
            Self::Toggle => store.toggle_completed(owner, id, precondition).await,
            Self::Delete => store.delete(owner, id, precondition).await,
        }
    }
}

/// A task written once, so that its current version (2) differs from the first.
async fn written_once(store: &impl TaskRepository, owner: &UserId) -> Task {
    let task = create(store, owner, &new_task("guarded")).await;
    store
        .toggle_completed(owner, task.id, &Precondition::Always)
        .await
        .expect("toggle")
}

/// `write` is refused, with the current version and no change, for lists that miss the
/// current version (an older one, none at all, later ones); applied for a list that holds
/// it among others, and for `Always`.
async fn check_write<R: TaskRepository>(store: R, write: Write) {
    let alice = user("alice");
    let task = written_once(&store, &alice).await;
    let refused = [
        version_in(&[Version::FIRST]),
        version_in(&[]),
        version_in(&[Version::new(3), Version::new(99)]),
    ];
    for precondition in &refused {
        let call = format!("{write:?} with {precondition:?}");
        assert_precondition_failed(
            write.apply(&store, &alice, task.id, precondition).await,
            task.version,
            &call,
        );
        assert_eq!(
            store.get(&alice, task.id).await.unwrap(),
            task,
            "{call} changed the task"
        );
    }

    let listed = version_in(&[Version::FIRST, task.version, Version::new(99)]);
    let written = write
        .apply(&store, &alice, task.id, &listed)
        .await
        .unwrap_or_else(|error| panic!("{write:?} with {listed:?}: {error:?}"));
    match write {
        Write::Delete => {
            assert_eq!(written, task, "delete returns the task as it was");
            assert_not_found(store.get(&alice, task.id).await, "get after delete");
            let other = create(&store, &alice, &new_task("unguarded")).await;
            let deleted = write
                .apply(&store, &alice, other.id, &Precondition::Always)
                .await
                .unwrap();
            assert_eq!(deleted, other, "delete with Always");
        }
        Write::Update | Write::Toggle => {
            assert_eq!(written.version, task.version.next());
            assert_eq!(store.get(&alice, task.id).await.unwrap(), written);
            let again = write
                .apply(&store, &alice, task.id, &Precondition::Always)
                .await
                .unwrap();
            assert_eq!(
                again.version,
                written.version.next(),
                "{write:?} with Always"
            );
        }
    }
}

/// An update is applied only when its precondition admits the current version.
pub async fn update_applies_only_when_its_precondition_admits<R: TaskRepository>(store: R) {
    check_write(store, Write::Update).await;
}

/// A toggle is applied only when its precondition admits the current version.
pub async fn toggle_applies_only_when_its_precondition_admits<R: TaskRepository>(store: R) {
    check_write(store, Write::Toggle).await;
}

/// A delete is applied only when its precondition admits the current version.
pub async fn delete_applies_only_when_its_precondition_admits<R: TaskRepository>(store: R) {
    check_write(store, Write::Delete).await;
}

/// A task that does not exist, or is another user's, is `NotFound` for every write whatever
/// the precondition (never `PreconditionFailed`, which would reveal its version), and the
/// other user's task is unchanged.
pub async fn missing_tasks_are_not_found_whatever_the_precondition<R: TaskRepository>(store: R) {
    let (alice, bob) = (user("alice"), user("bob"));
    let alices = written_once(&store, &alice).await;
    let missing = TaskId::new(alices.id.get() + 1000);
    let preconditions = [
        Precondition::Always,
        version_in(&[alices.version]),
        version_in(&[Version::FIRST]),
        version_in(&[]),
    ];
    for write in Write::ALL {
        for precondition in &preconditions {
            for (owner, id, what) in [(&alice, missing, "missing"), (&bob, alices.id, "alice's")] {
                assert_not_found(
                    write.apply(&store, owner, id, precondition).await,
                    &format!("{write:?} of {what} task with {precondition:?}"),
                );
            }
        }
    }
    assert_eq!(store.get(&alice, alices.id).await.unwrap(), alices);
}
