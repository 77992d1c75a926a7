use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt::Display;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Body, Client, Method, RequestBuilder, Response};
use serde_json::Value;
use tasks_server::{Application, Settings};
use tasks_store_postgres::testing::{PgBouncer, TestDatabase};

use crate::events::EventStream;
use crate::{SECRET, TokenBuilder};

/// A running application over its own database, and a client for it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The metrics listener's port; `None` when `APP__METRICS__ENABLED=false`.
    pub metrics_port: Option<u16>,
    pub client: Client,
    /// Kept so the database lives as long as the app (and its replicas), and is removed
    /// after them.
    pub store: Arc<TestStore>,
}

/// The store a test app runs on: PostgreSQL unless `TEST_STORE=sqlite`, so the same
/// tests run against either; with `TEST_POOLER=pgbouncer`, PostgreSQL is reached through
/// PgBouncer in transaction mode.
pub enum TestStore {
    /// Dropped `WITH (FORCE)` after the test.
    Postgres(TestDatabase),
    /// The database through a PgBouncer of the test's own; migrations go direct.
    Pooled {
        database: TestDatabase,
        pooler: PgBouncer,
    },
    /// A SQLite file in a directory removed after the test.
    Sqlite(tempfile::TempDir),
}

impl TestStore {
    async fn create() -> Self {
        match std::env::var("TEST_STORE").as_deref() {
            Ok("sqlite") => Self::Sqlite(tempfile::tempdir().expect("a temporary directory")),
            Ok("postgres") | Err(_) => match std::env::var("TEST_POOLER").as_deref() {
                Ok("pgbouncer") => Self::Pooled {
                    database: TestDatabase::create().await,
                    pooler: PgBouncer::start(),
                },
                Ok("") | Err(_) => Self::Postgres(TestDatabase::create().await),
                Ok(other) => panic!("TEST_POOLER must be pgbouncer or empty, not {other:?}"),
            },
            Ok(other) => panic!("TEST_STORE must be postgres or sqlite, not {other:?}"),
        }
    }

    /// The `DATABASE_URL` that selects this store.
    pub fn url(&self) -> String {
        match self {
            Self::Postgres(database) => database.url().to_owned(),
            Self::Pooled { database, pooler } => format!("{}?pgbouncer=true", pooler.url(database)),
            Self::Sqlite(directory) => {
                format!("sqlite://{}", directory.path().join("tasks.db").display())
            }
        }
    }

    /// The `MIGRATION_DATABASE_URL`, when it differs from the `DATABASE_URL`.
    fn migration_url(&self) -> Option<&str> {
        match self {
            Self::Pooled { database, .. } => Some(database.url()),
            Self::Postgres(_) | Self::Sqlite(_) => None,
        }
    }
}

/// Starts the app with the test defaults: its own database, `BETTER_AUTH_SECRET`, port 0.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with extra variables, as the process environment would give them.
/// Nothing is read from the real environment or from a `.env` file.
pub async fn spawn_app_with(variables: &[(&str, &str)]) -> TestApp {
    start_on(Arc::new(TestStore::create().await), variables).await
}

impl TestApp {
    /// Another instance of the application on the same store, as a replica behind a load
    /// balancer (or the same service after a restart) would be.
    pub async fn spawn_replica(&self, variables: &[(&str, &str)]) -> TestApp {
        start_on(Arc::clone(&self.store), variables).await
    }
}

async fn start_on(store: Arc<TestStore>, variables: &[(&str, &str)]) -> TestApp {
    let database_url = store.url();
    let mut env: HashMap<String, String> = [
        ("DATABASE_URL", database_url.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("PORT", "0"),
        ("APP__SERVER__WORKERS", "2"),
        ("APP__METRICS__PORT", "0"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    if let Some(migration_url) = store.migration_url() {
        env.insert(
            "MIGRATION_DATABASE_URL".to_owned(),
            migration_url.to_owned(),
        );
    }
    for (name, value) in variables {
        env.insert((*name).to_owned(), (*value).to_owned());
    }
    let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let settings = Settings::load(&config_dir, &env).expect("test settings are valid");
    let application = Application::build(&settings)
        .await
        .expect("the application starts");
    let port = application.port();
    let metrics_port = application.metrics_port();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        metrics_port,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client"),
        store,
    }
}

/// `/api/{user}/tasks`
pub fn tasks_path(user: &str) -> String {
    format!("/api/{user}/tasks")
}

/// `/api/{user}/tasks/{id}`
pub fn task_path(user: &str, id: impl Display) -> String {
    format!("/api/{user}/tasks/{id}")
}

/// `/api/{user}/tasks/{id}/complete`
pub fn complete_path(user: &str, id: impl Display) -> String {
    format!("/api/{user}/tasks/{id}/complete")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request without any `Authorization` header.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with a valid token for `user`.
    pub fn request_as(&self, user: &str, method: Method, path: &str) -> RequestBuilder {
        self.request_with_token(&TokenBuilder::for_user(user).sign(), method, path)
    }

    /// A request with `Authorization: Bearer <token>`.
    pub fn request_with_token(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    /// A request with this exact `Authorization` header.
    pub fn request_with_authorization(
        &self,
        authorization: &str,
        method: Method,
        path: &str,
    ) -> RequestBuilder {
        self.request(method, path)
            .header(AUTHORIZATION, authorization)
    }

    /// Creates a task for `user` and returns it.
    pub async fn create_task(&self, user: &str, body: Value) -> Value {
        let response = self
            .request_as(user, Method::POST, &tasks_path(user))
            .json(&body)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 201, "creating {body}");
        response.json().await.expect("a JSON task")
    }

    /// Creates one task per title, in order, and returns them.
    pub async fn create_tasks(&self, user: &str, titles: &[&str]) -> Vec<Value> {
        let mut tasks = Vec::with_capacity(titles.len());
        for title in titles {
            tasks.push(
                self.create_task(user, serde_json::json!({ "title": title }))
                    .await,
            );
        }
        tasks
    }

    /// `GET /api/{user}/tasks/{id}` as `user`.
    pub async fn get_task(&self, user: &str, id: impl Display) -> Reply {
        self.request_as(user, Method::GET, &task_path(user, id))
            .reply()
            .await
    }

    /// Opens `user`'s live-update stream with a valid token.
    pub async fn events(&self, user: &str) -> EventStream {
        self.events_with_token(user, &TokenBuilder::for_user(user).sign())
            .await
    }

    /// Opens `user`'s live-update stream with `token`.
    pub async fn events_with_token(&self, user: &str, token: &str) -> EventStream {
        let response = self
            .request_with_token(token, Method::GET, &format!("{}/events", tasks_path(user)))
            .send()
            .await
            .expect("request sent");
        EventStream::new(response)
    }

    /// `GET /api/{user}/tasks?{query}` as `user`.
    pub async fn list_tasks(&self, user: &str, query: &str) -> Reply {
        self.request_as(user, Method::GET, &format!("{}?{query}", tasks_path(user)))
            .reply()
            .await
    }
}

/// Status, then the JSON body (`Null` when empty).
pub async fn status_and_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    (status, body)
}

/// A whole response: status, headers, and the body as text and as JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON; `Null` when it is empty or not JSON.
    pub body: Value,
}

impl Reply {
    pub async fn read(response: Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    /// Every value of header `name`, joined with ", "; `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().expect("a visible ASCII header value"))
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// Asserts the status, showing the body when it is another.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts an error answer of the contract's shape, `{"detail": "..."}` (plus a
    /// non-empty `errors: [{field, message}]` for 422 only), and returns the detail.
    #[track_caller]
    pub fn expect_error(&self, status: u16) -> &str {
        self.expect(status);
        let Value::Object(fields) = &self.body else {
            panic!("error body is not a JSON object: {:?}", self.text);
        };
        let Some(Value::String(detail)) = fields.get("detail") else {
            panic!("error body has no string detail: {}", self.text);
        };
        assert!(!detail.is_empty(), "empty detail");
        if status == 422 {
            let errors = fields["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("422 without an errors list: {}", self.text));
            assert!(!errors.is_empty(), "422 with no errors: {}", self.text);
            for error in errors {
                assert!(
                    error["field"].is_string() && error["message"].is_string(),
                    "an error without field and message: {}",
                    self.text
                );
            }
            assert_eq!(fields.len(), 2, "unexpected keys: {}", self.text);
        } else {
            assert_eq!(fields.len(), 1, "only detail expected: {}", self.text);
        }
        detail
    }

    /// Asserts `status` with exactly this detail.
    #[track_caller]
    pub fn expect_detail(&self, status: u16, detail: &str) -> &Self {
        assert_eq!(self.expect_error(status), detail, "body: {}", self.text);
        self
    }

    /// Asserts a 422 whose first error names `field`.
    #[track_caller]
    pub fn expect_invalid(&self, field: &str) -> &Self {
        self.expect_error(422);
        assert_eq!(
            self.body["errors"][0]["field"], field,
            "body: {}",
            self.text
        );
        self
    }

    /// Asserts 404 `{"detail": "Task not found"}`.
    #[track_caller]
    pub fn expect_task_not_found(&self) -> &Self {
        self.expect_detail(404, "Task not found")
    }

    /// The body as a list of tasks.
    #[track_caller]
    pub fn tasks(&self) -> &[Value] {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("not a JSON array: {}", self.text))
    }

    /// The ids of the tasks in the body, in order.
    #[track_caller]
    pub fn ids(&self) -> Vec<i64> {
        self.tasks().iter().map(task_id).collect()
    }

    /// `X-Total-Count` as a number.
    #[track_caller]
    pub fn total_count(&self) -> u64 {
        self.header("x-total-count")
            .expect("an X-Total-Count header")
            .parse()
            .expect("X-Total-Count is a number")
    }
}

/// A task's `id`.
#[track_caller]
pub fn task_id(task: &Value) -> i64 {
    task["id"].as_i64().expect("an integer task id")
}

/// Sends a request and reads the whole [`Reply`].
pub trait ReplyExt {
    fn reply(self) -> impl Future<Output = Reply> + Send;
}

impl ReplyExt for RequestBuilder {
    async fn reply(self) -> Reply {
        Reply::read(self.send().await.expect("request sent")).await
    }
}

/// A body of unknown length, so that it is sent with `Transfer-Encoding: chunked`.
pub fn chunked_body(bytes: &[u8], chunk_size: usize) -> Body {
    Body::wrap(Chunked(
        bytes
            .chunks(chunk_size)
            .map(Bytes::copy_from_slice)
            .collect(),
    ))
}

struct Chunked(VecDeque<Bytes>);

impl http_body::Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }
}
