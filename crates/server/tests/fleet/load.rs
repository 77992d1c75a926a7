//! Steady mixed load through the balancer: each client, as a user of its own, creates,
//! reads, renames, lists and deletes tasks back to back, checks every answer, and keeps a
//! ledger of every write the fleet acknowledged, to check at the end that none was lost.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// What the fleet acknowledged about a task.
#[derive(Debug, Clone, PartialEq)]
enum Acknowledged {
    Title(String),
    Deleted,
    /// A write to it failed: it may or may not have been applied.
    Unknown,
}

pub struct Load {
    stop: Arc<AtomicBool>,
    pub requests: Arc<AtomicU64>,
    clients: Vec<tokio::task::JoinHandle<Report>>,
}

/// One client's outcome.
#[derive(Default)]
pub struct Report {
    user: String,
    pub failures: Vec<String>,
    ledger: HashMap<i64, Acknowledged>,
}

impl Load {
    pub fn start(base: &str, clients: usize, token: impl Fn(&str) -> String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let http = Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a client");
        let clients = (0..clients)
            .map(|n| {
                let user = format!("fleet-{n}-{}", std::process::id());
                let client = LoadClient {
                    http: http.clone(),
                    base: base.to_owned(),
                    token: token(&user),
                    requests: Arc::clone(&requests),
                };
                tokio::spawn(client.run(user, Arc::clone(&stop)))
            })
            .collect();
        Self {
            stop,
            requests,
            clients,
        }
    }

    /// Waits until `more` requests beyond the current count were answered.
    pub async fn wait_for_requests(&self, more: u64) {
        let target = self.requests.load(Ordering::Relaxed) + more;
        let started = Instant::now();
        while self.requests.load(Ordering::Relaxed) < target {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the load stalled"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(self) -> Vec<Report> {
        self.stop.store(true, Ordering::Relaxed);
        let mut reports = Vec::new();
        for client in self.clients {
            reports.push(client.await.expect("a client finished"));
        }
        reports
    }
}

struct LoadClient {
    http: Client,
    base: String,
    token: String,
    requests: Arc<AtomicU64>,
}

impl LoadClient {
    /// Sends one request; `Err` with a description when the answer is not `expected`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        expected: StatusCode,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let outcome = request.send().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = outcome.map_err(|error| format!("{method} {path}: {error}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| format!("{method} {path}: {error}"))?;
        if status != expected {
            return Err(format!("{method} {path}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn run(self, user: String, stop: Arc<AtomicBool>) -> Report {
        let mut report = Report {
            user: user.clone(),
            ..Report::default()
        };
        let tasks = format!("/api/{user}/tasks");
        let mut round = 0;
        while !stop.load(Ordering::Relaxed) {
            round += 1;
            let title = format!("task {round}");
            let created = self
                .call(
                    Method::POST,
                    &tasks,
                    Some(json!({"title": title})),
                    StatusCode::CREATED,
                )
                .await;
            let id = match created {
                Ok(task) => task["id"].as_i64().expect("an id"),
                Err(failure) => {
                    report.failures.push(failure);
                    continue;
                }
            };
            report.ledger.insert(id, Acknowledged::Title(title.clone()));
            let path = format!("{tasks}/{id}");
            // Read back on whichever instance the balancer picks: the write is visible.
            match self.call(Method::GET, &path, None, StatusCode::OK).await {
                Ok(task) if task["title"] == title => {}
                Ok(task) => report.failures.push(format!("GET {path}: stale {task}")),
                Err(failure) => report.failures.push(failure),
            }
            let renamed = format!("task {round} renamed");
            let patch = json!({"title": renamed});
            let outcome = self
                .call(Method::PATCH, &path, Some(patch), StatusCode::OK)
                .await;
            report.record(id, outcome, Acknowledged::Title(renamed));
            if let Err(failure) = self
                .call(
                    Method::GET,
                    &format!("{tasks}?limit=5"),
                    None,
                    StatusCode::OK,
                )
                .await
            {
                report.failures.push(failure);
            }
            if round % 3 == 0 {
                let outcome = self.call(Method::DELETE, &path, None, StatusCode::OK).await;
                report.record(id, outcome, Acknowledged::Deleted);
            }
        }
        report
    }
}

impl Report {
    fn record(&mut self, id: i64, outcome: Result<Value, String>, acknowledged: Acknowledged) {
        match outcome {
            Ok(_) => {
                self.ledger.insert(id, acknowledged);
            }
            Err(failure) => {
                self.failures.push(failure);
                self.ledger.insert(id, Acknowledged::Unknown);
            }
        }
    }

    /// Every acknowledged write, checked against the fleet: returns the ones lost.
    pub async fn lost_writes(&self, base: &str, token: &str) -> Vec<String> {
        let client = Client::new();
        let listed: Value = client
            .get(format!("{base}/api/{}/tasks?limit=1000", self.user))
            .bearer_auth(token)
            .send()
            .await
            .expect("list sent")
            .json()
            .await
            .expect("a JSON list");
        let titles: HashMap<i64, String> = listed
            .as_array()
            .expect("a list")
            .iter()
            .map(|task| {
                (
                    task["id"].as_i64().unwrap(),
                    task["title"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut lost = Vec::new();
        for (id, acknowledged) in &self.ledger {
            let found = titles.get(id);
            match acknowledged {
                Acknowledged::Title(title) if found != Some(title) => {
                    lost.push(format!(
                        "{} task {id}: acknowledged {title:?}, found {found:?}",
                        self.user
                    ));
                }
                Acknowledged::Deleted if found.is_some() => {
                    lost.push(format!(
                        "{} task {id}: acknowledged deleted, still there",
                        self.user
                    ));
                }
                _ => {}
            }
        }
        lost
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn writes(&self) -> usize {
        self.ledger.len()
    }
}
