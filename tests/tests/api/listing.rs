//! §2 `GET /api/{user_id}/tasks`: filters, orders, search, paging and its headers.

use chrono::{DateTime, Utc};
use reqwest::{Method, Url};
use serde_json::{Value, json};
use tasks_e2e::{
    Reply, ReplyExt, TestApp, complete_path, spawn_app, task_id, task_path, tasks_path,
};

/// Alice's list with these query parameters (URL-encoded here).
async fn list(app: &TestApp, query: &[(&str, &str)]) -> Reply {
    app.request_as("alice", Method::GET, &tasks_path("alice"))
        .query(query)
        .reply()
        .await
}

/// Ids of alice's list, asserting 200.
async fn list_ids(app: &TestApp, query: &[(&str, &str)]) -> Vec<i64> {
    list(app, query).await.expect(200).ids()
}

/// The target of a `Link: <…>; rel="next"` header, if there is one.
#[track_caller]
fn next_link(reply: &Reply) -> Option<String> {
    let link = reply.header("link")?;
    let (target, params) = link
        .split_once(';')
        .unwrap_or_else(|| panic!("Link without parameters: {link}"));
    assert_eq!(params.trim(), r#"rel="next""#, "Link: {link}");
    let target = target
        .trim()
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'));
    Some(
        target
            .unwrap_or_else(|| panic!("Link target not in <>: {link}"))
            .to_owned(),
    )
}

/// The link as an absolute URL on the app (it may be relative or absolute).
fn resolve(app: &TestApp, link: &str) -> Url {
    Url::parse(&app.address)
        .and_then(|base| base.join(link))
        .unwrap_or_else(|error| panic!("bad Link target {link}: {error}"))
}

/// A query parameter of `url`.
fn parameter(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Follows `Link: rel="next"` from the first page of `query`, and returns every id seen.
async fn ids_through_pages(app: &TestApp, query: &[(&str, &str)], limit: usize) -> Vec<i64> {
    let limit_text = limit.to_string();
    let mut first = query.to_vec();
    first.push(("limit", &limit_text));
    let mut reply = list(app, &first).await;
    let mut ids = Vec::new();
    loop {
        let page = reply.expect(200).ids();
        assert!(
            page.len() <= limit,
            "page longer than limit: {}",
            reply.text
        );
        ids.extend(page);
        let Some(link) = next_link(&reply) else { break };
        assert!(ids.len() < 10_000, "Link never ends");
        let url = resolve(app, &link);
        reply = app
            .request_as("alice", Method::GET, url.path())
            .query(&url.query_pairs().collect::<Vec<_>>())
            .reply()
            .await;
    }
    ids
}

#[track_caller]
fn created_at(task: &Value) -> DateTime<Utc> {
    timestamp(task, "created_at")
}

#[track_caller]
fn timestamp(task: &Value, field: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(task[field].as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// Ids of `tasks` in ascending order of `key`, then of id.
fn ordered_by<K: Ord>(tasks: &[Value], key: impl Fn(&Value) -> K) -> Vec<i64> {
    let mut tasks: Vec<&Value> = tasks.iter().collect();
    tasks.sort_by_key(|task| (key(task), task_id(task)));
    tasks.into_iter().map(task_id).collect()
}

fn reversed(mut ids: Vec<i64>) -> Vec<i64> {
    ids.reverse();
    ids
}

fn lowercase_title(task: &Value) -> String {
    task["title"].as_str().expect("a title").to_lowercase()
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

async fn complete(app: &TestApp, id: i64) {
    app.request_as("alice", Method::PATCH, &complete_path("alice", id))
        .json(&json!({"completed": true}))
        .reply()
        .await
        .expect(200);
}

#[tokio::test]
async fn status_filters_pending_and_completed_tasks() {
    let app = spawn_app().await;
    let tasks = app.create_tasks("alice", &["one", "two", "three"]).await;
    let ids: Vec<i64> = tasks.iter().map(task_id).collect();
    complete(&app, ids[1]).await;

    assert_eq!(sorted(list_ids(&app, &[]).await), ids);
    assert_eq!(sorted(list_ids(&app, &[("status", "all")]).await), ids);
    assert_eq!(
        sorted(list_ids(&app, &[("status", "pending")]).await),
        vec![ids[0], ids[2]]
    );
    assert_eq!(
        list_ids(&app, &[("status", "completed")]).await,
        vec![ids[1]]
    );
}

#[tokio::test]
async fn the_default_order_is_newest_first() {
    let app = spawn_app().await;
    let tasks = app.create_tasks("alice", &["a", "b", "c", "d"]).await;
    let newest_first = reversed(ordered_by(&tasks, created_at));
    assert_eq!(list_ids(&app, &[]).await, newest_first);
    assert_eq!(list_ids(&app, &[("sort", "created")]).await, newest_first);
    assert_eq!(
        list_ids(&app, &[("sort", "created"), ("order", "desc")]).await,
        newest_first
    );
    assert_eq!(
        list_ids(&app, &[("sort", "created"), ("order", "asc")]).await,
        reversed(newest_first)
    );
}

#[tokio::test]
async fn sort_by_updated_puts_the_last_changed_first() {
    let app = spawn_app().await;
    let ids: Vec<i64> = app
        .create_tasks("alice", &["a", "b", "c"])
        .await
        .iter()
        .map(task_id)
        .collect();
    app.request_as("alice", Method::PUT, &task_path("alice", ids[0]))
        .json(&json!({"description": "touched"}))
        .reply()
        .await
        .expect(200);

    let last_changed_first = vec![ids[0], ids[2], ids[1]];
    assert_eq!(
        list_ids(&app, &[("sort", "updated")]).await,
        last_changed_first
    );
    assert_eq!(
        list_ids(&app, &[("sort", "updated"), ("order", "asc")]).await,
        reversed(last_changed_first)
    );
    // Created order is not affected.
    assert_eq!(list_ids(&app, &[]).await, vec![ids[2], ids[1], ids[0]]);
}

#[tokio::test]
async fn sort_by_title_compares_unicode_lowercase_code_points() {
    let app = spawn_app().await;
    // "ä" before "Ä": a store that compares without lowercasing puts "Ä" (U+00C4) first;
    // the contract compares "ä" with "ä" and breaks the tie by id.
    let titles = [
        "b", "ä", "A", "a", "Ä", "z", "B", "Zebra", "_under", "é", "E", "apple", "Äpfel",
    ];
    let tasks = app.create_tasks("alice", &titles).await;
    let ascending = ordered_by(&tasks, lowercase_title);

    assert_eq!(
        list_ids(&app, &[("sort", "title")]).await,
        ascending,
        "default asc"
    );
    assert_eq!(
        list_ids(&app, &[("sort", "title"), ("order", "asc")]).await,
        ascending
    );
    // Titles descending, ties by id descending: exactly the reverse.
    assert_eq!(
        list_ids(&app, &[("sort", "title"), ("order", "desc")]).await,
        reversed(ascending)
    );
}

#[tokio::test]
async fn ties_are_broken_by_id_in_the_same_direction() {
    let app = spawn_app().await;
    let tasks = app.create_tasks("alice", &["same"; 5]).await;
    let ids: Vec<i64> = tasks.iter().map(task_id).collect();
    assert_eq!(list_ids(&app, &[("sort", "title")]).await, ids);
    assert_eq!(
        list_ids(&app, &[("sort", "title"), ("order", "desc")]).await,
        reversed(ids)
    );
}

#[tokio::test]
async fn pages_are_stable_for_every_order() {
    let app = spawn_app().await;
    let tasks = app
        .create_tasks("alice", &["b", "a", "b", "A", "c", "B", "a"])
        .await;
    for task in tasks.iter().step_by(3) {
        complete(&app, task_id(task)).await;
    }
    let every_id = sorted(tasks.iter().map(task_id).collect());
    for sort in ["created", "updated", "title"] {
        for order in [None, Some("asc"), Some("desc")] {
            let mut query = vec![("sort", sort)];
            query.extend(order.map(|order| ("order", order)));
            let mut one_page = query.clone();
            one_page.push(("limit", "1000"));
            let expected = list_ids(&app, &one_page).await;
            assert_eq!(sorted(expected.clone()), every_id, "{query:?}");
            assert_eq!(
                ids_through_pages(&app, &query, 2).await,
                expected,
                "{query:?}"
            );
        }
    }
}

#[tokio::test]
async fn q_matches_title_or_description_ignoring_case_even_beyond_ascii() {
    let app = spawn_app().await;
    let apples = app
        .create_task("alice", json!({"title": "äpfel kaufen"}))
        .await;
    let milk = app.create_task("alice", json!({"title": "Buy MILK"})).await;
    let call = app
        .create_task(
            "alice",
            json!({"title": "Call", "description": "ask about ÄPFEL"}),
        )
        .await;
    app.create_task("alice", json!({"title": "Other", "description": "nothing"}))
        .await;

    let apples_and_call = sorted(vec![task_id(&apples), task_id(&call)]);
    for q in ["ÄPFEL", "äpfel", "ÄpFeL", "PFEL"] {
        let reply = list(&app, &[("q", q)]).await;
        assert_eq!(sorted(reply.expect(200).ids()), apples_and_call, "q={q}");
        assert_eq!(reply.total_count(), 2, "q={q}");
    }
    assert_eq!(list_ids(&app, &[("q", "milk")]).await, vec![task_id(&milk)]);
    assert_eq!(list_ids(&app, &[("q", "y m")]).await, vec![task_id(&milk)]);
    assert_eq!(
        list_ids(&app, &[("q", "ask about")]).await,
        vec![task_id(&call)]
    );
    assert_eq!(list_ids(&app, &[("q", "öl")]).await, Vec::<i64>::new());
}

#[tokio::test]
async fn q_treats_percent_underscore_and_backslash_literally() {
    let app = spawn_app().await;
    let tasks = app
        .create_tasks(
            "alice",
            &[
                "100% done",
                "100 done",
                "a_b",
                "axb",
                r"back\slash",
                "plain",
            ],
        )
        .await;
    let id = |index: usize| vec![task_id(&tasks[index])];
    assert_eq!(list_ids(&app, &[("q", "%")]).await, id(0));
    assert_eq!(list_ids(&app, &[("q", "0% d")]).await, id(0));
    assert_eq!(list_ids(&app, &[("q", "_")]).await, id(2));
    assert_eq!(list_ids(&app, &[("q", "a_b")]).await, id(2));
    assert_eq!(list_ids(&app, &[("q", r"\")]).await, id(4));
    assert_eq!(list_ids(&app, &[("q", r"k\s")]).await, id(4));
}

#[tokio::test]
async fn limit_and_offset_are_validated() {
    let app = spawn_app().await;
    for limit in ["0", "1001", "x", "-1", "1.5"] {
        list(&app, &[("limit", limit)])
            .await
            .expect_invalid("limit");
    }
    for offset in ["-1", "x", "1.5"] {
        list(&app, &[("offset", offset)])
            .await
            .expect_invalid("offset");
    }
    for (name, value) in [
        ("limit", "1"),
        ("limit", "1000"),
        ("offset", "0"),
        ("offset", "5"),
    ] {
        list(&app, &[(name, value)]).await.expect(200);
    }
}

#[tokio::test]
async fn an_invalid_status_sort_or_order_is_422_naming_it() {
    let app = spawn_app().await;
    for (name, value) in [
        ("status", "done"),
        ("status", ""),
        ("sort", "priority"),
        ("sort", "id"),
        ("order", "up"),
        ("order", "descending"),
    ] {
        list(&app, &[(name, value)]).await.expect_invalid(name);
    }
}

#[tokio::test]
async fn total_count_counts_every_match_after_status_and_q() {
    let app = spawn_app().await;
    let tasks = app
        .create_tasks(
            "alice",
            &["milk", "Milk powder", "oat MILK", "bread", "eggs"],
        )
        .await;
    complete(&app, task_id(&tasks[0])).await;
    complete(&app, task_id(&tasks[1])).await;
    complete(&app, task_id(&tasks[3])).await;

    for (query, total) in [
        (vec![], 5),
        (vec![("q", "milk")], 3),
        (vec![("status", "completed")], 3),
        (vec![("status", "pending")], 2),
        (vec![("q", "milk"), ("status", "completed")], 2),
        (vec![("q", "milk"), ("status", "pending")], 1),
        (vec![("q", "nothing")], 0),
    ] {
        let mut with_limit = query.clone();
        with_limit.push(("limit", "1"));
        let reply = list(&app, &with_limit).await;
        assert_eq!(reply.expect(200).total_count(), total, "{query:?}");
        assert_eq!(reply.tasks().len(), total.min(1) as usize, "{query:?}");
    }
}

#[tokio::test]
async fn link_leads_to_the_next_page_keeping_the_other_parameters() {
    let app = spawn_app().await;
    let titles = ["ä task 1", "ä task 2", "ä task 3", "ä task 4", "ä task 5"];
    app.create_tasks("alice", &titles).await;
    app.create_tasks("alice", &["unrelated"]).await;
    let query = [
        ("q", "Ä T"),
        ("status", "all"),
        ("sort", "title"),
        ("order", "asc"),
    ];
    let all = list_ids(&app, &query).await;
    assert_eq!(all.len(), 5);

    let mut first_query = query.to_vec();
    first_query.push(("limit", "2"));
    let first = list(&app, &first_query).await;
    assert_eq!(first.expect(200).ids(), all[..2]);
    assert_eq!(first.total_count(), 5);

    let next = resolve(&app, &next_link(&first).expect("a next page"));
    assert_eq!(next.path(), tasks_path("alice"));
    for (name, value) in [("limit", "2"), ("offset", "2")].iter().chain(query.iter()) {
        assert_eq!(parameter(&next, name).as_deref(), Some(*value), "{next}");
    }
    let second = app
        .request_as("alice", Method::GET, next.path())
        .query(&next.query_pairs().collect::<Vec<_>>())
        .reply()
        .await;
    assert_eq!(second.expect(200).ids(), all[2..4]);

    let third = resolve(&app, &next_link(&second).expect("a third page"));
    assert_eq!(parameter(&third, "offset").as_deref(), Some("4"));

    let last_page = list(&app, &[("q", "Ä T"), ("limit", "2"), ("offset", "4")]).await;
    assert_eq!(last_page.expect(200).ids().len(), 1);
    assert_eq!(
        next_link(&last_page),
        None,
        "no next page after the last one"
    );
    let exactly_filled = list(&app, &[("q", "Ä T"), ("limit", "2"), ("offset", "3")]).await;
    assert_eq!(exactly_filled.expect(200).ids().len(), 2);
    assert_eq!(
        next_link(&exactly_filled),
        None,
        "no next page when the end is reached"
    );
    let everything = list(&app, &[("q", "Ä T"), ("limit", "5")]).await;
    assert_eq!(next_link(everything.expect(200)), None);
}

#[tokio::test]
async fn an_offset_past_the_end_gives_an_empty_page() {
    let app = spawn_app().await;
    app.create_tasks("alice", &["a", "b", "c"]).await;
    for offset in ["3", "10", "1000000"] {
        let reply = list(&app, &[("offset", offset)]).await;
        assert_eq!(reply.expect(200).body, json!([]), "offset {offset}");
        assert_eq!(reply.total_count(), 3);
        assert_eq!(next_link(&reply), None);
    }
}

#[tokio::test]
async fn the_default_limit_is_100() {
    let app = spawn_app().await;
    let titles: Vec<String> = (0..101).map(|n| format!("task {n}")).collect();
    let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
    app.create_tasks("alice", &titles).await;

    let reply = list(&app, &[]).await;
    assert_eq!(reply.expect(200).tasks().len(), 100);
    assert_eq!(reply.total_count(), 101);
    let next = resolve(&app, &next_link(&reply).expect("a next page"));
    assert_eq!(parameter(&next, "offset").as_deref(), Some("100"));
}

#[tokio::test]
async fn another_users_tasks_never_appear() {
    let app = spawn_app().await;
    let alices = sorted(
        app.create_tasks("alice", &["shared title", "alice only"])
            .await
            .iter()
            .map(task_id)
            .collect(),
    );
    for title in ["shared title", "bob only", "another"] {
        app.create_task("bob", json!({"title": title, "completed": true}))
            .await;
    }
    for query in [
        vec![],
        vec![("q", "title")],
        vec![("status", "completed")],
        vec![("sort", "title")],
        vec![("offset", "1")],
    ] {
        let reply = list(&app, &query).await;
        for task in reply.expect(200).tasks() {
            assert_eq!(task["user_id"], "alice", "{query:?}");
            assert!(alices.contains(&task_id(task)), "{query:?}");
        }
    }
    assert_eq!(list(&app, &[]).await.total_count(), 2);
    assert_eq!(list(&app, &[("q", "only")]).await.total_count(), 1);
    assert_eq!(
        list(&app, &[("status", "completed")]).await.total_count(),
        0
    );
}
