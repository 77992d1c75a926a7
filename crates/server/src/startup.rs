//! Wires the adapters into the ports and starts the HTTP server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use tasks_auth_jwt::{JwtVerifier, SharedSecret, VerifierSettings};
use tasks_ports::TaskService;
use tasks_store_postgres::{PostgresSettings, PostgresTaskRepository, run_migrations};

use crate::settings::{AuthSettings, DatabaseSettings, Settings};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database migration failed: {0}")]
    Migration(#[from] tasks_store_postgres::MigrationError),
    #[error("database settings: {0}")]
    Database(#[from] tasks_store_postgres::SetupError),
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
}

pub fn postgres_settings(database: &DatabaseSettings) -> PostgresSettings {
    PostgresSettings {
        max_connections: database.max_connections,
        pool_wait_timeout: database.pool_wait_timeout,
        connect_timeout: database.connect_timeout,
        statement_timeout: database.statement_timeout,
        ..PostgresSettings::new(database.url.expose())
    }
}

fn verifier_settings(auth: &AuthSettings) -> VerifierSettings {
    VerifierSettings {
        secret: auth.secret.as_ref().map(|secret| SharedSecret::new(secret.expose())),
        jwks_url: auth.jwks_url.clone(),
        issuer: auth.issuer.clone(),
        audience: auth.audience.clone(),
        leeway: auth.leeway,
        jwks_fetch_timeout: auth.jwks_fetch_timeout,
    }
}

impl Application {
    /// Migrates (unless switched off), connects lazily, binds, and returns before serving.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        for warning in &settings.warnings {
            tracing::warn!("{warning}");
        }
        if settings.database.migrate_on_start {
            let applied = run_migrations(settings.database.migration_url.expose()).await?;
            tracing::info!(applied = ?applied, "database migrations up to date");
        }
        let repository = PostgresTaskRepository::connect(&postgres_settings(&settings.database))?;
        let verifier = JwtVerifier::new(verifier_settings(&settings.auth))?;

        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Listen {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                address: address.clone(),
                source,
            })?
            .port();

        let service = web::Data::new(TaskService::new(repository));
        let verifier = web::Data::new(verifier);
        let origins = settings.cors_origins.clone();
        let mut server = HttpServer::new(move || {
            tasks_http::app(service.clone(), verifier.clone(), origins.clone())
        })
        .shutdown_timeout(settings.server.shutdown_timeout.as_secs())
        // actix stops abruptly on SIGINT; both signals are handled below, gracefully.
        .disable_signals();
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartupError::Listen { address, source })?
            .run();
        tracing::info!(port, store = "postgres", "listening");
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until stopped. Requests in flight then get the shutdown timeout to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, requests
    /// in flight finish (within the shutdown timeout).
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let server = tokio::spawn(self.server);
        let signal = shutdown_signal().await?;
        tracing::info!(signal, "shutting down gracefully");
        handle.stop(true).await;
        server.await.map_err(std::io::Error::other)?
    }
}

/// Waits for SIGTERM (what orchestrators send) or SIGINT (Ctrl-C) and names it.
async fn shutdown_signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    })
}
