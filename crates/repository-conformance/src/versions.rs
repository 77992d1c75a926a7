//! Versions: 1 on create, exactly one more on every write, and what each call returns.

use tasks_domain::{Precondition, Version};
use tasks_ports::TaskRepository;

use crate::support::{create, idempotent, new_task, patch, user, version_in};

/// Create gives version 1; each update and toggle (with or without a precondition) adds
/// exactly one, and `get` reads the same version back; `delete` returns the task at its
/// last version.
pub async fn every_write_moves_the_version_by_one<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let created = create(&store, &alice, &new_task("counted")).await;
    assert_eq!(created.version, Version::FIRST, "create");
    assert_eq!(store.get(&alice, created.id).await.unwrap(), created);

    let mut current = created;
    for step in 0..6 {
        let precondition = if step % 2 == 0 {
            Precondition::Always
        } else {
            version_in(&[current.version])
        };
        let written = if step < 3 {
            let title = format!("counted {step}");
            store
                .update(
                    &alice,
                    current.id,
                    &patch(Some(&title), None, None),
                    &precondition,
                )
                .await
        } else {
            store
                .toggle_completed(&alice, current.id, &precondition)
                .await
        }
        .unwrap_or_else(|error| panic!("write {step}: {error:?}"));
        assert_eq!(
            written.version,
            current.version.next(),
            "write {step} with {precondition:?}"
        );
        assert_eq!(store.get(&alice, current.id).await.unwrap(), written);
        current = written;
    }
    assert_eq!(current.version, Version::new(7));

    let deleted = store
        .delete(&alice, current.id, &Precondition::Always)
        .await
        .unwrap();
    assert_eq!(
        deleted, current,
        "delete returns the task at its last version"
    );
}

/// An idempotent create gives version 1, and its replay gives the version it was created
/// with, whatever the task's version is now.
pub async fn replayed_creates_keep_the_version_as_created<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let request = idempotent("versioned", "fingerprint");
    let first = store
        .create_idempotent(&alice, &new_task("versioned"), &request)
        .await
        .unwrap();
    assert_eq!(first.task.version, Version::FIRST);
    let toggled = store
        .toggle_completed(&alice, first.task.id, &Precondition::Always)
        .await
        .unwrap();
    assert_eq!(toggled.version, Version::new(2));

    let replayed = store
        .create_idempotent(&alice, &new_task("versioned"), &request)
        .await
        .unwrap();
    assert!(replayed.replayed);
    assert_eq!(replayed.task.version, Version::FIRST);
}
