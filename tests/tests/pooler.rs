//! The service through a transaction pooler: PgBouncer in transaction mode with its default
//! pool, which keeps no prepared statement and no session setting from one transaction to
//! the next. Every route under concurrent load answers as it does on a direct connection.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;
use tasks_e2e::{ReplyExt, TestApp, complete_path, spawn_app_with, task_id, task_path, tasks_path};
use tasks_store_postgres::testing::{PgBouncer, TestDatabase};

const CLIENTS: usize = 32;
const ROUNDS: usize = 6;

/// The app on a fresh database that it reaches through a PgBouncer of its own
/// (`pgbouncer=true` in `DATABASE_URL`); migrations go direct.
async fn app_through_pgbouncer() -> (TestApp, PgBouncer, TestDatabase) {
    let database = TestDatabase::create().await;
    let pooler = PgBouncer::start();
    let pooled_url = format!("{}?pgbouncer=true", pooler.url(&database));
    let app = spawn_app_with(&[
        ("DATABASE_URL", pooled_url.as_str()),
        ("MIGRATION_DATABASE_URL", database.url()),
    ])
    .await;
    (app, pooler, database)
}

/// One client's rounds over every route, as `user`; returns each unexpected answer.
async fn exercise_every_route(app: &TestApp, user: &str) -> Vec<String> {
    let mut unexpected = Vec::new();
    let mut check = |call: &str, status: u16, expected: u16, text: &str| {
        if status != expected {
            unexpected.push(format!("{user} {call}: {status} {text}"));
        }
    };
    for round in 0..ROUNDS {
        let created = app
            .request_as(user, Method::POST, &tasks_path(user))
            .json(&json!({"title": format!("round {round}"), "description": "load"}))
            .reply()
            .await;
        check("POST", created.status, 201, &created.text);
        if created.status != 201 {
            continue;
        }
        let id = task_id(&created.body);
        let calls = [
            (Method::GET, tasks_path(user), None),
            (
                Method::GET,
                format!(
                    "{}?status=pending&sort=title&q=round&limit=5",
                    tasks_path(user)
                ),
                None,
            ),
            (Method::GET, task_path(user, id), None),
            (
                Method::PUT,
                task_path(user, id),
                Some(json!({"title": "renamed", "description": null, "completed": false})),
            ),
            (
                Method::PATCH,
                task_path(user, id),
                Some(json!({"description": "patched"})),
            ),
            (Method::PATCH, complete_path(user, id), None),
            (Method::GET, "/ready".to_owned(), None),
            (Method::DELETE, task_path(user, id), None),
        ];
        for (method, path, body) in calls {
            let request = app.request_as(user, method.clone(), &path);
            let request = match body {
                Some(body) => request.json(&body),
                None => request,
            };
            let reply = request.reply().await;
            check(&format!("{method} {path}"), reply.status, 200, &reply.text);
        }
    }
    unexpected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_under_concurrent_load_answers_2xx_through_pgbouncer() {
    let (app, _pooler, _database) = app_through_pgbouncer().await;
    let users: Vec<String> = (0..CLIENTS).map(|n| format!("user-{n}")).collect();
    let clients = users.iter().map(|user| exercise_every_route(&app, user));
    let unexpected: Vec<String> = join_all(clients).await.into_iter().flatten().collect();
    assert!(
        unexpected.is_empty(),
        "{} of {} answers unexpected, first ones:\n{}",
        unexpected.len(),
        CLIENTS * ROUNDS * 9,
        unexpected[..unexpected.len().min(10)].join("\n")
    );
    // Every client deleted what it created.
    for user in &users {
        assert_eq!(app.list_tasks(user, "").await.expect(200).total_count(), 0);
    }
}
