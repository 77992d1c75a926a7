//! Three instances of the real binary on one PostgreSQL database behind HAProxy, all on
//! loopback ports: they start together on an empty database (migrating it once), then
//! restart one at a time under load without a failed request or a lost write, then one is
//! killed under load and the balancer routes around it. The figures are printed.

mod haproxy;
mod instance;
mod load;

use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};
use tasks_store_postgres::testing::TestDatabase;

use crate::haproxy::HaProxy;
use crate::instance::Instance;
use crate::load::{Load, Report};

const SECRET: &str = "fleet-test-secret-at-least-32-bytes!!";
const NAMES: [&str; 3] = ["a", "b", "c"];
const CLIENTS: usize = 6;
const DRAIN_PERIOD_SECS: u64 = 2;
/// Generous bounds for "starts" and "stops"; not speed requirements.
const START_LIMIT: Duration = Duration::from_secs(60);
const STOP_LIMIT: Duration = Duration::from_secs(30);

pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

fn token_for(subject: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let claims = serde_json::json!({"sub": subject, "iat": now, "exp": now + 3600});
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("HMAC signing")
}

/// Printed whatever the test harness captures.
fn figure(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "fleet: {line}");
}

/// The versions an instance's run says it applied, from its log line.
fn applied_migrations(instance: &Instance) -> Vec<String> {
    let lines = instance.lines();
    let line = lines
        .iter()
        .find(|line| line.contains("database migrations up to date"))
        .unwrap_or_else(|| panic!("{} logged no migration line: {lines:#?}", instance.name));
    let list = line.split("applied=").nth(1).expect("an applied list");
    list.trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|version| version.trim().trim_matches('"').to_owned())
        .filter(|version| !version.is_empty())
        .collect()
}

/// Asserts no failure and no lost write; returns (requests answered, writes checked).
async fn assert_nothing_lost(reports: &[Report], base: &str, failures_allowed: usize) -> usize {
    let failures: Vec<&String> = reports.iter().flat_map(|report| &report.failures).collect();
    assert!(
        failures.len() <= failures_allowed,
        "{} failed requests (at most {failures_allowed} allowed): {failures:#?}",
        failures.len()
    );
    let mut writes = 0;
    for report in reports {
        let lost = report.lost_writes(base, &token_for(report.user())).await;
        assert!(lost.is_empty(), "lost acknowledged writes: {lost:#?}");
        writes += report.writes();
    }
    figure(&format!("{} failed requests: {failures:?}", failures.len()));
    writes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_haproxy_restart_and_lose_one_without_losing_writes() {
    let database = TestDatabase::create_empty().await;
    let variables = vec![
        ("DATABASE_URL".to_owned(), database.url().to_owned()),
        ("BETTER_AUTH_SECRET".to_owned(), SECRET.to_owned()),
        ("APP__SERVER__WORKERS".to_owned(), "1".to_owned()),
        ("APP__DATABASE__MAX_CONNECTIONS".to_owned(), "3".to_owned()),
        (
            "APP__SERVER__DRAIN_PERIOD_SECS".to_owned(),
            DRAIN_PERIOD_SECS.to_string(),
        ),
        (
            "APP__SERVER__SHUTDOWN_TIMEOUT_SECS".to_owned(),
            "10".to_owned(),
        ),
    ];
    let mut fleet: Vec<Instance> = NAMES
        .iter()
        .map(|name| Instance::new(name, free_port(), variables.clone()))
        .collect();
    let client = reqwest::Client::new();

    // All three at once on an empty database: one migrates, the others wait for its lock.
    for instance in &mut fleet {
        instance.spawn();
    }
    for instance in &fleet {
        let ready = instance.wait_ready(&client, START_LIMIT).await;
        figure(&format!(
            "{} ready {ready:?} after the start",
            instance.name
        ));
    }
    let applied: Vec<Vec<String>> = fleet.iter().map(applied_migrations).collect();
    let migrators = applied
        .iter()
        .filter(|versions| !versions.is_empty())
        .count();
    assert_eq!(
        migrators, 1,
        "instances that applied migrations: {applied:?}"
    );
    let recorded = database.applied_migrations().await;
    assert_eq!(recorded, applied.concat(), "__diesel_schema_migrations");

    let backends: Vec<(&str, u16)> = fleet
        .iter()
        .map(|instance| (instance.name, instance.port))
        .collect();
    let balancer = HaProxy::start(&backends);
    for name in NAMES {
        balancer.wait_for(&client, name, "UP").await;
    }
    let base = format!("http://127.0.0.1:{}", balancer.port);

    // Rolling restart under load: no request fails, no acknowledged write is lost.
    let load = Load::start(&base, CLIENTS, token_for);
    load.wait_for_requests(100).await;
    for instance in &mut fleet {
        let out = {
            instance.terminate();
            balancer.wait_for(&client, instance.name, "DOWN").await
        };
        // Taken out of rotation while still serving: the drain period at work.
        assert!(
            instance.running(),
            "{} stopped before the balancer noticed",
            instance.name
        );
        let status = instance.wait_for_exit(STOP_LIMIT).await;
        assert!(status.success(), "{} exited with {status}", instance.name);
        instance.spawn();
        let ready = instance.wait_ready(&client, START_LIMIT).await;
        let back = balancer.wait_for(&client, instance.name, "UP").await;
        figure(&format!(
            "restart {}: out of rotation {out:?} after SIGTERM, ready {ready:?} after the new start, back in rotation {back:?} later",
            instance.name
        ));
        load.wait_for_requests(50).await;
    }
    let requests = load.requests.load(std::sync::atomic::Ordering::Relaxed);
    let reports = load.stop().await;
    let writes = assert_nothing_lost(&reports, &base, 0).await;
    // Without the drain period, refused connections are hidden by HAProxy's retries.
    let resent = balancer.resent_requests(&client).await;
    assert_eq!(
        resent, 0,
        "requests HAProxy had to resend during the rolling restart"
    );
    figure(&format!(
        "rolling restart: {requests} requests, {writes} tasks written and checked, none resent"
    ));

    // kill -9 under load: at most the requests in flight on it fail (one per client at most).
    let load = Load::start(&base, CLIENTS, token_for);
    load.wait_for_requests(100).await;
    let victim = &mut fleet[1];
    victim.kill();
    let out = balancer.wait_for(&client, victim.name, "DOWN").await;
    load.wait_for_requests(200).await;
    let requests = load.requests.load(std::sync::atomic::Ordering::Relaxed);
    let reports = load.stop().await;
    let writes = assert_nothing_lost(&reports, &base, CLIENTS).await;
    figure(&format!(
        "kill -9 {}: out of rotation {out:?} later; {requests} requests, {writes} tasks written and checked",
        victim.name
    ));
}
