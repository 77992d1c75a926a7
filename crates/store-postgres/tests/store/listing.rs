use tasks_domain::{
    Limit, ListQuery, Offset, Precondition, SearchText, SortKey, SortOrder, StatusFilter, TaskId,
    TaskPage, UserId,
};
use tasks_ports::TaskRepository;
use tasks_ports::in_memory::InMemoryTaskRepository;

use crate::support::{described, fresh_repository, new_task, retitle, sql_session, user};

fn search(text: &str) -> ListQuery {
    ListQuery {
        search: SearchText::parse(text).unwrap(),
        ..ListQuery::default()
    }
}

fn titles(page: &TaskPage) -> Vec<&str> {
    page.tasks.iter().map(|task| task.title.as_str()).collect()
}

fn ids(page: &TaskPage) -> Vec<TaskId> {
    page.tasks.iter().map(|task| task.id).collect()
}

async fn create_all(repository: &impl TaskRepository, owner: &UserId, titles: &[&str]) {
    for title in titles {
        repository.create(owner, &new_task(title)).await.unwrap();
    }
}

#[tokio::test]
async fn status_filter_and_total() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    create_all(&repository, &alice, &["a", "b", "c"]).await;
    let b = repository.list(&alice, &search("b")).await.unwrap().tasks[0].id;
    repository
        .toggle_completed(&alice, b, &Precondition::Always)
        .await
        .unwrap();
    repository
        .create(&user("bob"), &new_task("bob's"))
        .await
        .unwrap();

    let list = async |status| {
        let query = ListQuery {
            status,
            ..ListQuery::default()
        };
        repository.list(&alice, &query).await.unwrap()
    };
    let all = list(StatusFilter::All).await;
    assert_eq!((titles(&all), all.total), (vec!["c", "b", "a"], 3));
    let pending = list(StatusFilter::Pending).await;
    assert_eq!((titles(&pending), pending.total), (vec!["c", "a"], 2));
    let completed = list(StatusFilter::Completed).await;
    assert_eq!((titles(&completed), completed.total), (vec!["b"], 1));
}

#[tokio::test]
async fn pages_are_stable_when_timestamps_tie() {
    let (database, repository) = fresh_repository().await;
    let client = sql_session(&database).await;
    client
        .batch_execute(
            "INSERT INTO tasks (user_id, title, created_at, updated_at) \
             SELECT 'alice', 'task ' || n, '2026-01-01Z', '2026-01-01Z' \
             FROM generate_series(1, 25) AS n",
        )
        .await
        .unwrap();
    let alice = user("alice");

    for (sort, order) in [
        (SortKey::Created, SortOrder::Desc),
        (SortKey::Created, SortOrder::Asc),
        (SortKey::Updated, SortOrder::Desc),
        (SortKey::Updated, SortOrder::Asc),
    ] {
        let mut paged = Vec::new();
        for offset in (0..25).step_by(7) {
            let query = ListQuery {
                sort,
                order: Some(order),
                limit: Limit::parse("7").unwrap(),
                offset: Offset::parse(&offset.to_string()).unwrap(),
                ..ListQuery::default()
            };
            let page = repository.list(&alice, &query).await.unwrap();
            assert_eq!(page.total, 25);
            paged.extend(ids(&page));
        }
        let mut expected = paged.clone();
        expected.sort();
        if order == SortOrder::Desc {
            expected.reverse();
        }
        assert_eq!(paged, expected, "{sort:?} {order:?}");
    }
}

#[tokio::test]
async fn a_page_past_the_end_still_counts_the_matches() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    create_all(&repository, &alice, &["a", "b", "c"]).await;

    let query = ListQuery {
        offset: Offset::parse("10").unwrap(),
        ..ListQuery::default()
    };
    let page = repository.list(&alice, &query).await.unwrap();
    assert_eq!((page.tasks.len(), page.total), (0, 3));

    let limited = ListQuery {
        limit: Limit::parse("2").unwrap(),
        offset: Offset::parse("1").unwrap(),
        ..ListQuery::default()
    };
    let page = repository.list(&alice, &limited).await.unwrap();
    assert_eq!((titles(&page), page.total), (vec!["b", "a"], 3));

    let nobody = repository.list(&user("nobody"), &query).await.unwrap();
    assert_eq!((nobody.tasks.len(), nobody.total), (0, 0));
}

#[tokio::test]
async fn search_is_case_insensitive_and_takes_wildcards_literally() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    for (title, description) in [
        ("äpfel kaufen", "vom Markt"),
        ("Einkauf", "ÄPFEL und Birnen"),
        ("100% done", ""),
        ("100 percent", ""),
        ("snake_case", ""),
        ("snakescase", ""),
        (r"back\slash", ""),
        ("backslash", ""),
    ] {
        repository
            .create(&alice, &described(title, description))
            .await
            .unwrap();
    }
    repository
        .create(&alice, &new_task("no description"))
        .await
        .unwrap();

    let found = async |text| {
        let mut found = titles(&repository.list(&alice, &search(text)).await.unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        found.sort();
        found
    };
    assert_eq!(found("ÄPFEL").await, ["Einkauf", "äpfel kaufen"]);
    assert_eq!(found("äpfel").await, ["Einkauf", "äpfel kaufen"]);
    assert_eq!(found("MARKT").await, ["äpfel kaufen"]);
    assert_eq!(found("%").await, ["100% done"]);
    assert_eq!(found("0%").await, ["100% done"]);
    assert_eq!(found("e_c").await, ["snake_case"]);
    assert_eq!(found(r"k\s").await, [r"back\slash"]);
    assert_eq!(found("DESCRIPTION").await, ["no description"]);
    assert!(found("nowhere").await.is_empty());
}

#[tokio::test]
async fn title_order_compares_lowercase_code_points() {
    let (_database, repository) = fresh_repository().await;
    let alice = user("alice");
    create_all(
        &repository,
        &alice,
        &["b", "Äpfel", "apple", "Zebra", "éclair", "Ω", "a", "A", "z"],
    )
    .await;

    let by_title = |order| ListQuery {
        sort: SortKey::Title,
        order,
        ..ListQuery::default()
    };
    let ascending = repository.list(&alice, &by_title(None)).await.unwrap();
    // "a" and "A" fold alike: the older (smaller id) comes first.
    assert_eq!(
        titles(&ascending),
        ["a", "A", "apple", "b", "z", "Zebra", "Äpfel", "éclair", "Ω"]
    );
    let descending = repository
        .list(&alice, &by_title(Some(SortOrder::Desc)))
        .await
        .unwrap();
    let mut reversed = ids(&ascending);
    reversed.reverse();
    assert_eq!(ids(&descending), reversed);
}

/// Runs the same history against this store and the in-memory reference and compares every
/// combination of list parameters.
#[tokio::test]
async fn lists_exactly_like_the_in_memory_reference() {
    let (_database, postgres) = fresh_repository().await;
    let reference = InMemoryTaskRepository::default();
    let alice = user("alice");
    let history = [
        "Buy milk",
        "buy MILK",
        "Ärger",
        "zebra",
        "100% sure",
        "a_b",
        "axb",
        "Milk run",
        "ømelette",
        "Écoute",
        "milk",
    ];
    for (n, title) in history.iter().enumerate() {
        let task = described(title, &format!("note {n}"));
        let id = postgres.create(&alice, &task).await.unwrap().id;
        assert_eq!(reference.create(&alice, &task).await.unwrap().id, id);
        if n % 3 == 0 {
            postgres
                .toggle_completed(&alice, id, &Precondition::Always)
                .await
                .unwrap();
            reference
                .toggle_completed(&alice, id, &Precondition::Always)
                .await
                .unwrap();
        }
        if n % 4 == 1 {
            postgres
                .update(
                    &alice,
                    id,
                    &retitle(&title.to_uppercase()),
                    &Precondition::Always,
                )
                .await
                .unwrap();
            reference
                .update(
                    &alice,
                    id,
                    &retitle(&title.to_uppercase()),
                    &Precondition::Always,
                )
                .await
                .unwrap();
        }
    }

    for status in [
        StatusFilter::All,
        StatusFilter::Pending,
        StatusFilter::Completed,
    ] {
        for sort in [SortKey::Created, SortKey::Updated, SortKey::Title] {
            for order in [None, Some(SortOrder::Asc), Some(SortOrder::Desc)] {
                for text in ["", "milk", "%", "_", "NOTE 1", "ä"] {
                    for (limit, offset) in [("1000", "0"), ("3", "0"), ("3", "4"), ("5", "20")] {
                        let query = ListQuery {
                            status,
                            sort,
                            order,
                            search: SearchText::parse(text).unwrap(),
                            limit: Limit::parse(limit).unwrap(),
                            offset: Offset::parse(offset).unwrap(),
                        };
                        let stored = postgres.list(&alice, &query).await.unwrap();
                        let expected = reference.list(&alice, &query).await.unwrap();
                        assert_eq!(
                            (ids(&stored), stored.total),
                            (ids(&expected), expected.total),
                            "{query:?}"
                        );
                    }
                }
            }
        }
    }
}
