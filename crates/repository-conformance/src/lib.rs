//! One conformance suite for every [`TaskRepository`](tasks_ports::TaskRepository): the
//! rules of the port (ownership, ordering, search, limits, timestamps, atomic toggles,
//! versions and preconditions, idempotent creates), written once as checks generic over the store and run by each store's own tests.
//!
//! Each check is a `pub async fn check<R: TaskRepository>(store: R)` that starts from an
//! empty store and panics, naming what differed, when the store breaks a rule. A store's
//! test file runs them all with [`conformance_tests!`]:
//!
//! ```text
//! async fn fresh_store() -> (tempfile::TempDir, SqliteTaskRepository) { ... }
//!
//! tasks_repository_conformance::conformance_tests!(fresh_store());
//! ```

mod concurrency;
mod filters;
mod idempotency;
mod limits;
mod ordering;
mod ownership;
mod preconditions;
mod races;
mod support;
mod use_cases;
mod versions;

pub use concurrency::concurrent_creates_and_toggles_lose_nothing;
pub use filters::{
    search_folds_unicode_case, search_wildcards_are_literal, status_filter_and_total,
};
pub use idempotency::{
    a_key_reused_for_another_request_is_refused, concurrent_repeats_create_one_task,
    keys_are_scoped_to_their_user, purging_keeps_fresh_keys, repeated_creates_replay_the_first,
    replays_return_the_task_as_created,
};
pub use limits::limits_and_offsets;
pub use ordering::{
    created_order_both_directions, pages_concatenate_to_the_full_list,
    title_order_folds_case_both_directions, updated_order_both_directions,
};
pub use ownership::other_users_tasks_are_invisible_and_unchanged;
pub use preconditions::{
    delete_applies_only_when_its_precondition_admits,
    missing_tasks_are_not_found_whatever_the_precondition,
    toggle_applies_only_when_its_precondition_admits,
    update_applies_only_when_its_precondition_admits,
};
pub use races::concurrent_updates_of_one_version_let_exactly_one_win;
pub use use_cases::{
    create_then_get_round_trips, delete_returns_the_task_and_removes_it,
    empty_and_absent_descriptions_stay_apart, ids_never_assigned_are_not_found,
    longest_title_and_description_are_kept, ping_answers,
    toggle_flips_completed_and_moves_updated_at, update_changes_only_what_the_patch_names,
    update_moves_updated_at_not_created_at,
};
pub use versions::{
    every_write_moves_the_version_by_one, replayed_creates_keep_the_version_as_created,
};

/// Expands into one `#[tokio::test]` per check, named after it, on a multi-threaded
/// runtime. `$fresh_store` is a future, evaluated anew for each test, that gives
/// `(keep_alive, store)`: an empty store, and whatever must outlive it (a temporary
/// directory, a test database; `()` if nothing). The calling crate needs `tokio`.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh_store:expr) => {
        $crate::conformance_tests!(@each $fresh_store;
            create_then_get_round_trips,
            empty_and_absent_descriptions_stay_apart,
            longest_title_and_description_are_kept,
            update_changes_only_what_the_patch_names,
            update_moves_updated_at_not_created_at,
            toggle_flips_completed_and_moves_updated_at,
            delete_returns_the_task_and_removes_it,
            ids_never_assigned_are_not_found,
            ping_answers,
            other_users_tasks_are_invisible_and_unchanged,
            created_order_both_directions,
            updated_order_both_directions,
            title_order_folds_case_both_directions,
            pages_concatenate_to_the_full_list,
            status_filter_and_total,
            search_folds_unicode_case,
            search_wildcards_are_literal,
            limits_and_offsets,
            concurrent_creates_and_toggles_lose_nothing,
            every_write_moves_the_version_by_one,
            replayed_creates_keep_the_version_as_created,
            update_applies_only_when_its_precondition_admits,
            toggle_applies_only_when_its_precondition_admits,
            delete_applies_only_when_its_precondition_admits,
            missing_tasks_are_not_found_whatever_the_precondition,
            concurrent_updates_of_one_version_let_exactly_one_win,
            repeated_creates_replay_the_first,
            replays_return_the_task_as_created,
            a_key_reused_for_another_request_is_refused,
            keys_are_scoped_to_their_user,
            concurrent_repeats_create_one_task,
            purging_keeps_fresh_keys,
        );
    };
    (@each $fresh_store:expr; $($check:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let (_keep_alive, store) = $fresh_store.await;
                $crate::$check(store).await;
            }
        )+
    };
}
