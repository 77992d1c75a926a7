//! Page sizes at both ends of their range, and offsets past the last match.

use tasks_domain::{ListQuery, StatusFilter, Task};
use tasks_ports::TaskRepository;

use crate::support::{create, ids, list, new_task, paged, user};

/// With 1001 tasks: limit 1 and 1000 return that many, the default 100, the last page the
/// rest, and offsets past the end an empty page; the total is 1001 throughout.
pub async fn limits_and_offsets<R: TaskRepository>(store: R) {
    const TASKS: usize = 1001;
    let alice = user("alice");
    let mut created: Vec<Task> = Vec::with_capacity(TASKS);
    for n in 0..TASKS {
        created.push(create(&store, &alice, &new_task(&format!("task {n}"))).await);
    }
    let newest_first: Vec<_> = ids(&created).into_iter().rev().collect();
    let all = ListQuery::default();

    let cases = [
        (1, 0, &newest_first[..1]),
        (1000, 0, &newest_first[..1000]),
        (1000, 1000, &newest_first[1000..]),
        (1, 1000, &newest_first[1000..]),
        (1000, 1001, &[][..]),
        (10, 5000, &[][..]),
    ];
    for (limit, offset, expected) in cases {
        let page = list(&store, &alice, &paged(&all, limit, offset)).await;
        assert_eq!(
            (ids(&page.tasks), page.total),
            (expected.to_vec(), TASKS as u64),
            "limit {limit} offset {offset}"
        );
    }
    let default = list(&store, &alice, &all).await;
    assert_eq!(ids(&default.tasks), newest_first[..100]);

    let none_completed = ListQuery {
        status: StatusFilter::Completed,
        ..paged(&all, 10, 20)
    };
    let page = list(&store, &alice, &none_completed).await;
    assert_eq!((page.tasks.len(), page.total), (0, 0));
}
