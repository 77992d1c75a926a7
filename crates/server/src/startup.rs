//! Wires the adapters into the ports and starts the HTTP server.

use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::dev::Service;
use actix_web::middleware::Condition;
use actix_web::{HttpServer, web};
use secrecy::ExposeSecret;
use tasks_auth_jwt::JwtVerifier;
use tasks_http::BodyReadTimeout;
use tasks_http::Draining;
use tasks_http::EventHeartbeat;
use tasks_http::metrics::RequestMetrics;
use tasks_ports::{ChangeHub, StreamLimits, TaskRepository, TaskService};
use tasks_store_postgres::{ChangeListener, PostgresTaskRepository, run_migrations_within};
use tasks_store_sqlite::SqliteTaskRepository;

use crate::in_flight::InFlight;
use crate::key_purge::spawn_key_purge;
use crate::metrics::MetricsEndpoint;
use crate::schema_gate::{SchemaReady, UntilMigrated};
use crate::settings::{DatabaseSettings, ServerSettings, Settings, StoreSettings};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database migration failed: {0}")]
    Migration(#[from] tasks_store_postgres::MigrationError),
    #[error("database settings: {0}")]
    Database(#[from] tasks_store_postgres::SetupError),
    #[error("SQLite store: {0}")]
    Sqlite(#[from] tasks_store_sqlite::SetupError),
    #[error("token verification: {0}")]
    Verifier(#[from] tasks_auth_jwt::SetupError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
}

/// The running service: its port (useful when asked for port 0) and the server.
pub struct Application {
    port: u16,
    server: Server,
    in_flight: InFlight,
    draining: web::Data<Draining>,
    changes: ChangeHub,
    drain_period: Duration,
    shutdown_timeout: Duration,
    metrics: Option<MetricsEndpoint>,
}

/// Brings the store's schema up to date: PostgreSQL under an advisory lock, SQLite as it
/// opens.
pub async fn migrate(store: &StoreSettings) -> Result<Vec<String>, StartupError> {
    match store {
        StoreSettings::Postgres(database) => Ok(run_migrations_within(
            database.migration_url.expose_secret(),
            database.connection.connect_timeout,
        )
        .await?),
        StoreSettings::Sqlite { path } => {
            SqliteTaskRepository::open(path)?;
            Ok(Vec::new())
        }
    }
}

/// First wait before migrating again after a failure; it doubles up to `MAX_RETRY_DELAY`.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Startup's migrations: done before serving when the database answers; otherwise retried
/// in the background with backoff until they succeed, so a database that is down at boot
/// is what it is a second later: the API and `/ready` answer 503 meanwhile (see
/// `UntilMigrated`), and the service recovers by itself when it comes back.
async fn migrate_or_retry_in_background(database: &DatabaseSettings) -> SchemaReady {
    let store = StoreSettings::Postgres(database.clone());
    let schema_ready = SchemaReady::default();
    if migrated(&store, &schema_ready, FIRST_RETRY_DELAY).await {
        return schema_ready;
    }
    tokio::spawn({
        let schema_ready = schema_ready.clone();
        async move {
            let mut delay = FIRST_RETRY_DELAY;
            loop {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY_DELAY);
                if migrated(&store, &schema_ready, delay).await {
                    return;
                }
            }
        }
    });
    schema_ready
}

/// One attempt; marks `schema_ready` on success, logs the failure and the next try.
async fn migrated(store: &StoreSettings, schema_ready: &SchemaReady, retry_in: Duration) -> bool {
    match migrate(store).await {
        Ok(applied) => {
            tracing::info!(?applied, "database migrations up to date");
            schema_ready.mark();
            true
        }
        Err(error) => {
            tracing::warn!(
                ?retry_in,
                "{error}; the API answers 503 until migrations succeed"
            );
            false
        }
    }
}

fn bind(server: &ServerSettings) -> Result<(TcpListener, u16), StartupError> {
    let address = format!("{}:{}", server.host, server.port);
    let listen_error = |source| StartupError::Listen {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(&address).map_err(listen_error)?;
    let port = listener.local_addr().map_err(listen_error)?.port();
    Ok((listener, port))
}

/// The HTTP server over one store; the only code that is generic over the store type.
/// `repository_for_worker` runs once on each worker thread (with the worker's index) and
/// gives the repository that worker serves from.
fn serve<R: TaskRepository>(
    repository_for_worker: impl Fn(usize) -> R + Send + Clone + 'static,
    changes: ChangeHub,
    verifier: web::Data<JwtVerifier>,
    settings: &Settings,
    listener: TcpListener,
    in_flight: InFlight,
    draining: web::Data<Draining>,
) -> std::io::Result<Server> {
    let origins = settings.cors_origins.clone();
    let body_read_timeout = BodyReadTimeout(settings.server.body_read_timeout);
    let heartbeat = EventHeartbeat(settings.events.heartbeat);
    let metrics_enabled = settings.metrics.enabled;
    let started_workers = Arc::new(AtomicUsize::new(0));
    HttpServer::new(move || {
        let worker = started_workers.fetch_add(1, Ordering::Relaxed);
        let service = web::Data::new(TaskService::new(
            repository_for_worker(worker),
            changes.clone(),
        ));
        let in_flight = in_flight.clone();
        tasks_http::app(
            service,
            verifier.clone(),
            origins.clone(),
            body_read_timeout,
        )
        .app_data(draining.clone())
        .app_data(heartbeat)
        .wrap_fn(move |request, service| {
            let guard = in_flight.enter();
            let response = service.call(request);
            async move {
                let response = response.await;
                drop(guard);
                response
            }
        })
        .wrap(Condition::new(metrics_enabled, RequestMetrics))
    })
    .workers(worker_count(&settings.server))
    .client_request_timeout(settings.server.request_head_timeout)
    .keep_alive(settings.server.keep_alive)
    .shutdown_timeout(settings.server.shutdown_timeout.as_secs())
    // Signals are handled in `run_until_stopped`: actix's own handling stops abruptly on
    // SIGINT, and its graceful stop can drop requests in flight (see `in_flight`).
    .disable_signals()
    .listen(listener)
    .map(HttpServer::run)
}

/// The configured number of workers, or one per core as actix chooses by default.
fn worker_count(server: &ServerSettings) -> usize {
    match server.workers {
        0 => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        workers => workers,
    }
}

/// Worker `worker`'s share of `total` connections when `workers` split them: shares differ
/// by at most one and add up to `total`, except that every worker gets at least one.
fn connection_share(total: usize, workers: usize, worker: usize) -> usize {
    let worker = worker % workers;
    (total / workers + usize::from(worker < total % workers)).max(1)
}

impl Application {
    /// Binds, connects lazily, starts migrating in the background (unless switched off) and
    /// returns before serving.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        for warning in &settings.warnings {
            tracing::warn!("{warning}");
        }
        // First: the adapters register their metrics as they are built.
        let mut metrics = MetricsEndpoint::bind(&settings.metrics)?;
        let verifier = web::Data::new(JwtVerifier::new(settings.auth.clone())?);
        let (listener, port) = bind(&settings.server)?;
        let listen_error = |source| StartupError::Listen {
            address: format!("{}:{port}", settings.server.host),
            source,
        };
        let in_flight = InFlight::default();
        let draining = web::Data::new(Draining::default());
        let changes = ChangeHub::new(StreamLimits {
            per_user: settings.events.max_streams_per_user,
            buffer: settings.events.buffer,
        });
        let server = match &settings.store {
            StoreSettings::Postgres(database) => {
                let repository = PostgresTaskRepository::connect(&database.connection)?;
                let schema_ready = if database.migrate_on_start {
                    migrate_or_retry_in_background(database).await
                } else {
                    SchemaReady::already()
                };
                // Notifications travel on a session of their own, on the direct URL:
                // transaction poolers drop LISTEN. Serving starts after its first attempt,
                // so that no stream opens before the listener could hear its changes.
                ChangeListener::new(&database.connection, &database.migration_url)?
                    .start(changes.clone())
                    .await;
                let (chores, ready, hub) =
                    (repository.clone(), schema_ready.clone(), changes.clone());
                spawn_key_purge(move || {
                    TaskService::new(
                        UntilMigrated::new(chores.for_chores(), ready.clone()),
                        hub.clone(),
                    )
                });
                tracing::info!(store = "postgres", "task store ready");
                if let Some(metrics) = &mut metrics {
                    let connections = repository.connection_gauges();
                    metrics.read_at_scrape(move || connections.record());
                }
                // Connections of its own for each worker thread (see
                // `PostgresTaskRepository`), max_connections split between them.
                let (connections, workers) = (
                    database.connection.max_connections,
                    worker_count(&settings.server),
                );
                let for_worker = move |worker| {
                    let share = connection_share(connections, workers, worker);
                    UntilMigrated::new(repository.with_own_connections(share), schema_ready.clone())
                };
                serve(
                    for_worker,
                    changes.clone(),
                    verifier,
                    settings,
                    listener,
                    in_flight.clone(),
                    draining.clone(),
                )
                .map_err(listen_error)?
            }
            StoreSettings::Sqlite { path } => {
                let repository = SqliteTaskRepository::open(path)?.announcing_to(changes.clone());
                tracing::info!(store = "sqlite", path = %path.display(), "task store ready");
                let (chores, hub) = (repository.clone(), changes.clone());
                spawn_key_purge(move || TaskService::new(chores.clone(), hub.clone()));
                // One file, one writer: every worker shares the same repository.
                let shared = move |_worker| repository.clone();
                serve(
                    shared,
                    changes.clone(),
                    verifier,
                    settings,
                    listener,
                    in_flight.clone(),
                    draining.clone(),
                )
                .map_err(listen_error)?
            }
        };
        tracing::info!(port, "listening");
        if let Some(metrics) = &mut metrics {
            let in_flight = in_flight.clone();
            metrics.read_in_flight(move || in_flight.count());
            tracing::info!(port = metrics.port(), "metrics at /metrics");
        }
        Ok(Self {
            port,
            server,
            in_flight,
            draining,
            changes,
            drain_period: settings.server.drain_period,
            shutdown_timeout: settings.server.shutdown_timeout,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port; `None` when metrics are turned off.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(MetricsEndpoint::port)
    }

    /// Serves until the process is stopped (for tests that run the app in-process).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(MetricsEndpoint::start).transpose()?;
        let served = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        served
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: `/ready` answers 503 at once
    /// but requests are still served for the drain period, so that load balancers notice
    /// and send the next ones elsewhere; then no new connection is served, requests in
    /// flight finish (within the shutdown timeout), and it returns.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(MetricsEndpoint::start).transpose()?;
        let handle = self.server.handle();
        let server = tokio::spawn(self.server);
        shutdown_signal().await;
        self.draining.start();
        if !self.drain_period.is_zero() {
            tracing::info!(drain_period = ?self.drain_period, "not ready; serving until the drain period ends");
            tokio::time::sleep(self.drain_period).await;
        }
        // Event streams never finish by themselves: end them, and their clients reconnect
        // to another instance.
        self.changes.close_all();
        handle.pause().await;
        if !self.in_flight.drained_within(self.shutdown_timeout).await {
            tracing::warn!("requests still in flight after the shutdown timeout are dropped");
        }
        handle.stop(true).await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        server.await.map_err(std::io::Error::other)?
    }
}

/// Resolves on SIGTERM (what orchestrators send) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM/SIGINT; stop the service with SIGKILL");
        return std::future::pending().await;
    };
    let signal = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    tracing::info!(signal, "shutting down gracefully");
}

#[cfg(test)]
mod tests {
    use super::connection_share;

    #[test]
    fn connections_are_split_evenly_between_workers() {
        let shares = |total, workers| {
            (0..workers)
                .map(|worker| connection_share(total, workers, worker))
                .collect::<Vec<_>>()
        };
        assert_eq!(shares(10, 2), [5, 5]);
        assert_eq!(shares(10, 4), [3, 3, 2, 2]);
        assert_eq!(shares(10, 1), [10]);
        assert_eq!(shares(1, 3), [1, 1, 1]);
        // A restarted worker takes the share of the index it wraps to.
        assert_eq!(connection_share(10, 4, 5), 3);
    }
}
