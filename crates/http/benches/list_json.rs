//! Encoding a page of 100 tasks: the `TaskResponse` conversion and JSON alone, and the whole
//! list request through the app (routing, middleware, extractor, in-memory store).
//!
//! `cargo bench -p tasks-http --bench list_json`

use std::hint::black_box;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use tasks_domain::{Description, NewTask, Task, TaskId, Title, UserId, Version};
use tasks_ports::in_memory::{FixedTokens, InMemoryTaskRepository};
use tasks_ports::{ChangeHub, Owner, TaskRepository, TaskService};

// The crate keeps its DTOs private; compile its very `TaskResponse` into the bench.
#[allow(dead_code)]
#[path = "../src/dto/task_response.rs"]
mod task_response;
use task_response::TaskResponse;

const USER: &str = "x2JfHq8pLk0123456789abcdefghijk";
const TOKEN: &str = "bench-token";

fn task(id: i64) -> Task {
    let at = Utc.timestamp_opt(1_790_000_000 + id, 123_456_000).unwrap();
    Task {
        id: TaskId::new(id),
        user_id: UserId::parse(USER).unwrap(),
        title: Title::parse(format!("Task number {id}: buy milk and bread")).unwrap(),
        description: (id % 2 == 0)
            .then(|| Description::parse("Two litres, semi-skimmed; wholemeal bread").unwrap()),
        completed: id % 3 == 0,
        created_at: at,
        updated_at: at,
        version: Version::FIRST,
    }
}

fn encode(c: &mut Criterion) {
    let tasks: Vec<Task> = (1..=100).map(task).collect();
    let mut group = c.benchmark_group("list_json");
    group.bench_function("100 tasks: TaskResponse + serde_json", |b| {
        b.iter(|| {
            let page: Vec<TaskResponse> = black_box(tasks.clone())
                .into_iter()
                .map(TaskResponse::from)
                .collect();
            serde_json::to_vec(&page).unwrap()
        });
    });
    let responses: Vec<TaskResponse> = tasks.iter().cloned().map(TaskResponse::from).collect();
    group.bench_function("100 tasks: serde_json only", |b| {
        b.iter(|| serde_json::to_vec(black_box(&responses)).unwrap());
    });
    group.finish();
}

fn handler(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let store = Arc::new(InMemoryTaskRepository::default());
    let tokens = FixedTokens::default().with_subject(TOKEN, USER);
    let app = system.block_on(async {
        let owner = Owner::authorize(
            &tasks_ports::Claims {
                subject: UserId::parse(USER).unwrap(),
                expires_at: i64::MAX,
            },
            USER,
        )
        .unwrap();
        for id in 1..=100 {
            let template = task(id);
            let new = NewTask {
                title: template.title,
                description: template.description,
                completed: template.completed,
            };
            store.create(owner.user_id(), &new).await.unwrap();
        }
        test::init_service(tasks_http::app(
            web::Data::new(TaskService::new(Arc::clone(&store), ChangeHub::default())),
            web::Data::new(tokens),
            vec!["http://localhost:3000".to_owned()],
            tasks_http::BodyReadTimeout::DEFAULT,
        ))
        .await
    });
    let mut group = c.benchmark_group("list_request");
    for (name, uri) in [
        (
            "GET /api/{u}/tasks (100 tasks)",
            format!("/api/{USER}/tasks"),
        ),
        (
            "GET /api/{u}/tasks?limit=1",
            format!("/api/{USER}/tasks?limit=1"),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                system.block_on(async {
                    let request = TestRequest::get()
                        .uri(&uri)
                        .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}")))
                        .to_request();
                    let response = test::call_service(&app, request).await;
                    assert!(response.status().is_success());
                    test::read_body(response).await
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, encode, handler);
criterion_main!(benches);
