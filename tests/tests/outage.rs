//! A database outage, end to end: the app reaches PostgreSQL through a TCP proxy that the
//! test cuts (dropping every live connection) and restores. While cut, every call answers
//! 503 with `Retry-After` (never a 500, never a hang), `/ready` is 503 and `/health` 200;
//! once restored, the service recovers by itself with every task it had confirmed, and
//! open event streams tell their clients to re-read.

use std::collections::HashSet;
use std::future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tasks_e2e::events::Item;
use tasks_e2e::{
    Reply, ReplyExt, TestApp, complete_path, spawn_app_with, task_id, task_path, tasks_path,
};
use tasks_store_postgres::testing::TestDatabase;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// A generous bound for "answers instead of hanging"; not a speed requirement.
const PROMPTLY: Duration = Duration::from_secs(10);
/// How long the service may take to notice that the database is back.
const RECOVERY: Duration = Duration::from_secs(15);
const USER: &str = "alice";

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Forwards them to PostgreSQL.
    Up,
    /// Nothing listens: connecting fails at once.
    Refusing,
    /// Accepts them and never answers, like a network that drops every packet.
    Blackholed,
}

type Command = (Link, oneshot::Sender<()>);

/// A TCP proxy in front of PostgreSQL; it stops when dropped.
struct Proxy {
    address: SocketAddr,
    commands: mpsc::Sender<Command>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0))).expect("a proxy port");
        let address = listener.local_addr().expect("a bound address");
        let (commands, received) = mpsc::channel(1);
        tokio::spawn(serve(listener, upstream, received));
        Self { address, commands }
    }

    /// Drops every live connection and treats new ones as `link` says; returns once done.
    async fn set(&self, link: Link) {
        let (applied, done) = oneshot::channel();
        self.commands
            .send((link, applied))
            .await
            .expect("the proxy runs");
        done.await.expect("the proxy applies the change");
    }
}

async fn serve(listener: TcpListener, upstream: String, mut commands: mpsc::Receiver<Command>) {
    let address = listener.local_addr().expect("a bound address");
    let mut listener = Some(listener);
    let mut link = Link::Up;
    let mut forwarded = JoinSet::new();
    let mut silenced = Vec::new();
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some((next, applied)) = command else { break };
                forwarded.abort_all();
                silenced.clear();
                listener = match next {
                    Link::Refusing => None,
                    Link::Up | Link::Blackholed => Some(match listener.take() {
                        Some(listener) => listener,
                        None => listen(address).expect("the proxy's port back"),
                    }),
                };
                link = next;
                let _ = applied.send(());
            }
            accepted = accept(listener.as_ref()) => {
                let Ok(client) = accepted else { continue };
                match link {
                    Link::Up => {
                        forwarded.spawn(forward(client, upstream.clone()));
                    }
                    Link::Refusing | Link::Blackholed => silenced.push(client),
                }
            }
            Some(_) = forwarded.join_next(), if !forwarded.is_empty() => {}
        }
    }
}

/// A listener that can take its port back after it was closed.
fn listen(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(128)
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<TcpStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(socket, _)| socket),
        None => future::pending().await,
    }
}

async fn forward(mut client: TcpStream, upstream: String) {
    if let Ok(mut server) = TcpStream::connect(upstream).await {
        let _ = copy_bidirectional(&mut client, &mut server).await;
    }
}

/// A `postgres://` URL in three: what comes before the server address, the address (with
/// PostgreSQL's default port when it names none), and the rest.
fn split_at_server(url: &str) -> (&str, String, &str) {
    let authority_start = url.find("://").expect("a postgres:// URL") + 3;
    let server_end = url[authority_start..]
        .find(['/', '?'])
        .map_or(url.len(), |end| authority_start + end);
    let server_start = url[authority_start..server_end]
        .rfind('@')
        .map_or(authority_start, |at| authority_start + at + 1);
    let server = &url[server_start..server_end];
    let server = if server.contains(':') {
        server.to_owned()
    } else {
        format!("{server}:5432")
    };
    (&url[..server_start], server, &url[server_end..])
}

/// The app, on a database of the test's own that it reaches through the proxy, with short
/// database timeouts; the proxy treats connections as `link` says from the start.
async fn app_behind_proxy_that_is(link: Link) -> (TestApp, Proxy, TestDatabase) {
    let database = TestDatabase::create().await;
    let (before_server, server, after_server) = split_at_server(database.url());
    let proxy = Proxy::start(server).await;
    proxy.set(link).await;
    let proxied_url = format!("{before_server}{}{after_server}", proxy.address);
    let app = spawn_app_with(&[
        ("DATABASE_URL", proxied_url.as_str()),
        ("APP__DATABASE__POOL_WAIT_TIMEOUT_SECS", "2"),
        ("APP__DATABASE__CONNECT_TIMEOUT_SECS", "2"),
        ("APP__DATABASE__STATEMENT_TIMEOUT_SECS", "2"),
    ])
    .await;
    (app, proxy, database)
}

async fn app_behind_proxy() -> (TestApp, Proxy, TestDatabase) {
    app_behind_proxy_that_is(Link::Up).await
}

/// Every kind of call, each answering 503 with `Retry-After`, promptly.
async fn assert_every_call_is_unavailable(app: &TestApp, id: i64) {
    let calls = [
        (Method::GET, tasks_path(USER), None),
        (
            Method::POST,
            tasks_path(USER),
            Some(json!({"title": "during the outage"})),
        ),
        (Method::GET, task_path(USER, id), None),
        (
            Method::PUT,
            task_path(USER, id),
            Some(json!({"title": "renamed"})),
        ),
        (
            Method::PATCH,
            task_path(USER, id),
            Some(json!({"completed": true})),
        ),
        (Method::PATCH, complete_path(USER, id), None),
        (Method::DELETE, task_path(USER, id), None),
    ];
    for (method, path, body) in calls {
        let request = app.request_as(USER, method.clone(), &path);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let started = Instant::now();
        let reply = request.reply().await;
        assert!(
            started.elapsed() < PROMPTLY,
            "{method} {path} took {:?}",
            started.elapsed()
        );
        reply.expect_error(503);
        assert_retry_after(&reply, &format!("{method} {path}"));
    }

    let started = Instant::now();
    let ready = app.request(Method::GET, "/ready").reply().await;
    assert!(
        started.elapsed() < PROMPTLY,
        "/ready took {:?}",
        started.elapsed()
    );
    ready.expect(503);
    assert_eq!(ready.body["status"], "unavailable", "{}", ready.text);
    assert_ne!(ready.body["checks"]["database"], "ok", "{}", ready.text);

    app.request(Method::GET, "/health")
        .reply()
        .await
        .expect(200);
}

#[track_caller]
fn assert_retry_after(reply: &Reply, call: &str) {
    let seconds: u64 = reply
        .header("retry-after")
        .unwrap_or_else(|| panic!("{call}: 503 without Retry-After"))
        .parse()
        .unwrap_or_else(|_| panic!("{call}: Retry-After is not a number of seconds"));
    assert!(seconds >= 1, "{call}: Retry-After {seconds}");
}

/// Polls the list until it answers 200; anything but 200 or 503 on the way fails.
async fn wait_for_recovery(app: &TestApp) -> Reply {
    let started = Instant::now();
    loop {
        let reply = app.list_tasks(USER, "limit=1000").await;
        match reply.status {
            200 => return reply,
            503 if started.elapsed() < RECOVERY => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            _ => panic!(
                "no recovery within {RECOVERY:?}: {} {}",
                reply.status, reply.text
            ),
        }
    }
}

async fn outage_and_recovery(outage: Link) {
    let (app, proxy, _database) = app_behind_proxy().await;
    let confirmed: HashSet<i64> = app
        .create_tasks(USER, &["one", "two", "three"])
        .await
        .iter()
        .map(task_id)
        .collect();
    let some_task = *confirmed.iter().next().expect("tasks were created");

    proxy.set(outage).await;
    assert_every_call_is_unavailable(&app, some_task).await;

    proxy.set(Link::Up).await;
    let listed: HashSet<i64> = wait_for_recovery(&app).await.ids().into_iter().collect();
    assert!(
        listed.is_superset(&confirmed),
        "confirmed {confirmed:?}, listed after recovery {listed:?}"
    );
    app.request(Method::GET, "/ready").reply().await.expect(200);
}

#[tokio::test]
async fn refused_connections_answer_503_until_the_database_is_back() {
    outage_and_recovery(Link::Refusing).await;
}

#[tokio::test]
async fn a_blackholed_database_answers_503_until_it_is_back() {
    outage_and_recovery(Link::Blackholed).await;
}

/// A database that is down at boot is an outage like any other: the service starts,
/// answers 503 (`/health` 200), and migrates and serves once the database is back.
#[tokio::test]
async fn booting_while_the_database_is_down_answers_503_until_it_is_back() {
    let (app, proxy, _database) = app_behind_proxy_that_is(Link::Refusing).await;
    assert_every_call_is_unavailable(&app, 1).await;

    proxy.set(Link::Up).await;
    wait_for_recovery(&app).await;
    app.create_task(USER, json!({"title": "after the boot outage"}))
        .await;
    app.request(Method::GET, "/ready").reply().await.expect(200);
}

#[tokio::test]
async fn an_open_stream_says_resync_once_the_database_is_back() {
    let (app, proxy, _database) = app_behind_proxy().await;
    let mut stream = app.events(USER).await;
    app.create_task(USER, json!({"title": "before"})).await;
    assert_eq!(stream.expect_event().await.name, "task.created");

    proxy.set(Link::Refusing).await;
    app.list_tasks(USER, "").await.expect_error(503);
    proxy.set(Link::Up).await;
    wait_for_recovery(&app).await;

    // Changes made while the listener was away were never announced: the stream says so,
    // once the listener is back, and carries the changes after that.
    loop {
        match stream.next_item_within(RECOVERY).await {
            Some(Item::Comment(_)) => {}
            Some(Item::Event(event)) => {
                assert_eq!(event.name, "resync", "{event:?}");
                break;
            }
            None => panic!("the stream ended during the outage"),
        }
    }
    app.create_task(USER, json!({"title": "after"})).await;
    let after = stream.expect_event().await;
    assert_eq!(
        (after.name.as_str(), after.json()["title"].clone()),
        ("task.created", json!("after"))
    );
}
