//! How one connection is opened: the only code that makes sockets, so every connection,
//! pooled or migrating, gets the same bounds and TLS rules.

use std::time::Duration;

use diesel::connection::CacheSize;
use diesel::{ConnectionError, ConnectionResult};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use tokio_postgres::config::Host;
use tokio_postgres::tls::TlsStream;
use tokio_postgres::{Client, Connection, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::metrics::ErrorKind;
use crate::ssl_mode::TlsParameters;
use crate::{SetupError, errors, pooler_flag, tls};

/// Keepalive probes notice a vanished peer of an idle connection within about a minute.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;

/// The server's statement timeout is the client's deadline plus this much: the client gives
/// up first and knows why (the server's own timeout would arrive as an unclassified database
/// error), and the server still stops the abandoned statement soon after.
const SERVER_TIMEOUT_GRACE: Duration = Duration::from_secs(1);

/// What a session is for, shown in its `application_name` in `pg_stat_activity`, so that an
/// operator can tell a replica's request connections from its listener and its chores. The
/// name is the URL's `application_name` when it has one, else `tasks-api`; sessions other
/// than request connections add their role to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionRole {
    /// Connections that serve requests: the name itself.
    Requests,
    /// The session that runs migrations: `… migrations`.
    Migrations,
    /// The session that listens for task changes: `… listener`.
    Listener,
    /// The connection that background chores (the key purge) open and close: `… chores`.
    Chores,
}

impl SessionRole {
    /// The name sessions get when the URL names none.
    pub const DEFAULT_NAME: &str = "tasks-api";

    /// The `application_name` of sessions in this role, for a URL that names them `base`.
    pub fn application_name(self, base: &str) -> String {
        match self {
            Self::Requests => base.to_owned(),
            Self::Migrations => format!("{base} migrations"),
            Self::Listener => format!("{base} listener"),
            Self::Chores => format!("{base} chores"),
        }
    }
}

/// A parsed database URL and the bounds that every connection made from it gets.
#[derive(Clone)]
pub(crate) struct ConnectionRecipe {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
    transaction_pooler: bool,
    /// The URL's `application_name`, or [`SessionRole::DEFAULT_NAME`].
    base_name: String,
}

impl ConnectionRecipe {
    /// `statement_timeout: None` leaves statements unbounded, for migrations, which may
    /// wait on the migration lock while another replica migrates. TLS follows the URL's
    /// `sslmode` and `sslrootcert`, as [`TlsParameters::policy`] explains. Connections go
    /// through a transaction pooler when `transaction_pooler` says so or the URL has
    /// `pgbouncer=true`.
    pub(crate) fn parse(
        url: &str,
        role: SessionRole,
        connect_timeout: Duration,
        statement_timeout: Option<Duration>,
        transaction_pooler: bool,
    ) -> Result<Self, SetupError> {
        let (url, tls_parameters) = TlsParameters::take_from(url)?;
        let (url, pooler_flag) = pooler_flag::take_from(&url)?;
        let mut config: tokio_postgres::Config = url.parse().map_err(SetupError::InvalidUrl)?;
        if config.get_hosts().is_empty() {
            return Err(SetupError::MissingHost);
        }
        let tls_policy = tls_parameters.policy(config.get_ssl_mode());
        let tls = tls::connector(&tls_policy.verification)?;
        let base_name = config
            .get_application_name()
            .unwrap_or(SessionRole::DEFAULT_NAME)
            .to_owned();
        config
            .application_name(role.application_name(&base_name))
            .ssl_mode(tls_policy.negotiation)
            .connect_timeout(connect_timeout)
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES);
        Ok(Self {
            config,
            tls,
            connect_timeout,
            statement_timeout,
            transaction_pooler: transaction_pooler || pooler_flag,
            base_name,
        })
    }

    /// The same recipe for sessions in another role.
    pub(crate) fn in_role(&self, role: SessionRole) -> Self {
        let mut recipe = self.clone();
        recipe
            .config
            .application_name(role.application_name(&self.base_name));
        recipe
    }

    /// Whether connections go through a transaction-mode pooler, which may run each
    /// transaction of a client on another server session: no prepared statement and no
    /// session setting outlives a transaction there.
    pub(crate) fn through_transaction_pooler(&self) -> bool {
        self.transaction_pooler
    }

    /// Through a transaction pooler, what begins the transaction that each statement runs
    /// in: the statement timeout is set there, for that transaction alone (`SET LOCAL`).
    pub(crate) fn statement_transaction(&self) -> Option<String> {
        self.transaction_pooler
            .then(|| match self.server_statement_timeout_millis() {
                Some(milliseconds) => {
                    format!("BEGIN; SET LOCAL statement_timeout = {milliseconds}")
                }
                None => "BEGIN".to_owned(),
            })
    }

    fn server_statement_timeout_millis(&self) -> Option<u128> {
        self.statement_timeout
            .map(|timeout| (timeout + SERVER_TIMEOUT_GRACE).as_millis())
    }

    /// Opens a connection, giving up after the connect timeout (which bounds the whole
    /// handshake, not only the TCP connect).
    pub(crate) async fn establish(&self) -> ConnectionResult<AsyncPgConnection> {
        match tokio::time::timeout(self.connect_timeout, self.open()).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(error)) => {
                ErrorKind::ConnectFailed.count();
                Err(error)
            }
            Err(_) => {
                ErrorKind::ConnectTimeout.count();
                Err(ConnectionError::BadConnection(format!(
                    "no connection within {:?}",
                    self.connect_timeout
                )))
            }
        }
    }

    async fn open(&self) -> ConnectionResult<AsyncPgConnection> {
        let (client, connection) = self
            .config
            .connect(self.tls.clone())
            .await
            .map_err(|error| errors::from_connect(&error, &self.host_names()))?;
        if self.transaction_pooler {
            return open_through_pooler(client, connection).await;
        }
        let mut connection =
            AsyncPgConnection::try_from_client_and_connection(client, connection).await?;
        if let Some(milliseconds) = self.server_statement_timeout_millis() {
            // A `SET` rather than a startup `options` parameter, which poolers such as
            // PgBouncer refuse.
            connection
                .batch_execute(&format!("SET statement_timeout = {milliseconds}"))
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
        }
        Ok(connection)
    }

    /// A plain tokio-postgres session (for `LISTEN`, which Diesel does not speak), within the
    /// connect timeout. Its connection must be polled for the client to make progress.
    pub(crate) async fn open_session(
        &self,
    ) -> Result<
        (
            Client,
            Connection<Socket, impl TlsStream + Unpin + Send + 'static>,
        ),
        ConnectionError,
    > {
        let connect = self.config.connect(self.tls.clone());
        match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(Ok(session)) => Ok(session),
            Ok(Err(error)) => Err(errors::from_connect(&error, &self.host_names())),
            Err(_) => Err(ConnectionError::BadConnection(format!(
                "no connection within {:?}",
                self.connect_timeout
            ))),
        }
    }

    /// The hosts that connections go to, for messages.
    fn host_names(&self) -> String {
        let names: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        names.join(",")
    }
}

/// Through a transaction pooler, diesel-async's own session setup (two prepared statements
/// that set the time zone and the encoding) runs in a transaction, so that each statement's
/// prepare and execute reach the same server session; PgBouncer then keeps both settings for
/// the client. Statements are prepared afresh in each transaction: no cache.
async fn open_through_pooler<T>(
    client: Client,
    connection: Connection<Socket, T>,
) -> ConnectionResult<AsyncPgConnection>
where
    T: TlsStream + Unpin + Send + 'static,
{
    // Driven here rather than by diesel-async, so that `BEGIN` goes first. Its errors
    // surface through the client's calls.
    tokio::spawn(connection);
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
    let mut connection = AsyncPgConnection::try_from(client).await?;
    connection
        .batch_execute("COMMIT")
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    connection.set_prepared_statement_cache_size(CacheSize::Disabled);
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use tokio_postgres::config::{ChannelBinding, SslMode};

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[test]
    fn unparsable_urls_are_refused() {
        for url in [
            "not a url",
            "postgres://host/db?nonsense=1",
            "postgres://:x/db",
        ] {
            assert!(
                matches!(
                    ConnectionRecipe::parse(url, SessionRole::Requests, TIMEOUT, None, false),
                    Err(SetupError::InvalidUrl(_))
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn a_url_without_host_is_refused() {
        assert!(matches!(
            ConnectionRecipe::parse(
                "postgres:///tasks",
                SessionRole::Requests,
                TIMEOUT,
                None,
                false
            ),
            Err(SetupError::MissingHost)
        ));
    }

    #[test]
    fn the_tls_parameters_are_applied_and_the_rest_is_parsed() {
        let recipe = ConnectionRecipe::parse(
            "postgres://h/db?sslmode=verify-full&channel_binding=require",
            SessionRole::Requests,
            TIMEOUT,
            None,
            false,
        )
        .unwrap();
        assert_eq!(recipe.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(recipe.config.get_channel_binding(), ChannelBinding::Require);
        let recipe = ConnectionRecipe::parse(
            "postgres://h/db",
            SessionRole::Requests,
            TIMEOUT,
            None,
            false,
        )
        .unwrap();
        assert_eq!(recipe.config.get_ssl_mode(), SslMode::Prefer);
    }

    #[test]
    fn tls_setting_mistakes_are_refused() {
        assert!(matches!(
            ConnectionRecipe::parse(
                "postgres://h/db?sslmode=allow",
                SessionRole::Requests,
                TIMEOUT,
                None,
                false
            ),
            Err(SetupError::InvalidSslMode(_))
        ));
        assert!(matches!(
            ConnectionRecipe::parse(
                "postgres://h/db?sslmode=verify-ca&sslrootcert=/nonexistent.pem",
                SessionRole::Requests,
                TIMEOUT,
                None,
                false
            ),
            Err(SetupError::RootCertificateFile { .. })
        ));
    }

    #[test]
    fn bounds_apply_to_every_connection() {
        let recipe = ConnectionRecipe::parse(
            "postgres://u:p@h:5433/db",
            SessionRole::Requests,
            TIMEOUT,
            Some(TIMEOUT),
            false,
        )
        .unwrap();
        assert_eq!(recipe.config.get_connect_timeout(), Some(&TIMEOUT));
        assert!(recipe.config.get_keepalives());
        assert_eq!(recipe.config.get_keepalives_idle(), KEEPALIVE_IDLE);
        assert_eq!(recipe.statement_transaction(), None);
    }

    #[test]
    fn a_transaction_pooler_is_named_by_the_setting_or_the_url() {
        let by_setting = ConnectionRecipe::parse(
            "postgres://h/db",
            SessionRole::Requests,
            TIMEOUT,
            Some(TIMEOUT),
            true,
        )
        .unwrap();
        let by_url = ConnectionRecipe::parse(
            "postgres://h/db?pgbouncer=true&sslmode=disable",
            SessionRole::Requests,
            TIMEOUT,
            Some(TIMEOUT),
            false,
        )
        .unwrap();
        for recipe in [by_setting, by_url] {
            assert!(recipe.through_transaction_pooler());
            assert_eq!(
                recipe.statement_transaction().as_deref(),
                Some("BEGIN; SET LOCAL statement_timeout = 6000")
            );
        }
    }
}
