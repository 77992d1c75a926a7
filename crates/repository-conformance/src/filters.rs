//! Which tasks a list returns: the status filter and the search, each with its total.

use tasks_domain::{ListQuery, Precondition, StatusFilter};
use tasks_ports::TaskRepository;

use crate::support::{create, create_all, described, list, new_task, search, titles, user};

fn with_status(status: StatusFilter, query: ListQuery) -> ListQuery {
    ListQuery { status, ..query }
}

/// `pending` and `completed` split the list, `all` is both, and each total counts its own.
pub async fn status_filter_and_total<R: TaskRepository>(store: R) {
    let alice = user("alice");
    let tasks = create_all(&store, &alice, &["a", "b", "c"]).await;
    store
        .toggle_completed(&alice, tasks[1].id, &Precondition::Always)
        .await
        .unwrap();
    let mut done = new_task("d");
    done.completed = true;
    create(&store, &alice, &done).await;
    create(&store, &user("bob"), &new_task("bob's")).await;

    let cases = [
        (StatusFilter::All, vec!["d", "c", "b", "a"]),
        (StatusFilter::Pending, vec!["c", "a"]),
        (StatusFilter::Completed, vec!["d", "b"]),
    ];
    for (status, expected) in cases {
        let page = list(&store, &alice, &with_status(status, ListQuery::default())).await;
        let total = expected.len() as u64;
        assert_eq!((titles(&page), page.total), (expected, total), "{status:?}");
    }
    let pending_c = list(
        &store,
        &alice,
        &with_status(StatusFilter::Pending, search("C")),
    )
    .await;
    assert_eq!((titles(&pending_c), pending_c.total), (vec!["c"], 1));
    let completed_c = list(
        &store,
        &alice,
        &with_status(StatusFilter::Completed, search("c")),
    )
    .await;
    assert_eq!((titles(&completed_c), completed_c.total), (vec![], 0));
}

/// Search matches titles and descriptions by their Unicode lowercase forms: umlauts, ß,
/// Greek and emoji included. Lowercase is not case folding: "STRASSE" does not find "ß".
pub async fn search_folds_unicode_case<R: TaskRepository>(store: R) {
    let alice = user("alice");
    for task in [
        new_task("ÄPFEL kaufen"),
        new_task("äpfel schälen"),
        new_task("Apfelsaft"),
        new_task("Große Straße"),
        new_task("ΣΟΦΊΑ"),
        new_task("Party 🎉"),
        described("plain", "Bring ÄPFEL"),
        described("nothing", ""),
    ] {
        create(&store, &alice, &task).await;
    }
    let cases: [(&str, &[&str]); 12] = [
        ("äpfel", &["plain", "äpfel schälen", "ÄPFEL kaufen"]),
        ("ÄPFEL", &["plain", "äpfel schälen", "ÄPFEL kaufen"]),
        ("Äpfel S", &["äpfel schälen"]),
        ("apfel", &["Apfelsaft"]),
        ("GROẞE", &["Große Straße"]),
        ("straße", &["Große Straße"]),
        ("STRASSE", &[]),
        ("σοφία", &["ΣΟΦΊΑ"]),
        ("ΣΟΦΊΑ", &["ΣΟΦΊΑ"]),
        ("🎉", &["Party 🎉"]),
        ("bring", &["plain"]),
        ("zzz", &[]),
    ];
    for (text, expected) in cases {
        let page = list(&store, &alice, &search(text)).await;
        assert_eq!(
            (titles(&page), page.total),
            (expected.to_vec(), expected.len() as u64),
            "search {text:?}"
        );
    }
}

/// `%`, `_` and `\` are ordinary characters in a search.
pub async fn search_wildcards_are_literal<R: TaskRepository>(store: R) {
    let alice = user("alice");
    create_all(
        &store,
        &alice,
        &[
            "100% done",
            "1000 done",
            "snake_case",
            "snakeXcase",
            r"back\slash",
            "backslash",
        ],
    )
    .await;
    create(&store, &alice, &described("note", "50% off_today")).await;
    let cases: [(&str, &[&str]); 8] = [
        ("%", &["note", "100% done"]),
        ("0%", &["note", "100% done"]),
        ("_", &["note", "snake_case"]),
        ("e_c", &["snake_case"]),
        (r"\", &[r"back\slash"]),
        (r"k\s", &[r"back\slash"]),
        ("%%", &[]),
        (r"\%", &[]),
    ];
    for (text, expected) in cases {
        let page = list(&store, &alice, &search(text)).await;
        assert_eq!(
            (titles(&page), page.total),
            (expected.to_vec(), expected.len() as u64),
            "search {text:?}"
        );
    }
}
