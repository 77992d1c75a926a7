//! TLS as the URL's `sslmode` and `sslrootcert` ask, against a cluster of the test's own
//! ([`TlsCluster`]): its certificate names `localhost` only and is signed by a CA of its own.

use std::sync::atomic::{AtomicU32, Ordering};

use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::{PostgresSettings, PostgresTaskRepository, run_migrations};

use crate::tls_cluster::TlsCluster;

const UNTRUSTED: &str = "TLS certificate verification failed for host localhost: it is not \
    signed by a trusted certificate authority (name the authority's certificate file in \
    sslrootcert)";

static SESSION: AtomicU32 = AtomicU32::new(0);

/// Pings through a repository on `host` with the query `parameters` and tells whether its
/// session is encrypted; panics with the reason when it cannot connect.
async fn connects_encrypted(cluster: &TlsCluster, host: &str, parameters: &str) -> bool {
    let application_name = format!("tls-test-{}", SESSION.fetch_add(1, Ordering::Relaxed));
    let url = cluster.url(
        host,
        &format!("application_name={application_name}&{parameters}"),
    );
    let repository = PostgresTaskRepository::connect(&PostgresSettings::new(url))
        .unwrap_or_else(|error| panic!("{parameters}: {error}"));
    if let Err(error) = repository.ping().await {
        panic!("{host} with {parameters}: {}", reason(&error));
    }
    // The pool keeps the connection open, so the server still lists its session.
    cluster.encrypted(&application_name).await
}

/// Why a ping through a repository on `host` with the query `parameters` failed.
async fn connect_failure(cluster: &TlsCluster, host: &str, parameters: &str) -> String {
    let repository =
        PostgresTaskRepository::connect(&PostgresSettings::new(cluster.url(host, parameters)))
            .unwrap_or_else(|error| panic!("{parameters}: {error}"));
    match repository.ping().await {
        Err(error @ TaskError::Unavailable(_)) => reason(&error),
        other => panic!("{host} with {parameters}: {other:?}"),
    }
}

/// The error's cause, which is what the service logs.
fn reason(error: &TaskError) -> String {
    match error {
        TaskError::Unavailable(source) | TaskError::Unexpected(source) => source.to_string(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn sslmode_decides_whether_the_connection_is_encrypted() {
    let cluster = TlsCluster::start();
    // Without sslmode, TLS is preferred, as in libpq.
    for (parameters, encrypted) in [
        ("", true),
        ("sslmode=prefer", true),
        ("sslmode=require", true),
        ("sslmode=disable", false),
    ] {
        assert_eq!(
            connects_encrypted(&cluster, "localhost", parameters).await,
            encrypted,
            "{parameters}"
        );
    }
}

#[tokio::test]
async fn verify_full_checks_the_chain_and_the_host_name() {
    let cluster = TlsCluster::start();
    let authority = format!("sslrootcert={}", cluster.authority().display());

    let failure = connect_failure(&cluster, "localhost", "sslmode=verify-full").await;
    assert!(failure.ends_with(UNTRUSTED), "{failure}");

    let trusted = format!("sslmode=verify-full&{authority}");
    assert!(connects_encrypted(&cluster, "localhost", &trusted).await);

    // The certificate names `localhost`, not the address.
    let failure = connect_failure(&cluster, "127.0.0.1", &trusted).await;
    assert!(
        failure.contains(
            "TLS certificate verification failed for host 127.0.0.1: certificate not valid for \
             name \"127.0.0.1\""
        ),
        "{failure}"
    );
}

#[tokio::test]
async fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let cluster = TlsCluster::start();
    let authority = format!("sslrootcert={}", cluster.authority().display());
    let unrelated = format!("sslrootcert={}", cluster.unrelated_authority().display());

    let trusted = format!("sslmode=verify-ca&{authority}");
    assert!(connects_encrypted(&cluster, "127.0.0.1", &trusted).await);

    let failure = connect_failure(
        &cluster,
        "localhost",
        &format!("sslmode=verify-ca&{unrelated}"),
    )
    .await;
    assert!(failure.ends_with(UNTRUSTED), "{failure}");

    // With root certificates, `require` verifies the chain too, as libpq does.
    let failure = connect_failure(
        &cluster,
        "localhost",
        &format!("sslmode=require&{unrelated}"),
    )
    .await;
    assert!(failure.ends_with(UNTRUSTED), "{failure}");
}

#[tokio::test]
async fn channel_binding_works_over_tls() {
    let cluster = TlsCluster::start();
    assert!(
        connects_encrypted(
            &cluster,
            "localhost",
            "sslmode=require&channel_binding=require"
        )
        .await
    );
    // Without TLS there is nothing to bind to, so a required binding refuses to connect.
    let failure = connect_failure(
        &cluster,
        "localhost",
        "sslmode=disable&channel_binding=require",
    )
    .await;
    assert!(failure.contains("channel binding"), "{failure}");
}

#[tokio::test]
async fn migrations_connect_by_the_same_rules() {
    let cluster = TlsCluster::start();
    let error = run_migrations(&cluster.url("localhost", "sslmode=verify-full"))
        .await
        .expect_err("an unverifiable certificate");
    // What startup prints: one line that says what is wrong.
    assert_eq!(
        error.to_string(),
        format!("could not connect to the database to migrate it: {UNTRUSTED}")
    );

    let trusted = format!(
        "sslmode=verify-full&sslrootcert={}&channel_binding=require",
        cluster.authority().display()
    );
    let applied = run_migrations(&cluster.url("localhost", &trusted))
        .await
        .expect("migrations over verified TLS");
    assert!(!applied.is_empty());
}
